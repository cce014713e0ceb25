"""`chat` on ClientV2 / AsyncClientV2: spans, billed-unit tokens in both families, cost, content, errors."""

from __future__ import annotations

import json

import cohere
import pytest
from cohere_helpers import (
    MODEL,
    PREAMBLE,
    TOOL_CALL_OUTPUT,
    USER,
    call,
    error_message,
    genai_tokens,
    headers,
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
def test_chat_records_one_operation_with_billed_tokens(
    mode: str, mock_provider: MockProvider, capture: Capture
) -> None:
    reply = call(
        mode, mock_provider, "chat", model=MODEL, messages=USER, max_tokens=64, temperature=0.2, p=0.9, k=40,
        stop_sequences=["STOP"], seed=7,
    )  # fmt: skip

    assert reply.message.content[0].text == "Mock reply: hello there world"
    assert (reply.usage.billed_units.input_tokens, reply.usage.tokens.input_tokens) == (3, 3 + PREAMBLE)
    span = one_span(capture)
    assert (span.name, span.kind) == (f"chat {MODEL}", SpanKind.CLIENT)
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.provider.name"] == "cohere"
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["server.address"] == "127.0.0.1"
    assert attributes["server.port"] == mock_provider.port
    assert attributes["gen_ai.request.max_tokens"] == 64
    assert attributes["gen_ai.request.temperature"] == 0.2
    assert attributes["gen_ai.request.top_p"] == 0.9
    assert attributes["gen_ai.request.top_k"] == 40
    assert attributes["gen_ai.request.seed"] == 7
    assert attributes["gen_ai.request.stop_sequences"] == ("STOP",)
    assert attributes["gen_ai.response.id"] == reply.id
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["cohere.chat.finish_reason"] == "COMPLETE"
    # Billed units, not usage.tokens (which adds the preamble the caller neither sent nor pays for).
    assert attributes["gen_ai.usage.input_tokens"] == 3
    assert attributes["gen_ai.usage.output_tokens"] == 5
    assert "gen_ai.request.stream" not in attributes
    assert "gen_ai.input.messages" not in attributes and "gen_ai.output.messages" not in attributes
    assert capture.value("llm.requests", llm()) == 1
    assert capture.value("llm.operation.errors", llm()) == 0
    assert capture.count("llm.operation.duration", llm()) == 1
    assert (tokens(capture, "input"), tokens(capture, "output")) == (3, 5)
    assert genai_tokens(capture, "input") == (1, 3)
    assert genai_tokens(capture, "output") == (1, 5)
    assert capture.count("gen_ai.client.operation.duration", {"gen_ai.provider.name": "cohere"}) == 1


@pytest.mark.usefixtures("priced")
def test_chat_is_priced_from_billed_units(mock_provider: MockProvider, capture: Capture) -> None:
    call("sync", mock_provider, "chat", model=MODEL, messages=USER)
    cost = (3 * 0.15 + 5 * 0.60) / 1_000_000
    assert capture.value("llm.cost.usd", llm()) == pytest.approx(cost)
    assert dict(one_span(capture).attributes or {})["gen_ai.usage.cost"] == pytest.approx(cost)
    assert capture.value("llm.unpriced_requests", llm()) == 0


def test_max_tokens_and_json_output(mock_provider: MockProvider, capture: Capture) -> None:
    reply = call(
        "sync", mock_provider, "chat", model=MODEL, messages=USER, max_tokens=2,
        response_format={"type": "json_object"},
    )  # fmt: skip
    assert reply.finish_reason == "MAX_TOKENS"
    attributes = dict(one_span(capture).attributes or {})
    assert attributes["gen_ai.response.finish_reasons"] == ("length",)
    assert attributes["gen_ai.output.type"] == "json"
    assert attributes["gen_ai.usage.output_tokens"] == 2


@pytest.mark.parametrize("mode", MODES)
def test_content_is_captured_only_when_asked(mode: str, mock_server: MockProvider, capture: Capture) -> None:
    config.configure(capture_content=True)
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    messages = [{"role": "system", "content": "be brief"}, *USER]
    call(mode, mock_server, "chat", model=MODEL, messages=messages, tools=tools,
         request_options=headers(tool_call="lookup"))  # fmt: skip

    attributes = dict(one_span(capture).attributes or {})
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
        {"role": "user", "parts": [{"type": "text", "content": "hello there world"}]},
    ]
    assert json.loads(attributes["gen_ai.tool.definitions"]) == tools
    assert json.loads(attributes["gen_ai.output.messages"]) == TOOL_CALL_OUTPUT


@pytest.mark.parametrize("mode", MODES)
def test_an_error_is_typed_and_reaches_the_caller_unchanged(
    mode: str, mock_server: MockProvider, capture: Capture
) -> None:
    with pytest.raises(cohere.errors.TooManyRequestsError) as raised:
        call(mode, mock_server, "chat", model=MODEL, messages=USER, request_options=headers(fail="429"))

    assert raised.value.status_code == 429
    assert error_message(raised.value) == "Rate limit reached (injected by llm-mock)."
    assert mock_server.request_count == 1
    span = one_span(capture)
    assert span.status.status_code == StatusCode.ERROR
    assert dict(span.attributes or {})["error.type"] == "429"
    assert capture.value("llm.requests", llm()) == 1
    assert capture.value("llm.operation.errors", llm()) == 1
    labels = {"gen_ai.provider.name": "cohere", "error.type": "429"}
    assert capture.count("gen_ai.client.operation.duration", labels) == 1


def test_retries_are_one_operation(mock_server: MockProvider, capture: Capture) -> None:
    mock_server.enqueue(503, {"message": "busy"}, headers={"retry-after-ms": "1", "retry-after": "0"})
    retries = {"max_retries": 1}  # older SDKs retry only when asked
    reply = call("sync", mock_server, "chat", model=MODEL, messages=USER, request_options=retries)

    assert reply.finish_reason == "COMPLETE"
    assert mock_server.request_count == 2
    assert one_span(capture).status.status_code == StatusCode.UNSET
    assert capture.value("llm.requests", llm()) == 1
    assert tokens(capture, "input") == 3


def test_v2_of_a_v1_client_is_instrumented_too(mock_provider: MockProvider, capture: Capture) -> None:
    client = cohere.Client(api_key="test-key", base_url=mock_provider.url)
    if not hasattr(client, "v2"):
        pytest.skip("this cohere has no Client().v2")
    client.v2.chat(model=MODEL, messages=USER)
    attributes = dict(one_span(capture).attributes or {})
    assert attributes["server.port"] == mock_provider.port
    assert attributes["gen_ai.usage.input_tokens"] == 3
