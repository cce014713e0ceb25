"""Pricing stays bounded and off the call path: genai-prices' lookup caches stay small whatever the
model names, and a pricing file that is not a regular file (a FIFO) is refused without blocking."""

from __future__ import annotations

import logging
import os
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from openllmetry.init import _configure_pricing
from opentelemetry.semconv_ai import prices
from opentelemetry.semconv_ai.price_bounds import MAX_LIBRARY_CACHE
from opentelemetry.semconv_ai.pricing import Usage


def test_lookup_caches_stay_bounded_for_any_model_names() -> None:
    pricer = prices.GenAIPrices()
    pricer.start_loading()
    assert pricer.wait_ready(30)
    snapshot = pricer._catalog.snapshot  # type: ignore[union-attr]
    usage = Usage(10, 5)
    # Warm up, so that what follows measures growth, not first-use allocations.
    for i in range(30):
        pricer.cost("openai", f"warm-{i}", usage, lambda cost: None)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for i in range(300):  # names genai-prices knows the shape of, and names it never heard of
        pricer.cost("openai", f"gpt-4o-echo-{i}-" + "x" * 100, usage, lambda cost: None)
        pricer.cost("anthropic", f"unknown-{i}", usage, lambda cost: None)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    for name in ("_lookup_cache", "_provider_cache", "_provider_misses"):
        assert len(getattr(snapshot, name)) <= MAX_LIBRARY_CACHE + 1
    assert len(pricer._cache) <= prices.MAX_CACHED_MODELS
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert grown < 1024 * 1024  # main grew without bound: +22.6 MB over 100,000 short names


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "prices.fifo"
    os.mkfifo(path)
    return path


def test_a_fifo_as_the_pricing_file_never_blocks(fifo: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    done = threading.Event()

    def configure() -> None:
        _configure_pricing(str(fifo))  # what init(pricing=...) does
        done.set()

    started = time.monotonic()
    threading.Thread(target=configure, daemon=True).start()
    assert done.wait(5), "init(pricing=<FIFO>) blocked"
    loader = prices._Overrides.loading
    assert loader is not None
    loader.join(5)
    assert not loader.is_alive(), "the pricing file's loader blocked on the FIFO"
    assert time.monotonic() - started < 5
    assert any("not a regular file" in r.getMessage() for r in caplog.records)
    assert len(prices.load_prices(str(fifo))) == 0
    prices.configure(None)


def test_a_regular_pricing_file_is_read_off_the_call_path(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text('{"models": [{"model": "house-model", "input_mtok": 1, "output_mtok": 2}]}')
    _configure_pricing(str(path))
    loader = prices._Overrides.loading
    assert loader is not None and loader is not threading.current_thread()
    pricer = prices.GenAIPrices()
    pricer.start_loading()
    assert pricer.wait_ready(30)
    assert pricer.cost("openai", "house-model", Usage(1_000_000, 0), lambda cost: None) == pytest.approx(1.0)
    prices.configure(None)
