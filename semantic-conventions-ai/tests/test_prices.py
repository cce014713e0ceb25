"""The default pricer: exactly genai-prices' numbers, never blocking, plus the user's own prices."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import genai_prices
import pytest

from opentelemetry.semconv_ai import PENDING, Request, Telemetry, Usage, prices, pricing
from opentelemetry.semconv_ai.testing import Capture

LLM = {"provider": "openai", "operation": "chat", "workflow": ""}


def library(model: str, provider_id: str, usage: Usage) -> float:
    """What genai-prices itself says for the same usage (its input_tokens include cached input)."""
    extra = {"output_reasoning_tokens": usage.reasoning_tokens} if usage.reasoning_tokens else {}
    calc = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_creation_tokens,
            **extra,
        ),
        model,
        provider_id=provider_id,
    )
    return float(calc.total_price)


@pytest.fixture(autouse=True)
def _no_overrides(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(prices.PRICING_FILE_ENV, raising=False)
    prices.configure(None)
    yield
    prices.configure(None)
    pricing.set_pricer(None)


@pytest.fixture(scope="module")
def loaded() -> prices.GenAIPrices:
    pricer = prices.GenAIPrices()
    pricer.start_loading()
    assert pricer.wait_ready(30)
    return pricer


def price(pricer: prices.GenAIPrices, provider: str, model: str, usage: Usage) -> Any:
    return pricer.cost(provider, model, usage, lambda cost: None)


@pytest.mark.parametrize(
    ("provider", "model", "provider_id", "usage"),
    [
        ("openai", "gpt-4o", "openai", Usage(1200, 350)),
        ("openai", "gpt-4o-2024-08-06", "openai", Usage(1200, 350, cache_read_tokens=1024)),
        ("openai", "gpt-4o-2024-05-13", "openai", Usage(1200, 350)),
        ("openai", "o3-mini", "openai", Usage(900, 2000, reasoning_tokens=1500)),
        ("anthropic", "claude-3-5-sonnet-20241022", "anthropic", Usage(5000, 400, 3000, 1500)),
        ("anthropic", "claude-sonnet-4-5-20250929", "anthropic", Usage(250_000, 900, 100_000, 20_000)),
        ("azure.ai.openai", "gpt-4o-mini", "azure", Usage(100, 20)),
        ("aws.bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0", "aws", Usage(100, 20, 10, 5)),
        ("gcp.vertex_ai", "gemini-2.5-pro", "google", Usage(300_000, 20, 1000)),
        ("deepseek", "deepseek-chat", "deepseek", Usage(100, 20, 10)),
        ("x_ai", "grok-3", "x-ai", Usage(100, 20)),
        ("mistral_ai", "mistral-large-latest", "mistral", Usage(100, 20)),
        ("groq", "llama-3.3-70b-versatile", "groq", Usage(100, 20)),
        ("perplexity", "sonar", "perplexity", Usage(100, 20)),
    ],
)
def test_cost_equals_genai_prices(
    loaded: prices.GenAIPrices, provider: str, model: str, provider_id: str, usage: Usage
) -> None:
    expected = library(model, provider_id, usage)
    assert expected > 0
    assert price(loaded, provider, model, usage) == expected


@pytest.mark.parametrize("provider_id", sorted(set(prices.PROVIDER_IDS.values())))
def test_every_model_of_the_mapped_providers_is_priced_from_a_plan_equal_to_the_library(
    loaded: prices.GenAIPrices, provider_id: str
) -> None:
    """The fast path must not drift from genai-prices, tiers and cache splits included."""
    catalog = loaded._catalog
    assert catalog is not None and catalog.units is not None
    (provider,) = [p for p in catalog.snapshot.providers if p.id == provider_id]
    usages = [Usage(5, 0), Usage(1000, 500, 100, 50, 20), Usage(300_000, 1234, 100_000, 20_000, 300)]
    now = datetime.now(tz=timezone.utc)
    for model in provider.models:
        terms = prices._plan(model.get_prices(now), catalog.units)
        assert terms is not None, model.id
        for usage in usages:
            expected = float(model.calc_price(catalog.usage(usage), provider).total_price)
            assert prices._apply(terms, usage) == expected, (model.id, usage)


def test_worked_examples(loaded: prices.GenAIPrices) -> None:
    # gpt-4o: $2.50 input, $1.25 cached input, $10 output per million tokens.
    expected = (800 * 2.5 + 200 * 1.25 + 500 * 10) / 1e6
    assert price(loaded, "openai", "gpt-4o", Usage(1000, 500, 200)) == expected
    # A dated snapshot resolves to its model's price.
    assert price(loaded, "openai", "gpt-4o-2024-08-06", Usage(1000, 500)) == 0.0075
    # Claude 3.5 Sonnet: $3 input, $0.30 cache read, $3.75 cache write, $15 output.
    assert price(loaded, "anthropic", "claude-3-5-sonnet-20241022", Usage(1000, 100, 500, 300)) == 0.003375


def test_unknown_models_and_providers_are_unpriced(loaded: prices.GenAIPrices) -> None:
    assert price(loaded, "openai", "no-such-model", Usage(10, 5)) is None
    assert price(loaded, "acme", "gpt-4o", Usage(10, 5)) is None
    # More cached input than input: genai-prices refuses it, and so do we.
    assert price(loaded, "openai", "gpt-4o", Usage(10, 5, cache_read_tokens=20)) is None


def test_nothing_touches_the_network() -> None:
    script = """
