"""`chat`, `generate`, `embed` and `embeddings` on Client / AsyncClient: spans, exact tokens, no price."""

from __future__ import annotations

import json
import logging

import httpx
import ollama
import pytest
from ollama_helpers import (
    HAS_DIMENSIONS,
    MODEL,
    THINKS,
    USER,
    attributes,
    call,
    genai_tokens,
    llm,
    one_span,
    tokens,
)

from llm_mock import MockProvider
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import SpanKind, StatusCode

MODES = ["sync", "async"]


@pytest.mark.parametrize("mode", MODES)
def test_chat_records_one_operation_with_exact_tokens(
    mode: str, mock_provider: MockProvider, capture: Capture
) -> None:
    options = {"temperature": 0.1, "top_p": 0.9, "top_k": 20, "num_predict": 64, "seed": 3, "stop": ["STOP"]}
    reply = call(mode, mock_provider, "chat", MODEL, USER, options=options)

    assert reply["message"]["content"] == "Mock reply: hello there world"
    span = one_span(capture)
    assert (span.name, span.kind) == (f"chat {MODEL}", SpanKind.CLIENT)
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.provider.name"] == "ollama"
    assert attrs["gen_ai.operation.name"] == "chat"
    assert (attrs["server.address"], attrs["server.port"]) == ("127.0.0.1", mock_provider.port)
    assert attrs["gen_ai.request.temperature"] == 0.1
    assert attrs["gen_ai.request.top_p"] == 0.9
    assert attrs["gen_ai.request.top_k"] == 20
    assert attrs["gen_ai.request.max_tokens"] == 64
    assert attrs["gen_ai.request.seed"] == 3
    assert attrs["gen_ai.request.stop_sequences"] == ("STOP",)
    assert attrs["gen_ai.response.model"] == MODEL
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (3, 5)
    assert "gen_ai.input.messages" not in attrs and "gen_ai.output.messages" not in attrs
    assert capture.value("llm.requests", llm()) == 1
    assert capture.value("llm.operation.errors", llm()) == 0
    assert (tokens(capture, "input"), tokens(capture, "output")) == (3, 5)
    assert genai_tokens(capture, "input") == (1, 3)
    assert genai_tokens(capture, "output") == (1, 5)


