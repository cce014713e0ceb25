"""LangChain as a real user of both SDKs: exact tokens on invoke, ainvoke, batch, stream and astream,
and one LLM span per call. ChatAnthropic makes every call through `with_raw_response` (async
`parse()`, and streams parsed from the raw response), which is what issues 17 and 18 were about.

ChatOpenAI reports stream usage only with `stream_usage=True` (or the instrumentor's
`inject_stream_usage`); both are documented in the OpenAI instrumentation's README.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from reliability_support import API_KEY, Toggle

from opentelemetry.semconv_ai import pricing
from opentelemetry.semconv_ai.testing import Capture

langchain_openai = pytest.importorskip("langchain_openai")
langchain_anthropic = pytest.importorskip("langchain_anthropic")

PROMPT = "count one two three four five"


@pytest.fixture
def capture(toggle: Toggle) -> Iterator[Capture]:
    pricing.set_pricer(pricing.NoPrices())
    toggle.on()
    yield toggle.capture
    pricing.set_pricer(None)


def models(mock: Any) -> dict[str, Any]:
    return {
        "openai": langchain_openai.ChatOpenAI(
            model="gpt-4o-mini",
            base_url=mock.openai_base_url,
            api_key=API_KEY,
            max_retries=0,
            stream_usage=True,
        ),
        "anthropic": langchain_anthropic.ChatAnthropic(
            model="claude-x", base_url=mock.anthropic_base_url, api_key=API_KEY, max_retries=0, max_tokens=64
        ),
    }


def usage_of(messages: list[Any]) -> tuple[int, int]:
    """What LangChain itself reports (the providers' own usage), summed over the calls."""
    metadata = [m.usage_metadata for m in messages]
    assert all(metadata), "LangChain reported no usage"
    return sum(m["input_tokens"] for m in metadata), sum(m["output_tokens"] for m in metadata)


def joined(chunks: list[Any]) -> Any:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def ours(capture: Capture, model: str) -> tuple[int, int]:
    return (
        int(capture.value("llm.tokens.usage", model=model, token_type="input")),
        int(capture.value("llm.tokens.usage", model=model, token_type="output")),
    )


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_langchain_calls_have_exact_tokens_and_one_span_each(
    capture: Capture, mock_provider: Any, provider: str
) -> None:
    chat = models(mock_provider)[provider]
    model = chat.model_name if provider == "openai" else chat.model

    async def async_calls() -> list[Any]:
        answer = await chat.ainvoke(PROMPT)
        streamed = joined([chunk async for chunk in chat.astream(PROMPT)])
        return [answer, streamed]

    replies = [chat.invoke(PROMPT)]
    replies += chat.batch([PROMPT, PROMPT])
    replies.append(joined(list(chat.stream(PROMPT))))
    replies += asyncio.run(async_calls())

    # The same prompt each time: every call, streamed or not, has the usage the provider reported for
    # the first (CONTRACT: streams report the numbers of the same call made without streaming).
    one_in, one_out = usage_of(replies[:1])
    assert ours(capture, model) == (6 * one_in, 6 * one_out)
    assert usage_of(replies[:3]) == (3 * one_in, 3 * one_out)  # invoke and batch, as LangChain saw them
    assert capture.value("llm.requests", model=model) == 6
    spans = [s for s in capture.spans() if s.name == f"chat {model}"]
    assert len(spans) == 6 == len(capture.spans())
    streamed = [s for s in spans if s.attributes.get("gen_ai.request.stream")]
    assert len(streamed) == 2
    for span in streamed:  # measured to the end of the body, with the events' usage
        assert span.attributes["gen_ai.usage.output_tokens"] > 0
    assert capture.count("gen_ai.client.operation.time_to_first_chunk", {"gen_ai.request.model": model}) == 2
