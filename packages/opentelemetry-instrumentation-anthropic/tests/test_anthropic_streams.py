"""Streams: `create(stream=True)` and `messages.stream()`, sync and async, read fully or left early."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import anthropic
import pytest
from anthropic_helpers import MODEL, USER, has, llm, one_span, run_async, tokens

from llm_mock import MockProvider
from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
from opentelemetry.semconv_ai.testing import Capture

# message_start, content_block_start, 5 text deltas, content_block_stop, message_delta, message_stop
EVENTS = 10
STREAM_PATHS = [p for p in ("messages", "beta.messages") if has(f"{p}.stream")]
CREATE_PATHS = [
    p for p in ("messages", "beta.messages", "beta.prompt_caching.messages") if has(f"{p}.create")
]


def resource(client: Any, path: str) -> Any:
    for name in path.split("."):
        client = getattr(client, name)
    return client


def assert_one_full_stream(capture: Capture) -> dict[str, Any]:
    span = one_span(capture)
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.request.stream"] is True
    assert attributes["gen_ai.usage.input_tokens"] == 3
    assert attributes["gen_ai.usage.output_tokens"] == 5
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["http.response.status_code"] == 200
    assert attributes["anthropic.request.id"].startswith("req_")
    assert capture.value("llm.requests", llm()) == 1
    assert capture.count("llm.operation.duration", llm()) == 1
    assert capture.count("gen_ai.client.operation.time_to_first_chunk") == 1
    assert capture.count("gen_ai.client.operation.time_per_output_chunk") == 1
    assert tokens(capture, "input") == 3
    assert tokens(capture, "output") == 5
    return attributes


@pytest.mark.parametrize("path", CREATE_PATHS)
def test_create_stream_sync(client: anthropic.Anthropic, capture: Capture, path: str) -> None:
    stream = resource(client, path).create(model=MODEL, max_tokens=64, messages=USER, stream=True)
    assert isinstance(stream, anthropic.Stream)
    events = [event.type for event in stream]

    assert len(events) == EVENTS
    assert_one_full_stream(capture)


@pytest.mark.parametrize("path", CREATE_PATHS)
def test_create_stream_async(async_options: dict[str, Any], capture: Capture, path: str) -> None:
    async def read(client: anthropic.AsyncAnthropic) -> list[str]:
        stream = await resource(client, path).create(model=MODEL, max_tokens=64, messages=USER, stream=True)
        assert isinstance(stream, anthropic.AsyncStream)
        return [event.type async for event in stream]

    assert len(run_async(async_options, read)) == EVENTS
    assert_one_full_stream(capture)


def test_create_stream_closed_early_ends_once(client: anthropic.Anthropic, capture: Capture) -> None:
    stream = client.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True)
    assert next(iter(stream)).type == "message_start"
    stream.close()
    del stream
    gc.collect()

    attributes = dict(one_span(capture).attributes or {})
    assert attributes["gen_ai.usage.input_tokens"] == 3
    assert "gen_ai.usage.output_tokens" not in attributes  # only message_delta has the output count
    assert capture.value("llm.requests", llm()) == 1
    assert capture.count("llm.operation.duration", llm()) == 1


@pytest.mark.parametrize("leave", ["close", "with", "drop"])
def test_create_stream_unread_ends_once(client: anthropic.Anthropic, capture: Capture, leave: str) -> None:
    stream = client.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True)
    if leave == "close":
        stream.close()
    elif leave == "with":
        with stream:
            pass
    assert capture.value("llm.requests", llm()) == (0 if leave == "drop" else 1)
    del stream
    gc.collect()

    span = one_span(capture)
    assert "gen_ai.usage.input_tokens" not in (span.attributes or {})
    assert capture.value("llm.requests", llm()) == 1
    assert capture.count("llm.operation.duration", llm()) == 1
    assert capture.count("gen_ai.client.operation.time_to_first_chunk") == 0


def test_async_create_stream_closed_unread_ends_once(async_options: dict[str, Any], capture: Capture) -> None:
    async def leave(client: anthropic.AsyncAnthropic) -> None:
        stream = await client.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True)
        async with stream:
            pass

    run_async(async_options, leave)
    gc.collect()

    one_span(capture)
    assert capture.value("llm.requests", llm()) == 1
    assert capture.count("llm.operation.duration", llm()) == 1


@pytest.mark.parametrize("path", STREAM_PATHS)
@pytest.mark.parametrize(
    "read", ["iterate", "text_stream", "get_final_message", "get_final_text", "until_done"]
)
def test_stream_helper_sync(client: anthropic.Anthropic, capture: Capture, path: str, read: str) -> None:
    with resource(client, path).stream(model=MODEL, max_tokens=64, messages=USER) as stream:
        if read == "iterate":
            assert "text" in [event.type for event in stream]
        elif read == "text_stream":
            assert "".join(stream.text_stream) == "Mock reply: hello there world"
        elif read == "get_final_message":
            assert stream.get_final_message().usage.output_tokens == 5
        elif read == "get_final_text":
            assert stream.get_final_text() == "Mock reply: hello there world"
        else:
            stream.until_done()
        # The operation ends with the stream, before the manager exits.
        assert capture.value("llm.requests", llm()) == 1

    assert_one_full_stream(capture)


@pytest.mark.parametrize("path", STREAM_PATHS)
@pytest.mark.parametrize(
    "read", ["iterate", "text_stream", "get_final_message", "get_final_text", "until_done"]
)
def test_stream_helper_async(async_options: dict[str, Any], capture: Capture, path: str, read: str) -> None:
    async def consume(client: anthropic.AsyncAnthropic) -> None:
        async with resource(client, path).stream(model=MODEL, max_tokens=64, messages=USER) as stream:
            if read == "iterate":
                assert "text" in [event.type async for event in stream]
            elif read == "text_stream":
                assert "".join([text async for text in stream.text_stream]) == "Mock reply: hello there world"
            elif read == "get_final_message":
                assert (await stream.get_final_message()).usage.output_tokens == 5
            elif read == "get_final_text":
                assert await stream.get_final_text() == "Mock reply: hello there world"
            else:
                await stream.until_done()

    run_async(async_options, consume)
    assert_one_full_stream(capture)


@pytest.mark.parametrize("read", [0, 1])
def test_stream_helper_left_early_ends_once(client: anthropic.Anthropic, capture: Capture, read: int) -> None:
    with client.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
        for _ in range(read):
            next(iter(stream.text_stream))
    assert capture.value("llm.requests", llm()) == 1
    del stream
    gc.collect()

    span = one_span(capture)
    attributes = dict(span.attributes or {})
    assert attributes.get("gen_ai.usage.input_tokens") == (3 if read else None)  # from message_start
    assert "gen_ai.usage.output_tokens" not in attributes
    assert span.status.is_ok
    assert capture.value("llm.requests", llm()) == 1
    assert capture.value("llm.operation.errors", llm()) == 0
    assert capture.count("llm.operation.duration", llm()) == 1
    assert capture.count("gen_ai.client.operation.time_to_first_chunk") == read


def test_async_stream_helper_left_early_ends_once(async_options: dict[str, Any], capture: Capture) -> None:
    async def leave(client: anthropic.AsyncAnthropic) -> None:
        async with client.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
            async for _ in stream.text_stream:
                break

    run_async(async_options, leave)
    gc.collect()

    one_span(capture)
    assert capture.value("llm.requests", llm()) == 1
    assert capture.count("llm.operation.duration", llm()) == 1


def test_stream_helper_not_entered_sends_nothing(
    client: anthropic.Anthropic, capture: Capture, mock_provider: MockProvider
) -> None:
    before = mock_provider.request_count
    client.messages.stream(model=MODEL, max_tokens=64, messages=USER)

    assert mock_provider.request_count == before
    assert capture.spans() == []
    assert capture.value("llm.requests") == 0


def test_time_to_first_chunk_is_within_the_operation(client: anthropic.Anthropic, capture: Capture) -> None:
    with client.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
        stream.until_done()

    [point] = capture.metrics()["gen_ai.client.operation.time_to_first_chunk"]
    [duration] = capture.metrics()["gen_ai.client.operation.duration"]
    assert point.count == 1
    assert 0 < point.sum <= duration.sum  # type: ignore[operator]


def test_a_dropped_stream_is_freed_as_promptly_as_without_instrumentation(
    client: anthropic.Anthropic, capture: Capture
) -> None:
    def freed_without_gc() -> bool:
        stream = client.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True)
        ref = weakref.ref(stream)
        del stream
        return ref() is None

    gc.disable()
    try:
        instrumentor = AnthropicInstrumentor()
        instrumentor.uninstrument()
        baseline = freed_without_gc()
        providers = {"tracer_provider": capture.tracer_provider, "meter_provider": capture.meter_provider}
        instrumentor.instrument(**providers)
        assert freed_without_gc() == baseline
    finally:
        gc.enable()
    gc.collect()
    assert capture.value("llm.requests", llm()) == 1
