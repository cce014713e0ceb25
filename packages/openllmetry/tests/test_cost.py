"""Cost with the real SDK clients against the mock provider: exactly genai-prices' numbers.

Only the instrumentors and the core are used, as under zero-code instrumentation: the cost comes
from the shared core, not from `openllmetry.init()`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import genai_prices
import openai
import pytest

from opentelemetry.semconv_ai import prices, pricing
from opentelemetry.semconv_ai.testing import Capture

openai_instrumentation = pytest.importorskip("opentelemetry.instrumentation.openai")
anthropic_instrumentation = pytest.importorskip("opentelemetry.instrumentation.anthropic")

PROMPT = [{"role": "user", "content": "how much does this cost"}]


def library(model: str, provider_id: str, usage: Any) -> float:
    """genai-prices' own answer for the usage an SDK response reports (its input includes cached input)."""
    if hasattr(usage, "prompt_tokens"):  # OpenAI
        details = usage.prompt_tokens_details
        counts = {
            "input_tokens": usage.prompt_tokens,
            "output_tokens": usage.completion_tokens,
            "cache_read_tokens": (details.cached_tokens if details else 0) or 0,
        }
    else:  # Anthropic: input_tokens is the uncached part only
        read, write = usage.cache_read_input_tokens or 0, usage.cache_creation_input_tokens or 0
        counts = {
            "input_tokens": usage.input_tokens + read + write,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": read,
            "cache_write_tokens": write,
        }
    calc = genai_prices.calc_price(genai_prices.Usage(**counts), model, provider_id=provider_id)
    return float(calc.total_price)


@pytest.fixture(scope="module")
def loaded() -> prices.GenAIPrices:
    pricer = prices.GenAIPrices()
    pricer.start_loading()
    assert pricer.wait_ready(30)
    return pricer


@pytest.fixture
def cap(loaded: prices.GenAIPrices) -> Iterator[Capture]:
    pricing.set_pricer(loaded)
    capture = Capture()
    instrumentors = [
        openai_instrumentation.OpenAIInstrumentor(),
        anthropic_instrumentation.AnthropicInstrumentor(),
    ]
    for instrumentor in instrumentors:
        instrumentor.instrument(
            tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider
        )
    yield capture
    for instrumentor in instrumentors:
        instrumentor.uninstrument()
    capture.shutdown()
    pricing.set_pricer(None)
    prices.configure(None)


@pytest.fixture
def oai(mock_provider: Any) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key="sk-test", max_retries=0)
    yield client
    client.close()


def labels(model: str, provider: str = "openai") -> dict[str, str]:
    return {"model": model, "provider": provider, "operation": "chat", "workflow": ""}


def test_openai_costs_equal_genai_prices(cap: Capture, oai: openai.OpenAI) -> None:
    plain = oai.chat.completions.create(model="gpt-4o", messages=PROMPT)
    cached = oai.chat.completions.create(
        model="gpt-4o-2024-08-06", messages=PROMPT, extra_headers={"x-mock-cached-tokens": "3"}
    )
    assert cached.usage is not None and cached.usage.prompt_tokens_details.cached_tokens == 3
    stream = oai.chat.completions.create(
        model="gpt-4o-mini", messages=PROMPT, stream=True, stream_options={"include_usage": True}
    )
    usage = [chunk.usage for chunk in stream if chunk.usage is not None][-1]

    for model, reported in (
        ("gpt-4o", plain.usage),
        ("gpt-4o-2024-08-06", cached.usage),
        ("gpt-4o-mini", usage),
    ):
        expected = library(model, "openai", reported)
        assert expected > 0
        assert cap.value("llm.cost.usd", labels(model)) == expected
        assert cap.count("llm.token.cost_per_request", labels(model)) == 1
        assert cap.value("llm.token.cost_per_request", labels(model)) == expected
    # The dated snapshot is priced as gpt-4o: $2.50 input, $1.25 cached input, $10 output per million.
    assert cached.usage.prompt_tokens == 5 and cached.usage.completion_tokens == 7  # "Mock reply: " + prompt
    assert cap.value("llm.cost.usd", labels("gpt-4o-2024-08-06")) == (2 * 2.5 + 3 * 1.25 + 7 * 10) / 1e6
    assert "llm.unpriced_requests" not in cap.metrics()


