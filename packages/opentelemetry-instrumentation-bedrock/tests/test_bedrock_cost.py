"""Cost from genai-prices: a regional inference-profile prefix prices as the model it names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import genai_prices
import pytest
from bedrock_helpers import CACHE_POINTS, USER, client, llm

from llm_mock import MockProvider
from opentelemetry.instrumentation.bedrock import BedrockInstrumentor
from opentelemetry.semconv_ai import prices, pricing
from opentelemetry.semconv_ai.testing import Capture, instrumented


@pytest.fixture
def priced() -> Iterator[Capture]:
    """genai-prices loaded (once per process), and the instrumentor recording onto a fresh capture."""
    if not isinstance(_PRICER.get("loaded"), prices.GenAIPrices):
        _PRICER["loaded"] = prices.GenAIPrices()
        _PRICER["loaded"].start_loading()
    assert _PRICER["loaded"].wait_ready(30)
    pricing.set_pricer(_PRICER["loaded"])
    yield from instrumented(BedrockInstrumentor)
    pricing.set_pricer(None)


_PRICER: dict[str, Any] = {}


def expected(model: str, usage: dict[str, Any]) -> float:
    read, write = usage.get("cacheReadInputTokens", 0), usage.get("cacheWriteInputTokens", 0)
    counts = genai_prices.Usage(
        input_tokens=usage["inputTokens"] + read + write,
        output_tokens=usage["outputTokens"],
        cache_read_tokens=read,
        cache_write_tokens=write,
    )
    return float(genai_prices.calc_price(counts, model, provider_id="aws").total_price)


@pytest.mark.parametrize(
    "model",
    [
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "eu.anthropic.claude-3-5-haiku-20241022-v1:0",
        "us.amazon.nova-lite-v1:0",
    ],
)
def test_regional_prefixes_keep_the_price(mock_server: MockProvider, priced: Capture, model: str) -> None:
    system: list[dict[str, Any]] = [{"text": "you are a careful assistant"}]
    if CACHE_POINTS:  # cache writes and reads are priced too
        system.append({"cachePoint": {"type": "default"}})
    bedrock = client(mock_server)
    usages = [bedrock.converse(modelId=model, system=system, messages=USER)["usage"] for _ in range(2)]
    cost = sum(expected(model, usage) for usage in usages)
    assert cost > 0
    assert priced.value("llm.cost.usd", llm(model=model)) == pytest.approx(cost, rel=1e-12)
    assert priced.count("llm.token.cost_per_request", llm(model=model)) == 2
    assert "llm.unpriced_requests" not in priced.metrics()


def test_an_unknown_model_is_counted_unpriced(mock_provider: MockProvider, priced: Capture) -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
    client(mock_provider).converse(modelId=arn, messages=USER)
    assert priced.value("llm.unpriced_requests", llm(model=arn)) == 1
