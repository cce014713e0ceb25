"""The same operations on aiobotocore clients (the async SDK), against the mock."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bedrock_helpers import CLAUDE, USER, body, llm, one_span, run_async, tokens
from botocore.exceptions import ClientError, EventStreamError

from llm_mock import MockProvider
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import StatusCode

CLAUDE_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 50,
    "messages": [{"role": "user", "content": "hello there world"}],
}


def test_async_converse(mock_provider: MockProvider, capture: Capture) -> None:
    result = run_async(mock_provider, lambda c: c.converse(modelId=CLAUDE, messages=USER))
    assert result["usage"]["outputTokens"] == 5
    attributes = one_span(capture).attributes
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (3, 5)
    assert (tokens(capture, "input"), tokens(capture, "output")) == (3, 5)


def test_async_converse_stream(mock_provider: MockProvider, capture: Capture) -> None:
    async def call(client: Any) -> list[Any]:
        result = await client.converse_stream(modelId=CLAUDE, messages=USER)
        return [event async for event in result["stream"]]

    events = run_async(mock_provider, call)
    assert events[-1]["metadata"]["usage"]["outputTokens"] == 5
    attributes = one_span(capture).attributes
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (3, 5)
    assert capture.count("gen_ai.client.operation.time_to_first_chunk") == 1


def test_async_stream_closed_early(mock_provider: MockProvider, capture: Capture) -> None:
    async def call(client: Any) -> None:
        stream = (await client.converse_stream(modelId=CLAUDE, messages=USER))["stream"]
        async for _ in stream:
            break
        stream.close()  # aiobotocore's close stays synchronous

    run_async(mock_provider, call)
    assert one_span(capture).status.status_code is StatusCode.UNSET


def test_async_exception_event_mid_stream(mock_provider: MockProvider, capture: Capture) -> None:
    async def call(client: Any) -> None:
        stream = (await client.converse_stream(modelId=CLAUDE, messages=USER))["stream"]
        async for _ in stream:
            pass

    with pytest.raises(EventStreamError):
        run_async(mock_provider, call, {"x-mock-stream-exception": "modelStreamErrorException"})
    assert one_span(capture).attributes["error.type"] == "modelStreamErrorException"


def test_async_error_is_typed(mock_provider: MockProvider, capture: Capture) -> None:
    with pytest.raises(ClientError) as raised:
        run_async(mock_provider, lambda c: c.converse(modelId=CLAUDE, messages=USER), {"x-mock-fail": "429"})
    assert type(raised.value).__name__ == "ThrottlingException"
    assert one_span(capture).attributes["error.type"] == "ThrottlingException"
    assert capture.value("llm.operation.errors", llm()) == 1


def test_async_invoke_model_body_read_again(mock_provider: MockProvider, capture: Capture) -> None:
    async def call(client: Any) -> bytes:
        response = (await client.invoke_model(modelId=CLAUDE, body=body(CLAUDE_BODY)))["body"]
        first = await response.read(10)
        return first + await response.read()

    assert json.loads(run_async(mock_provider, call))["usage"]["output_tokens"] == 5
    attributes = one_span(capture).attributes
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (3, 5)


def test_async_invoke_stream(mock_provider: MockProvider, capture: Capture) -> None:
    async def call(client: Any) -> list[Any]:
        result = await client.invoke_model_with_response_stream(modelId=CLAUDE, body=body(CLAUDE_BODY))
        return [json.loads(event["chunk"]["bytes"]) async for event in result["body"]]

    assert run_async(mock_provider, call)[-1]["type"] == "message_stop"
    attributes = one_span(capture).attributes
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (3, 5)