@pytest.mark.parametrize("mode", MODES)
def test_generate_is_a_text_completion(mode: str, mock_provider: MockProvider, capture: Capture) -> None:
    reply = call(mode, mock_provider, "generate", MODEL, "hello there world", system="be brief",
                 options={"num_predict": 2}, format="json")  # fmt: skip

    assert reply["done_reason"] == "length"
    span = one_span(capture)
    assert span.name == f"text_completion {MODEL}"
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.operation.name"] == "text_completion"
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["gen_ai.response.finish_reasons"] == ("length",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (5, 2)
    assert tokens(capture, "input", "text_completion") == 5


@pytest.mark.parametrize("mode", MODES)
def test_a_cached_prompt_leaves_the_input_unknown(
    mode: str, mock_provider: MockProvider, capture: Capture
) -> None:
    reply = call(mode, mock_provider, "chat", MODEL, USER, headers={"x-mock-cache": "read"})

    assert reply.get("prompt_eval_count") is None  # Ollama leaves it out: nothing new was evaluated
    attrs = attributes(capture)
    assert "gen_ai.usage.input_tokens" not in attrs
    assert attrs["gen_ai.usage.output_tokens"] == 5
    assert tokens(capture, "output") == 5
    assert {p.attributes["token_type"] for p in capture.metrics()["llm.tokens.usage"]} == {"output"}
    assert genai_tokens(capture, "input") == (0, 0)  # not a zero-token sample


def test_local_models_count_as_unpriced_without_a_warning(
    mock_provider: MockProvider, capture: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    from opentelemetry.semconv_ai import prices, pricing

    pricer = prices.GenAIPrices()
    pricer.start_loading()
    assert pricer.wait_ready(30)
    pricing.set_pricer(pricer)
    try:
        with caplog.at_level(logging.INFO):
            for _ in range(3):
                call("sync", mock_provider, "chat", MODEL, USER)
    finally:
        pricing.set_pricer(None)
    assert capture.value("llm.unpriced_requests", llm()) == 3
    assert "llm.cost.usd" not in capture.metrics()
    assert [r for r in caplog.records if r.name.startswith("opentelemetry")] == []


@pytest.mark.parametrize("mode", MODES)
def test_embed_counts_its_input(mode: str, mock_provider: MockProvider, capture: Capture) -> None:
    dimensions = {"dimensions": 4} if HAS_DIMENSIONS else {}
    reply = call(mode, mock_provider, "embed", "nomic-embed-text", ["hello there", "world"], **dimensions)

    assert len(reply["embeddings"]) == 2
    span = one_span(capture)
    assert span.name == "embeddings nomic-embed-text"
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.embeddings.dimension.count"] == (4 if HAS_DIMENSIONS else 8)
    assert attrs["gen_ai.usage.input_tokens"] == 3
    assert "gen_ai.usage.output_tokens" not in attrs
    assert tokens(capture, "input", "embeddings", "nomic-embed-text") == 3


@pytest.mark.parametrize("mode", MODES)
def test_the_older_embeddings_reports_no_tokens(
    mode: str, mock_provider: MockProvider, capture: Capture
) -> None:
    reply = call(mode, mock_provider, "embeddings", "nomic-embed-text", "hello there")

    assert len(reply["embedding"]) == 8
    attrs = attributes(capture)
    assert attrs["gen_ai.operation.name"] == "embeddings"
    assert attrs["gen_ai.embeddings.dimension.count"] == 8
    assert not any(key.startswith("gen_ai.usage.") for key in attrs)
    assert capture.value("llm.requests", llm("embeddings", "nomic-embed-text")) == 1
    assert "llm.unpriced_requests" not in capture.metrics()  # nothing to price


@pytest.mark.parametrize("mode", MODES)
def test_an_error_is_typed_and_reaches_the_caller_unchanged(
    mode: str, mock_provider: MockProvider, capture: Capture
) -> None:
    with pytest.raises(ollama.ResponseError) as raised:
        call(mode, mock_provider, "chat", MODEL, USER, headers={"x-mock-fail": "404"})

    assert (raised.value.status_code, raised.value.error) == (404, "Injected error 404 (llm-mock).")
    span = one_span(capture)
    assert span.status.status_code == StatusCode.ERROR
    assert dict(span.attributes or {})["error.type"] == "404"
    assert capture.value("llm.operation.errors", llm()) == 1
    labels = {"gen_ai.provider.name": "ollama", "error.type": "404"}
    assert capture.count("gen_ai.client.operation.duration", labels) == 1


def test_an_unreachable_server_is_a_connection_error(capture: Capture) -> None:
    with pytest.raises((ConnectionError, httpx.ConnectError)) as raised:  # ollama 0.3 lets httpx's through
        ollama.Client(host="http://127.0.0.1:9").chat(MODEL, USER)

    attrs = attributes(capture)
    assert (attrs["server.address"], attrs["server.port"]) == ("127.0.0.1", 9)
    assert attrs["error.type"] == type(raised.value).__name__


@pytest.mark.parametrize("mode", MODES)
def test_content_is_captured_when_asked(mode: str, mock_server: MockProvider, capture: Capture) -> None:
    config.configure(capture_content=True)
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    think = {"think": True} if THINKS else {}
    call(mode, mock_server, "chat", MODEL, USER, tools=tools, headers={"x-mock-tool-call": "lookup"}, **think)

    attrs = attributes(capture)
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "hello there world"}]}
    ]
    assert json.loads(attrs["gen_ai.tool.definitions"])[0]["function"]["name"] == "lookup"
    thinking = [{"type": "reasoning", "content": "Mock thinking: hello there world"}] if THINKS else []
    arguments = {"query": "hello there world"}
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [*thinking, {"type": "tool_call", "id": None, "name": "lookup", "arguments": arguments}],
            "finish_reason": "stop",
        }
    ]
    assert attrs["gen_ai.usage.output_tokens"] == 4 + 5 * THINKS  # the arguments' and the thinking's words