import socket
def refuse(*a, **k):
    raise AssertionError("network used")
socket.socket.connect = refuse
socket.getaddrinfo = refuse
import genai_prices.update_prices as updates
from opentelemetry.semconv_ai.prices import GenAIPrices
from opentelemetry.semconv_ai.pricing import Usage
pricer = GenAIPrices()
pricer.start_loading()
assert pricer.wait_ready(30)
assert pricer.cost("openai", "gpt-4o", Usage(1000, 0), print) == 0.0025
assert updates._shared_updater.thread is None
print("ok")
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "ok", run.stderr


class SlowCatalog(prices._Catalog):
    """genai-prices as if it took a long time to load: until `release` is set."""

    release = threading.Event()

    def __init__(self) -> None:
        assert self.release.wait(30)
        super().__init__()


def operation(telemetry: Telemetry, model: str, usage: Usage, provider: str = "openai") -> None:
    op = telemetry.start("chat", Request(model, provider))
    op.set_response(model=model)
    op.set_usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read=usage.cache_read_tokens,
        cache_creation=usage.cache_creation_tokens,
    )
    op.end()


def test_calls_made_while_prices_load_get_their_cost_later(
    capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prices, "_Catalog", SlowCatalog)
    SlowCatalog.release.clear()
    pricer = prices.GenAIPrices()
    pricing.set_pricer(pricer)
    telemetry = Telemetry("t", capture.tracer_provider, capture.meter_provider)
    for _ in range(3):
        operation(telemetry, "gpt-4o", Usage(1000, 100))  # returns while the loader is still blocked
    operation(telemetry, "mystery-model", Usage(10, 1))
    assert not pricer.wait_ready(0)
    assert capture.value("llm.requests", LLM) == 4
    assert "llm.cost.usd" not in capture.metrics()
    assert "llm.unpriced_requests" not in capture.metrics()

    SlowCatalog.release.set()
    assert pricer.wait_ready(30)
    expected = library("gpt-4o", "openai", Usage(1000, 100))
    assert capture.value("llm.cost.usd", LLM, model="gpt-4o") == pytest.approx(3 * expected, rel=1e-12)
    assert capture.count("llm.token.cost_per_request", LLM, model="gpt-4o") == 3
    assert capture.value("llm.token.cost_per_request", LLM, model="gpt-4o") == pytest.approx(3 * expected)
    assert capture.value("llm.unpriced_requests", LLM, model="mystery-model") == 1
    assert [p.attributes["model"] for p in capture.metrics()["llm.cost.usd"]] == ["gpt-4o"]


def test_past_the_pending_bound_calls_count_as_unpriced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prices, "_Catalog", SlowCatalog)
    SlowCatalog.release.clear()
    pricer = prices.GenAIPrices(max_pending=2)
    got: list[Any] = []
    answers = [pricer.cost("openai", "gpt-4o", Usage(1000, 0), got.append) for _ in range(3)]
    assert answers == [PENDING, PENDING, None]
    SlowCatalog.release.set()
    assert pricer.wait_ready(30)
    assert got == [0.0025, 0.0025]


def test_priced_and_unpriced_operations_in_the_core(capture: Capture, loaded: prices.GenAIPrices) -> None:
    pricing.set_pricer(loaded)
    telemetry = Telemetry("t", capture.tracer_provider, capture.meter_provider)
    usage = Usage(5000, 400, 3000, 1500)
    operation(telemetry, "claude-3-5-sonnet-20241022", usage, provider="anthropic")
    operation(telemetry, "claude-3-5-sonnet-20241022", usage, provider="anthropic")
    operation(telemetry, "local-llama", Usage(10, 2), provider="anthropic")
    claude = {"provider": "anthropic", "model": "claude-3-5-sonnet-20241022"}
    expected = library("claude-3-5-sonnet-20241022", "anthropic", usage)
    assert capture.value("llm.cost.usd", claude) == 2 * expected
    assert capture.count("llm.token.cost_per_request", claude) == 2
    assert capture.value("llm.unpriced_requests", claude) == 0
    assert capture.value("llm.unpriced_requests", model="local-llama") == 1
    assert {p.attributes["model"] for p in capture.metrics()["llm.cost.usd"]} == {claude["model"]}
    assert capture.count("llm.token.cost_per_request", model="local-llama") == 0
    spans = capture.spans()
    assert spans[0].attributes["gen_ai.usage.cost"] == expected
    assert "gen_ai.usage.cost" not in spans[2].attributes


