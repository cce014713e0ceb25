"""NDJSON streams: the numbers of the final `done` object, time to first chunk, every way a stream ends."""

from __future__ import annotations

import gc
import json

import ollama
import pytest
from ollama_helpers import (
    MODEL,
    THINKS,
    USER,
    attributes,
    call,
    genai_tokens,
    llm,
    one_span,
    read_until,
    tokens,
)

from llm_mock import MockProvider
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import StatusCode

MODES = ["sync", "async"]
GENAI = {"gen_ai.provider.name": "ollama"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("method", "prompt", "operation"),
    [("chat", USER, "chat"), ("generate", "hello there world", "text_completion")],
)
def test_a_stream_reports_what_the_same_call_reports_unstreamed(
    mode: str, method: str, prompt: object, operation: str, mock_provider: MockProvider, capture: Capture
) -> None:
    chunks = call(mode, mock_provider, method, MODEL, prompt, stream=True)
    call(mode, mock_provider, method, MODEL, prompt)

    assert [c["done"] for c in chunks] == [False] * 5 + [True]
    streamed, unstreamed = (dict(s.attributes or {}) for s in capture.spans())
    assert streamed["gen_ai.request.stream"] is True
    for key in ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons",
                "gen_ai.response.model"):  # fmt: skip
        assert streamed[key] == unstreamed[key], key
    assert (tokens(capture, "input", operation), tokens(capture, "output", operation)) == (6, 10)
    assert genai_tokens(capture, "output") == (2, 10)
    assert capture.count("gen_ai.client.operation.time_to_first_chunk", GENAI) == 1
    assert capture.count("gen_ai.client.operation.time_per_output_chunk", GENAI) == 1


def test_time_to_first_chunk_is_the_wait_for_the_first_line(
    mock_provider: MockProvider, capture: Capture
) -> None:
    call("sync", mock_provider, "chat", MODEL, USER, stream=True, headers={"x-mock-ttft-ms": "120"})

    ttfc = capture.value("gen_ai.client.operation.time_to_first_chunk", GENAI)
    assert 0.12 <= ttfc < capture.value("gen_ai.client.operation.duration", GENAI)


@pytest.mark.parametrize("mode", MODES)
def test_closing_early_ends_the_operation_without_invented_usage(
    mode: str, mock_provider: MockProvider, capture: Capture
) -> None:
    chunks = read_until(mode, mock_provider, lambda seen: len(seen) == 2, MODEL, USER)

    assert len(chunks) == 2
    span = one_span(capture)
    assert span.status.status_code == StatusCode.UNSET
    assert not any(key.startswith("gen_ai.usage.") for key in dict(span.attributes or {}))
    assert capture.value("llm.requests", llm()) == 1
    assert "llm.tokens.usage" not in capture.metrics()


def test_an_error_line_in_the_stream_fails_the_operation(mock_server: MockProvider, capture: Capture) -> None:
    first = {"model": MODEL, "message": {"role": "assistant", "content": "Hi"}, "done": False}
    mock_server.enqueue(200, json.dumps(first) + '\n{"error": "model runner crashed"}\n')
    with pytest.raises(ollama.ResponseError, match="model runner crashed"):
        call("sync", mock_server, "chat", MODEL, USER, stream=True)

    # The SDK gives no status for an error inside a stream: the type is the exception's class.
    assert attributes(capture)["error.type"] == "ResponseError"
    assert capture.value("llm.operation.errors", llm()) == 1


def test_a_stream_dropped_unread_ends_once(mock_server: MockProvider, capture: Capture) -> None:
    stream = ollama.Client(host=mock_server.url).chat(MODEL, USER, stream=True)
    del stream
    gc.collect()

    assert mock_server.request_count == 0  # the request goes out when the stream is first read
    assert one_span(capture).status.status_code == StatusCode.UNSET
    assert capture.value("llm.requests", llm()) == 1


def test_streamed_content_is_joined_when_captured(mock_server: MockProvider, capture: Capture) -> None:
    config.configure(capture_content=True)
    call("sync", mock_server, "chat", MODEL, USER, stream=True, **({"think": True} if THINKS else {}))
    thinking = [{"type": "reasoning", "content": "Mock thinking: hello there world"}] if THINKS else []

    assert json.loads(attributes(capture)["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [*thinking, {"type": "text", "content": "Mock reply: hello there world"}],
            "finish_reason": "stop",
        }
    ]