def test_anthropic_cache_write_and_read_are_priced(cap: Capture, mock_server: Any) -> None:
    client = anthropic.Anthropic(
        base_url=mock_server.anthropic_base_url, api_key="sk-ant-test", max_retries=0
    )
    system = [
        {"type": "text", "text": "a long and stable system prompt", "cache_control": {"type": "ephemeral"}}
    ]
    model = "claude-3-5-sonnet-20241022"
    usages = []
    for mode in ("write", "read"):
        reply = client.messages.create(
            model=model, max_tokens=64, system=system, messages=PROMPT, extra_headers={"x-mock-cache": mode}
        )
        usages.append(reply.usage)
    client.close()
    write, read = usages
    assert write.cache_creation_input_tokens == 6 and read.cache_read_input_tokens == 6
    expected = [library(model, "anthropic", usage) for usage in usages]
    assert cap.value("llm.cost.usd", labels(model, "anthropic")) == expected[0] + expected[1]
    assert cap.count("llm.token.cost_per_request", labels(model, "anthropic")) == 2
    assert [s.attributes["gen_ai.usage.cost"] for s in cap.spans()] == expected
    # Claude 3.5 Sonnet: $3 input, $3.75 cache write, $0.30 cache read, $15 output per million.
    out = write.output_tokens
    assert expected[0] == (write.input_tokens * 3 + 6 * 3.75 + out * 15) / 1e6


def test_unpriced_models_count_and_add_no_cost(cap: Capture, oai: openai.OpenAI) -> None:
    for _ in range(2):
        oai.chat.completions.create(model="my-local-llama", messages=PROMPT)
    oai.chat.completions.create(model="gpt-4o", messages=PROMPT)
    assert cap.value("llm.unpriced_requests", labels("my-local-llama")) == 2
    assert cap.value("llm.unpriced_requests", labels("gpt-4o")) == 0
    assert {p.attributes["model"] for p in cap.metrics()["llm.cost.usd"]} == {"gpt-4o"}
    assert cap.count("llm.token.cost_per_request", labels("my-local-llama")) == 0


class SlowCatalog(prices._Catalog):
    release = threading.Event()

    def __init__(self) -> None:
        assert self.release.wait(30)
        super().__init__()


def test_calls_before_prices_load_still_get_their_cost(
    cap: Capture, oai: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prices, "_Catalog", SlowCatalog)
    SlowCatalog.release.clear()
    cold = prices.GenAIPrices()
    pricing.set_pricer(cold)
    reply = oai.chat.completions.create(model="gpt-4o", messages=PROMPT)  # returns while prices still load
    assert not cold.wait_ready(0)
    assert cap.value("llm.requests", labels("gpt-4o")) == 1
    assert "llm.cost.usd" not in cap.metrics() and "llm.unpriced_requests" not in cap.metrics()
    SlowCatalog.release.set()
    assert cold.wait_ready(30)
    assert cap.value("llm.cost.usd", labels("gpt-4o")) == library("gpt-4o", "openai", reply.usage)
    assert "llm.unpriced_requests" not in cap.metrics()


def test_a_pricing_file_overrides_and_adds_prices(cap: Capture, oai: openai.OpenAI, tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            {"models": [{"provider": "openai", "model": "my-ft-model", "input_mtok": 1, "output_mtok": 2}]}
        )
    )
    prices.configure(str(path))
    reply = oai.chat.completions.create(model="my-ft-model", messages=PROMPT)
    assert reply.usage is not None
    expected = (reply.usage.prompt_tokens * 1 + reply.usage.completion_tokens * 2) / 1e6
    assert cap.value("llm.cost.usd", labels("my-ft-model")) == expected
