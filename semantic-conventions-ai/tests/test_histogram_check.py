"""The fast histogram path checks itself against record() before it binds; on the SDK CI installs it binds."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import pytest

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.semconv_ai import Request, Telemetry, histogram_check, histograms, names
from opentelemetry.semconv_ai.histograms import Batcher


@pytest.fixture(autouse=True)
def _fresh_verdict() -> Iterator[None]:
    histogram_check.reset()
    yield
    histogram_check.reset()


def _run_operations(provider: MeterProvider) -> Any:
    telemetry = Telemetry("t", None, provider)
    for _ in range(2):
        op = telemetry.start(names.CHAT, Request("m", "acme", server_address="h", server_port=1))
        op.set_usage(input_tokens=3, output_tokens=2)
        op.end()
    return telemetry.metrics


def test_the_fast_path_binds_on_the_installed_sdk() -> None:
    assert histogram_check.fast_path_works(Batcher)
    provider = MeterProvider(metric_readers=[InMemoryMetricReader()], shutdown_on_exit=False)
    metrics = _run_operations(provider)
    cells = [cell for h in metrics._histograms.values() for cell in h._cells.values()]
    assert cells and all(cell.state == histograms._BOUND for cell in cells)
    provider.shutdown()


def test_the_installed_sdk_is_inside_the_declared_range() -> None:
    (requirement,) = [r for r in metadata.requires("openllmetry") or () if r.startswith("opentelemetry-sdk")]
    upper = re.search(r"<\s*([\d.]+)", requirement)
    assert upper, f"{requirement!r} has no upper bound"
    installed = tuple(int(p) for p in metadata.version("opentelemetry-sdk").split(".")[:2])
    assert installed < tuple(int(p) for p in upper.group(1).split(".")[:2])


def test_a_fast_path_that_disagrees_with_record_never_binds(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = histograms._merge

    def doubled(cell: Any, counts: list[int], total: float, low: float, high: float) -> None:
        real(cell, [2 * c for c in counts], total, low, high)  # an SDK whose fields changed meaning

    monkeypatch.setattr(histograms, "_merge", doubled)
    with caplog.at_level(logging.WARNING, logger="opentelemetry.semconv_ai"):
        assert not histogram_check.fast_path_works(Batcher)
    assert "using record()" in caplog.text
    provider = MeterProvider(metric_readers=[InMemoryMetricReader()], shutdown_on_exit=False)
    metrics = _run_operations(provider)
    cells = [cell for h in metrics._histograms.values() for cell in h._cells.values()]
    assert cells and all(cell.state == histograms._NEVER for cell in cells)
    provider.shutdown()
