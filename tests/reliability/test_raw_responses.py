"""Raw responses read through the SDK: async `with_raw_response` keeps tokens and cost (main lost them
and warned "coroutine 'AsyncAPIResponse.parse' was never awaited"), and raw streams
(`with_raw_response`, `with_streaming_response`) are measured to the end of the body with the usage
their events carry (main timed them to the headers, without tokens)."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import openai
import pytest
from reliability_support import API_KEY, Toggle

from opentelemetry.semconv_ai import pricing
from opentelemetry.semconv_ai.testing import Capture

MSG = [{"role": "user", "content": "one two three four five"}]
SLOW = {"x-mock-token-delay-ms": "20"}  # a body that takes a while after the headers


class Flat:
    def cost(self, provider: str, model: str, usage: Any, on_ready: Any) -> object:
        return 0.01


@pytest.fixture
def capture(toggle: Toggle) -> Iterator[Capture]:
    pricing.set_pricer(Flat())
    toggle.on()
    yield toggle.capture
    pricing.set_pricer(None)


def only_span(capture: Capture) -> Any:
    (span,) = capture.spans()
    return span


def test_anthropic_async_raw_response_keeps_tokens_and_cost(capture: Capture, mock_provider: Any) -> None:
    client = anthropic.AsyncAnthropic(
        base_url=mock_provider.anthropic_base_url, api_key=API_KEY, max_retries=0
    )

    async def call() -> Any:
        raw = await client.messages.with_raw_response.create(model="claude-x", max_tokens=20, messages=MSG)
        return await raw.parse()

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine ... was never awaited" is a RuntimeWarning
        message = asyncio.run(call())
    span = only_span(capture)
    assert span.attributes["gen_ai.usage.input_tokens"] == message.usage.input_tokens
    assert span.attributes["gen_ai.usage.output_tokens"] == message.usage.output_tokens
    assert capture.value("llm.cost.usd", model="claude-x") == pytest.approx(0.01)


def test_openai_async_raw_response_keeps_tokens(capture: Capture, mock_provider: Any) -> None:
    client = openai.AsyncOpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)

    async def call() -> Any:
        # openai's async with_raw_response gives a LegacyAPIResponse: parse() is not awaited there...
        raw = await client.chat.completions.with_raw_response.create(model="gpt-4o", messages=MSG)
        first = raw.parse()
        # ...and with_streaming_response an AsyncAPIResponse, whose parse() is.
        async with client.chat.completions.with_streaming_response.create(model="gpt-4o", messages=MSG) as r:
            second = await r.parse()
        return first, second

    completion, again = asyncio.run(call())
    assert [s.attributes["gen_ai.usage.output_tokens"] for s in capture.spans()] == [
        completion.usage.completion_tokens,
        again.usage.completion_tokens,
    ]


def read_raw_stream(kind: str, mock: Any, how: str) -> tuple[float, int]:
    """Read a raw stream to its end through the SDK; (seconds until its end, events seen)."""
    if kind == "openai":
        client: Any = openai.OpenAI(base_url=mock.openai_base_url, api_key=API_KEY, max_retries=0)
        create: Callable[..., Any] = client.chat.completions
        kwargs: dict[str, Any] = {"model": "gpt-4o", "stream_options": {"include_usage": True}}
    else:
        client = anthropic.Anthropic(base_url=mock.anthropic_base_url, api_key=API_KEY, max_retries=0)
        create = client.messages
        kwargs = {"model": "claude-x", "max_tokens": 20}
    started = time.perf_counter()
    kwargs.update(messages=MSG, stream=True, extra_headers=SLOW)
    if how == "raw":
        events = list(create.with_raw_response.create(**kwargs).parse())
    else:
        with create.with_streaming_response.create(**kwargs) as response:
            events = list(response.parse())
    return time.perf_counter() - started, len(events)


@pytest.mark.parametrize("how", ["raw", "streaming"])
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_raw_streams_are_measured_to_the_end_with_usage(
    capture: Capture, mock_provider: Any, kind: str, how: str
) -> None:
    elapsed, events = read_raw_stream(kind, mock_provider, how)
    span = only_span(capture)
    assert span.attributes["gen_ai.usage.input_tokens"] > 0
    assert span.attributes["gen_ai.usage.output_tokens"] > 0
    duration = (span.end_time - span.start_time) / 1e9
    assert duration > 0.05  # the body took 20 ms per token after the headers
    assert duration <= elapsed
    model = "gpt-4o" if kind == "openai" else "claude-x"
    assert capture.count("gen_ai.client.operation.time_to_first_chunk", {"gen_ai.request.model": model}) == 1
    assert capture.value("llm.cost.usd", model=model) == pytest.approx(0.01)
    assert events > 2


def test_a_raw_stream_never_parsed_ends_when_dropped(capture: Capture, mock_provider: Any) -> None:
    client = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o", messages=MSG, stream=True
    ) as r:
        lines = list(r.iter_lines())  # read by hand, not through the SDK
    del r
    assert lines
    assert capture.value("llm.requests", model="gpt-4o") == 1
    assert len(capture.spans()) == 1