# -- the user's prices ------------------------------------------------------------------------

OVERRIDES = {
    "models": [
        {"provider": "openai", "model": "my-ft-model", "input_mtok": 1.0, "output_mtok": 2.0},
        {
            "provider": "openai",
            "model": "gpt-4o",
            "input_mtok": 10,
            "output_mtok": 20,
            "cache_read_mtok": 1,
            "cache_write_mtok": 12.5,
        },
        {"model": "ft:gpt-4o-mini*", "input_mtok": 0.3, "output_mtok": 1.2, "cache_read_mtok": 0.15},
    ]
}


def test_user_prices_win_and_add_models(loaded: prices.GenAIPrices, tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(OVERRIDES))
    prices.configure(str(path))
    assert price(loaded, "openai", "my-ft-model", Usage(1000, 500)) == (1000 * 1.0 + 500 * 2.0) / 1e6
    assert (
        price(loaded, "openai", "GPT-4o", Usage(1000, 500, 200, 100))
        == (700 * 10 + 200 * 1 + 100 * 12.5 + 500 * 20) / 1e6
    )
    # A trailing * matches a prefix; no provider matches any provider.
    assert (
        price(loaded, "azure.ai.openai", "ft:gpt-4o-mini-2024-07-18:org::abc", Usage(1000, 0, 400))
        == (600 * 0.3 + 400 * 0.15) / 1e6
    )
    # Models the file does not name keep genai-prices' price.
    usage = Usage(1000, 0)
    assert price(loaded, "openai", "gpt-4o-mini", usage) == library("gpt-4o-mini", "openai", usage)
    prices.configure(None)
    assert price(loaded, "openai", "gpt-4o", Usage(1000, 0)) == 0.0025
    assert price(loaded, "openai", "my-ft-model", Usage(1000, 0)) is None


def test_user_prices_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(OVERRIDES))
    monkeypatch.setenv(prices.PRICING_FILE_ENV, str(path))
    prices._Overrides.configured = False  # as in a fresh process: read on first use
    pricer = prices.GenAIPrices()
    got: list[Any] = []
    assert pricer.cost("openai", "my-ft-model", Usage(1_000_000, 0), got.append) is PENDING
    assert pricer.wait_ready(30)
    assert got == [1.0]


def test_user_prices_from_a_dict(loaded: prices.GenAIPrices) -> None:
    prices.configure(OVERRIDES)
    assert price(loaded, "anthropic", "my-ft-model", Usage(0, 1_000_000)) is None  # provider must match
    assert price(loaded, "openai", "my-ft-model", Usage(0, 1_000_000)) == 2.0


def test_bad_files_and_entries_warn_and_are_skipped(
    loaded: prices.GenAIPrices, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "opentelemetry.semconv_ai")
    prices.configure(str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{not json")
    prices.configure(str(tmp_path / "bad.json"))
    prices.configure(
        {
            "models": [
                {"model": "a", "input_mtok": -1, "output_mtok": 1},
                {"model": "b", "input_mtok": 1},
                {"input_mtok": 1, "output_mtok": 1},
                {"model": "c", "input_mtok": 1, "output_mtok": float("nan")},
                {"model": "ok", "input_mtok": 1, "output_mtok": 1},
            ]
        }
    )
    assert len(prices._Overrides.prices) == 1
    assert price(loaded, "openai", "ok", Usage(1_000_000, 0)) == 1.0
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 6
    assert "missing.json" in warnings[0]
    assert "entry 0 ignored: input_mtok must be a non-negative number" in warnings[2]


def test_a_snapshot_installed_by_the_user_is_followed(loaded: prices.GenAIPrices) -> None:
    """Users who run genai-prices' own updater get its prices (we never start it ourselves)."""
    from decimal import Decimal

    from genai_prices import data_snapshot, types

    model = types.ModelInfo(
        id="gpt-4o",
        match=types.ClauseEquals(equals="gpt-4o"),
        prices=types.ModelPrice(input_mtok=Decimal(1), output_mtok=Decimal(2)),
    )
    openai = types.Provider(id="openai", name="OpenAI", api_pattern="", models=[model])
    assert price(loaded, "openai", "gpt-4o", Usage(1_000_000, 0)) == 2.5
    data_snapshot.set_custom_snapshot(data_snapshot.DataSnapshot(providers=[openai], from_auto_update=True))
    try:
        assert price(loaded, "openai", "gpt-4o", Usage(1_000_000, 1_000_000)) == 3.0
        assert price(loaded, "openai", "gpt-4o-mini", Usage(1_000_000, 0)) is None
    finally:
        data_snapshot.set_custom_snapshot(None)
    assert price(loaded, "openai", "gpt-4o", Usage(1_000_000, 0)) == 2.5
