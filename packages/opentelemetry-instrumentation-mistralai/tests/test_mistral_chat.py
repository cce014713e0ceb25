"""chat.complete / chat.stream (sync and async) through the real mistralai client against the mock."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from mistral_support import MODEL, TTFC, USER, client_with_headers, llm, one_span, run, tokens

from llm_mock import MockProvider
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import SpanKind, StatusCode


def test_complete_one_span_exact_tokens(capture: Capture, client: Any) -> None:
    reply = client.chat.complete(model=MODEL, messages=USER, temperature=0.2, max_tokens=50, random_seed=7)
    assert reply.choices[0].message.content == "Mock reply: hello there world"
    span = one_span(capture)
    assert span.name == f"chat {MODEL}" and span.kind is SpanKind.CLIENT
    attrs = span.attributes
    assert attrs["gen_ai.provider.name"] == "mistral_ai"
    assert attrs["gen_ai.operation.name"] == "chat"
    assert (attrs["gen_ai.request.temperature"], attrs["gen_ai.request.max_tokens"]) == (0.2, 50)
    assert attrs["gen_ai.request.seed"] == 7
    assert attrs["gen_ai.response.id"].startswith("chatcmpl-mock-")
    assert attrs["gen_ai.response.model"] == MODEL
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (3, 5)
    assert attrs["server.address"] == "127.0.0.1" and isinstance(attrs["server.port"], int)
    assert "gen_ai.request.stream" not in attrs and "gen_ai.input.messages" not in attrs
    assert (tokens(capture, "input"), tokens(capture, "output")) == (3, 5)
    assert capture.value("gen_ai.client.token.usage", {"gen_ai.token.type": "input"}) == 3
    assert capture.value("gen_ai.client.token.usage", {"gen_ai.token.type": "output"}) == 5
    assert capture.value("llm.requests", llm()) == 1
    assert capture.value("llm.operation.errors", llm()) == 0
    assert capture.count(TTFC) == 0


def test_complete_async_and_json_output(capture: Capture, client: Any) -> None:
    async def body() -> Any:
        return await client.chat.complete_async(
            model=MODEL, messages=USER, response_format={"type": "json_object"}
        )

    reply = run(body, client)
    assert reply.choices[0].message.content.startswith('{"answer"')
    attrs = one_span(capture).attributes
    assert attrs["gen_ai.output.type"] == "json"
    assert (tokens(capture, "input"), tokens(capture, "output")) == (
        3,
        6,
    )  # {"answer": "..."} is one word more


def test_stream_exhausted(capture: Capture, client: Any) -> None:
    events = list(client.chat.stream(model=MODEL, messages=USER))
    assert "".join(e.data.choices[0].delta.content or "" for e in events) == "Mock reply: hello there world"
    attrs = one_span(capture).attributes
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (3, 5)
    assert (tokens(capture, "input"), tokens(capture, "output")) == (3, 5)
    assert capture.count(TTFC) == 1
    assert capture.count("gen_ai.client.operation.time_per_output_chunk") == 1


def test_stream_async_exhausted(capture: Capture, client: Any) -> None:
    async def body() -> list[Any]:
        stream = await client.chat.stream_async(model=MODEL, messages=USER)
        return [event async for event in stream]

    assert len(run(body, client)) == 7  # role, five words, finish
    assert (tokens(capture, "input"), tokens(capture, "output")) == (3, 5)
    assert capture.count(TTFC) == 1


def test_stream_left_early_ends_once_without_tokens(capture: Capture, client: Any) -> None:
    stream = client.chat.stream(model=MODEL, messages=USER)
    for _ in stream:
        break
    stream.close() if hasattr(stream, "close") else None
    del stream
    gc.collect()
    span = one_span(capture)
    assert span.status.status_code is not StatusCode.ERROR
    assert "gen_ai.usage.input_tokens" not in span.attributes
    assert capture.value("llm.requests", llm()) == 1
    assert capture.count(TTFC) == 1


def test_stream_garbage_collected_unread(capture: Capture, client: Any) -> None:
    client.chat.stream(model=MODEL, messages=USER)
    gc.collect()
    assert len(capture.spans()) == 1
    assert capture.value("llm.requests", llm()) == 1


def test_stream_cut_midway_is_an_error(capture: Capture, mock_provider: MockProvider) -> None:
    headers = {"x-mock-fail": "cut", "x-mock-cut-after": "2"}
    stream = client_with_headers(mock_provider.base_url("mistral"), headers).chat.stream(
        model=MODEL, messages=USER
    )
    with pytest.raises(Exception) as raised:
        for _ in stream:
            pass
    span = one_span(capture)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == type(raised.value).__name__
    assert capture.value("llm.operation.errors", llm()) == 1


def test_http_error_reaches_the_caller_unchanged(capture: Capture, mock_provider: MockProvider) -> None:
    client = client_with_headers(mock_provider.base_url("mistral"), {"x-mock-fail": "429"})
    with pytest.raises(Exception) as raised:
        client.chat.complete(model=MODEL, messages=USER)
    assert getattr(raised.value, "status_code", None) == 429
    span = one_span(capture)
    assert span.attributes["error.type"] in ("rate_limit_exceeded", "429")
    assert capture.value("llm.operation.errors", llm()) == 1
    assert capture.value("llm.requests", llm()) == 1


def test_context_manager_stream(capture: Capture, client: Any) -> None:
    stream = client.chat.stream(model=MODEL, messages=USER)
    if not hasattr(stream, "__enter__"):  # mistralai 1.x streams are plain generators
        list(stream)
    else:
        with stream as events:
            next(iter(events))
    assert len(capture.spans()) == 1
