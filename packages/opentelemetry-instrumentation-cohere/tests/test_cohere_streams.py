"""`chat_stream`: the same numbers as `chat`, time to first chunk, and every way a stream can end."""

from __future__ import annotations

import gc
import json

import cohere
import pytest
from cohere_helpers import (
    MODEL,
    OLD_STREAM_CLOSE,
    SDK_STREAM_CLOSE_MARK,
    TOOL_CALL_OUTPUT,
    USER,
    call,
    genai_tokens,
    headers,
    llm,
    one_span,
    stream,
    tokens,
)

from llm_mock import MockProvider
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import StatusCode

pytestmark = [SDK_STREAM_CLOSE_MARK] if OLD_STREAM_CLOSE else []

MODES = ["sync", "async"]
GENAI = {"gen_ai.provider.name": "cohere"}


@pytest.mark.parametrize("mode", MODES)
def test_a_stream_reports_what_the_same_call_reports_unstreamed(
    mode: str, mock_provider: MockProvider, capture: Capture
) -> None:
    events = stream(mode, mock_provider, model=MODEL, messages=USER, max_tokens=64)
    unstreamed = call(mode, mock_provider, "chat", model=MODEL, messages=USER, max_tokens=64)

    kinds = [e.type for e in events]
    assert kinds[0] == "message-start" and kinds[-1] == "message-end"
    assert "".join(e.delta.message.content.text for e in events if e.type == "content-delta") == (
        unstreamed.message.content[0].text
    )
    streamed_span, plain_span = capture.spans()
    streamed, plain = dict(streamed_span.attributes or {}), dict(plain_span.attributes or {})
    assert streamed["gen_ai.request.stream"] is True
    assert streamed["gen_ai.response.id"] == events[0].id
    for key in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons"):
        assert streamed[key] == plain[key], key
    assert (tokens(capture, "input"), tokens(capture, "output")) == (6, 10)
    assert genai_tokens(capture, "output") == (2, 10)
    assert capture.count("gen_ai.client.operation.time_to_first_chunk", GENAI) == 1
    assert capture.count("gen_ai.client.operation.time_per_output_chunk", GENAI) == 1
    assert capture.value("llm.requests", llm()) == 2


def test_time_to_first_chunk_is_the_wait_for_the_first_event(
    mock_provider: MockProvider, capture: Capture
) -> None:
    stream("sync", mock_provider, model=MODEL, messages=USER, request_options=headers(ttft_ms="120"))

    ttfc = capture.value("gen_ai.client.operation.time_to_first_chunk", GENAI)
    assert 0.12 <= ttfc < capture.value("gen_ai.client.operation.duration", GENAI)


@pytest.mark.parametrize("mode", MODES)
def test_closing_early_ends_the_operation_without_invented_usage(
    mode: str, mock_provider: MockProvider, capture: Capture
) -> None:
    events = stream(mode, mock_provider, stop=lambda seen: len(seen) == 3, model=MODEL, messages=USER)

    assert len(events) == 3
    span = one_span(capture)
    attributes = dict(span.attributes or {})
    assert span.status.status_code == StatusCode.UNSET
    assert "gen_ai.usage.input_tokens" not in attributes and "gen_ai.usage.output_tokens" not in attributes
    assert capture.value("llm.requests", llm()) == 1
    assert capture.value("llm.operation.errors", llm()) == 0
    assert "llm.tokens.usage" not in capture.metrics()


def test_an_error_status_fails_the_stream_when_it_is_read(
    mock_provider: MockProvider, capture: Capture
) -> None:
    with pytest.raises(cohere.errors.UnauthorizedError):
        stream("sync", mock_provider, model=MODEL, messages=USER, request_options=headers(fail="401"))

    assert dict(one_span(capture).attributes or {})["error.type"] == "401"
    assert capture.value("llm.operation.errors", llm()) == 1


def test_a_stream_dropped_unread_ends_once(mock_server: MockProvider, capture: Capture) -> None:
    client = cohere.ClientV2(api_key="test-key", base_url=mock_server.url)
    events = client.chat_stream(model=MODEL, messages=USER)
    assert capture.spans() == []
    del events
    gc.collect()

    assert mock_server.request_count == 0  # the SDK sends the request when the stream is first read

    assert one_span(capture).status.status_code == StatusCode.UNSET
    assert capture.value("llm.requests", llm()) == 1


def test_streamed_tool_calls_are_captured_when_asked(mock_server: MockProvider, capture: Capture) -> None:
    config.configure(capture_content=True)
    stream("sync", mock_server, model=MODEL, messages=USER, request_options=headers(tool_call="lookup"))

    attributes = dict(one_span(capture).attributes or {})
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert attributes["gen_ai.usage.output_tokens"] == 4 + 4  # the plan's words and the arguments' words
    assert json.loads(attributes["gen_ai.output.messages"]) == TOOL_CALL_OUTPUT


def test_a_streamed_answer_is_seen_without_keeping_its_text(
    mock_provider: MockProvider, capture: Capture
) -> None:
    answered: list[bool | None] = []
    from opentelemetry.semconv_ai import add_end_hook, remove_end_hook

    def hook(op: object) -> None:
        answered.append(op.answered)  # type: ignore[attr-defined]

    add_end_hook(hook)
    try:
        stream("sync", mock_provider, model=MODEL, messages=USER)
        call("sync", mock_provider, "chat", model=MODEL, messages=USER, max_tokens=0)  # an empty reply
    finally:
        remove_end_hook(hook)
    assert answered == [True, False]
    assert "gen_ai.output.messages" not in dict(capture.spans()[0].attributes or {})
