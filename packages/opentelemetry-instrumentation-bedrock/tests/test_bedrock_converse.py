"""Converse and ConverseStream with real boto3 clients against the mock's Bedrock protocol."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from bedrock_helpers import (
    CACHE_POINTS,
    CLAUDE,
    GUARDRAILS,
    USER,
    client,
    llm,
    one_span,
    semconv_tokens,
    tokens,
)
from botocore.exceptions import ClientError, EventStreamError

from llm_mock import MockProvider
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import StatusCode


def test_converse_records_span_and_both_token_families(client: Any, capture: Capture) -> None:
    result = client.converse(
        modelId=CLAUDE, messages=USER, inferenceConfig={"maxTokens": 100, "temperature": 0.5, "topP": 0.9}
    )
    assert result["output"]["message"]["content"] == [{"text": "Mock reply: hello there world"}]
    span = one_span(capture)
    assert span.name == f"chat {CLAUDE}"
    attributes = dict(span.attributes)
    assert attributes["gen_ai.provider.name"] == "aws.bedrock"
    assert attributes["gen_ai.request.model"] == CLAUDE
    assert attributes["gen_ai.request.max_tokens"] == 100
    assert attributes["gen_ai.request.temperature"] == 0.5
    assert attributes["gen_ai.request.top_p"] == 0.9
    assert attributes["gen_ai.usage.input_tokens"] == 3
    assert attributes["gen_ai.usage.output_tokens"] == 5
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["aws.request_id"] == result["ResponseMetadata"]["RequestId"]
    assert "gen_ai.input.messages" not in attributes and "gen_ai.output.messages" not in attributes
    assert (tokens(capture, "input"), tokens(capture, "output")) == (3, 5)
    assert (semconv_tokens(capture, "input"), semconv_tokens(capture, "output")) == (3, 5)
    assert capture.value("llm.requests", llm()) == 1


@pytest.mark.skipif(not CACHE_POINTS, reason="this botocore has no Converse cache points")
def test_cache_read_and_write_count_into_input(mock_server: MockProvider, capture: Capture) -> None:
    bedrock = client(mock_server)
    system = [{"text": "you are a careful assistant"}, {"cachePoint": {"type": "default"}}]
    first = bedrock.converse(modelId=CLAUDE, system=system, messages=USER)
    second = bedrock.converse(modelId=CLAUDE, system=system, messages=USER)
    assert first["usage"]["cacheWriteInputTokens"] == 5 and second["usage"]["cacheReadInputTokens"] == 5
    write, read = (dict(s.attributes) for s in capture.spans())
    assert (
        write["gen_ai.usage.input_tokens"] == 3 + 5 and write["gen_ai.usage.cache_creation.input_tokens"] == 5
    )
    assert read["gen_ai.usage.input_tokens"] == 3 + 5 and read["gen_ai.usage.cache_read.input_tokens"] == 5
    # input + output is the provider's own total
    assert (
        read["gen_ai.usage.input_tokens"] + read["gen_ai.usage.output_tokens"]
        == second["usage"]["totalTokens"]
    )
    assert tokens(capture, "input") == 16
    assert (tokens(capture, "cache_read"), tokens(capture, "cache_creation")) == (5, 5)


@pytest.mark.skipif(not GUARDRAILS, reason="this botocore has no Converse guardrailConfig")
def test_guardrail_intervention_is_a_finish_reason_not_an_error(
    mock_server: MockProvider, capture: Capture
) -> None:
    bedrock = client(mock_server, {"x-mock-guardrail": "intervene"})
    guardrail = {"guardrailIdentifier": "gr-123", "guardrailVersion": "1"}
    result = bedrock.converse(modelId=CLAUDE, messages=USER, guardrailConfig=guardrail)
    assert result["stopReason"] == "guardrail_intervened"
    span = one_span(capture)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.response.finish_reasons"] == ("content_filter",)
    assert span.attributes["aws.bedrock.stop_reason"] == "guardrail_intervened"
    assert span.attributes["aws.bedrock.guardrail.id"] == "gr-123"
    assert capture.value("llm.operation.errors", llm()) == 0


def test_content_capture_on_records_messages_and_tool_calls(
    mock_server: MockProvider, capture: Capture
) -> None:
    config.configure(capture_content=True)
    bedrock = client(mock_server, {"x-mock-tool-call": "search"})
    tools = {"tools": [{"toolSpec": {"name": "search", "inputSchema": {"json": {"type": "object"}}}}]}
    bedrock.converse(modelId=CLAUDE, system=[{"text": "be brief"}], messages=USER, toolConfig=tools)
    attributes = one_span(capture).attributes
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "hello there world"}]}
    ]
    assert json.loads(attributes["gen_ai.system_instructions"]) == [{"type": "text", "content": "be brief"}]
    assert json.loads(attributes["gen_ai.tool.definitions"])[0]["toolSpec"]["name"] == "search"
    (output,) = json.loads(attributes["gen_ai.output.messages"])
    assert output["finish_reason"] == "tool_call"
    assert output["parts"] == [
        {
            "type": "tool_call",
            "id": "tooluse_mock_1",
            "name": "search",
            "arguments": {"query": "hello there world"},
        }
    ]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"x-mock-fail": "429"}, "ThrottlingException"),
        ({"x-mock-fail": "400"}, "ValidationException"),
        ({"x-mock-bedrock-exception": "ModelNotReadyException"}, "ModelNotReadyException"),
    ],
)
def test_errors_are_typed_and_reach_the_caller_unchanged(
    mock_provider: MockProvider, capture: Capture, headers: dict[str, str], code: str
) -> None:
    bedrock = client(mock_provider, headers)
    with pytest.raises(ClientError) as raised:
        bedrock.converse(modelId=CLAUDE, messages=USER)
    assert type(raised.value) is getattr(bedrock.exceptions, code)
    span = one_span(capture)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == code
    assert span.attributes["aws.request_id"].startswith("req_")
    assert capture.value("llm.operation.errors", llm()) == 1
    assert capture.count("gen_ai.client.operation.duration", {"error.type": code}) == 1


# -- ConverseStream -----------------------------------------------------------------------------


def test_stream_reports_the_same_tokens_as_the_call_without_streaming(client: Any, capture: Capture) -> None:
    result = client.converse_stream(modelId=CLAUDE, messages=USER)
    events = list(result["stream"])
    assert "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e) == (
        "Mock reply: hello there world"
    )
    attributes = one_span(capture).attributes
    assert attributes["gen_ai.request.stream"] is True
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (3, 5)
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert (tokens(capture, "input"), tokens(capture, "output")) == (3, 5)
    assert capture.count("gen_ai.client.operation.time_to_first_chunk") == 1
    assert capture.count("gen_ai.client.operation.time_per_output_chunk") == 1


def test_stream_closed_early_ends_its_span(client: Any, capture: Capture) -> None:
    stream = client.converse_stream(modelId=CLAUDE, messages=USER)["stream"]
    next(iter(stream))
    assert capture.spans() == []
    stream.close()
    span = one_span(capture)
    assert span.status.status_code is StatusCode.UNSET
    assert "gen_ai.usage.output_tokens" not in span.attributes


def test_stream_left_after_a_break_ends_when_collected(client: Any, capture: Capture) -> None:
    result = client.converse_stream(modelId=CLAUDE, messages=USER)
    for _ in result["stream"]:
        break
    del result, _
    gc.collect()
    assert len(capture.spans()) == 1


def test_stream_never_read_ends_when_collected(client: Any, capture: Capture) -> None:
    client.converse_stream(modelId=CLAUDE, messages=USER)
    gc.collect()
    assert len(capture.spans()) == 1


def test_exception_event_mid_stream_fails_the_operation(
    mock_provider: MockProvider, capture: Capture
) -> None:
    bedrock = client(mock_provider, {"x-mock-stream-exception": "throttlingException"})
    stream = bedrock.converse_stream(modelId=CLAUDE, messages=USER)["stream"]
    with pytest.raises(EventStreamError) as raised:
        list(stream)
    assert raised.value.response["Error"]["Code"] == "throttlingException"
    span = one_span(capture)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "throttlingException"
    assert capture.value("llm.operation.errors", llm()) == 1


def test_connection_cut_mid_stream_fails_the_operation(mock_provider: MockProvider, capture: Capture) -> None:
    bedrock = client(mock_provider, {"x-mock-fail": "cut", "x-mock-cut-after": "2"})
    stream = bedrock.converse_stream(modelId=CLAUDE, messages=USER)["stream"]
    with pytest.raises(Exception) as raised:
        list(stream)
    span = one_span(capture)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == type(raised.value).__name__


def test_stream_content_capture_joins_the_pieces(mock_server: MockProvider, capture: Capture) -> None:
    config.configure(capture_content=True)
    list(client(mock_server).converse_stream(modelId=CLAUDE, messages=USER)["stream"])
    (output,) = json.loads(one_span(capture).attributes["gen_ai.output.messages"])
    assert output == {
        "role": "assistant",
        "parts": [{"type": "text", "content": "Mock reply: hello there world"}],
        "finish_reason": "stop",
    }
    list(
        client(mock_server, {"x-mock-tool-call": "search"}).converse_stream(modelId=CLAUDE, messages=USER)[
            "stream"
        ]
    )
    (output,) = json.loads(capture.spans()[1].attributes["gen_ai.output.messages"])
    assert output["parts"] == [
        {
            "type": "tool_call",
            "id": "tooluse_mock_2",
            "name": "search",
            "arguments": {"query": "hello there world"},
        }
    ]
