"""InvokeModel and its stream, for each model family, with real boto3 clients against the mock."""

from __future__ import annotations

import json
from typing import Any

import pytest
from bedrock_helpers import CLAUDE, PROFILE_ARN, body, client, one_span, tokens

from llm_mock import MockProvider
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import StatusCode

CLAUDE_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 50,
    "messages": [{"role": "user", "content": "hello there world"}],
}
# family -> (model id, request body, operation, input tokens, output tokens, finish reason)
FAMILIES = {
    "claude": (CLAUDE, CLAUDE_BODY, "chat", 3, 5, "stop"),
    "claude-arn": (PROFILE_ARN, CLAUDE_BODY, "chat", 3, 5, "stop"),
    "nova": (
        "us.amazon.nova-lite-v1:0",
        {
            "schemaVersion": "messages-v1",
            "messages": [{"role": "user", "content": [{"text": "hello there world"}]}],
            "inferenceConfig": {"maxTokens": 50},
        },
        "chat",
        3,
        5,
        "stop",
    ),
    "titan": (
        "amazon.titan-text-express-v1",
        {"inputText": "hello there world", "textGenerationConfig": {"maxTokenCount": 50, "temperature": 0.2}},
        "text_completion",
        3,
        5,
        "stop",
    ),
    "llama": (
        "us.meta.llama3-2-1b-instruct-v1:0",
        {"prompt": "hello there world", "max_gen_len": 50},
        "text_completion",
        3,
        5,
        "stop",
    ),
    "mistral": (
        "mistral.mistral-7b-instruct-v0:2",
        {"prompt": "hello there world", "max_tokens": 50},
        "text_completion",
        3,
        5,
        "stop",
    ),
    "cohere": (
        "cohere.command-text-v14",
        {"prompt": "hello there world", "max_tokens": 50},
        "text_completion",
        3,
        5,
        "stop",
    ),
    "cohere-chat": (
        "cohere.command-r-v1:0",
        {"message": "hello there world", "max_tokens": 50},
        "chat",
        3,
        5,
        "stop",
    ),
}
EMBEDDINGS = {
    "titan-embed": ("amazon.titan-embed-text-v2:0", {"inputText": "hello there world"}, 3),
    "cohere-embed": (
        "cohere.embed-english-v3",
        {"texts": ["hello there", "world"], "input_type": "search_query"},
        3,
    ),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_invoke_model_reads_each_family_body(client: Any, capture: Capture, family: str) -> None:
    model, request, operation, input_tokens, output_tokens, reason = FAMILIES[family]
    result = client.invoke_model(modelId=model, body=body(request))
    raw = result["body"].read()
    assert b"Mock reply: hello there world" in raw
    span = one_span(capture)
    assert span.name == f"{operation} {model}"
    assert span.attributes["gen_ai.request.max_tokens"] == 50
    assert span.attributes["gen_ai.usage.input_tokens"] == input_tokens
    assert span.attributes["gen_ai.usage.output_tokens"] == output_tokens
    assert span.attributes["gen_ai.response.finish_reasons"] == (reason,)
    assert (tokens(capture, "input", operation, model), tokens(capture, "output", operation, model)) == (3, 5)


@pytest.mark.parametrize("family", EMBEDDINGS)
def test_invoke_model_embeddings(client: Any, capture: Capture, family: str) -> None:
    model, request, input_tokens = EMBEDDINGS[family]
    result = json.loads(client.invoke_model(modelId=model, body=body(request))["body"].read())
    assert "embedding" in result or "embeddings" in result
    span = one_span(capture)
    assert span.name == f"embeddings {model}"
    assert span.attributes["gen_ai.usage.input_tokens"] == input_tokens
    assert "gen_ai.response.finish_reasons" not in span.attributes


def test_the_body_is_read_again_by_the_caller_in_pieces(client: Any, capture: Capture) -> None:
    whole = client.invoke_model(modelId=CLAUDE, body=body(CLAUDE_BODY))["body"].read()
    response = client.invoke_model(modelId=CLAUDE, body=body(CLAUDE_BODY).encode())["body"]
    pieces = []
    while piece := response.read(7):
        pieces.append(piece)
    again = json.loads(b"".join(pieces))
    assert again.pop("id") != json.loads(whole).pop("id")  # the mock numbers its message ids
    assert again == {k: v for k, v in json.loads(whole).items() if k != "id"}
    assert response.read() == b""
    lines = list(client.invoke_model(modelId=CLAUDE, body=body(CLAUDE_BODY))["body"].iter_lines())
    assert json.loads(lines[0])["type"] == "message"
    assert len(capture.spans()) == 3


def test_cache_headers_and_claude_cache_fields_count_into_input(
    mock_server: MockProvider, capture: Capture
) -> None:
    request = {
        **CLAUDE_BODY,
        "system": [
            {"type": "text", "text": "you are a careful assistant", "cache_control": {"type": "ephemeral"}}
        ],
    }
    bedrock = client(mock_server)
    for _ in range(2):
        bedrock.invoke_model(modelId=CLAUDE, body=body(request))["body"].read()
    write, read = (s.attributes for s in capture.spans())
    assert (write["gen_ai.usage.input_tokens"], write["gen_ai.usage.cache_creation.input_tokens"]) == (8, 5)
    assert (read["gen_ai.usage.input_tokens"], read["gen_ai.usage.cache_read.input_tokens"]) == (8, 5)


def test_headers_alone_give_the_tokens(mock_server: MockProvider, capture: Capture) -> None:
    """A family whose body has no usage (Mistral, Cohere) is counted from the token-count headers."""
    headers = {
        "x-amzn-bedrock-input-token-count": "11",
        "x-amzn-bedrock-output-token-count": "7",
        "x-amzn-bedrock-cache-read-input-token-count": "2",
        "x-amzn-bedrock-cache-write-input-token-count": "1",
    }
    mock_server.enqueue(body={"outputs": [{"text": "hi", "stop_reason": "length"}]}, headers=headers)
    client(mock_server).invoke_model(modelId="mistral.mistral-large", body=body({"prompt": "x"}))
    attributes = one_span(capture).attributes
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (14, 7)
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 2
    assert attributes["gen_ai.response.finish_reasons"] == ("length",)


def test_guardrail_intervention_on_invoke_model(mock_server: MockProvider, capture: Capture) -> None:
    bedrock = client(mock_server, {"x-mock-guardrail": "intervene"})
    bedrock.invoke_model(
        modelId=CLAUDE, body=body(CLAUDE_BODY), guardrailIdentifier="gr-1", guardrailVersion="1"
    )
    span = one_span(capture)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.response.finish_reasons"] == ("content_filter",)
    assert span.attributes["aws.bedrock.guardrail.id"] == "gr-1"


def test_invoke_model_content_capture(client: Any, capture: Capture) -> None:
    config.configure(capture_content=True)
    client.invoke_model(modelId=CLAUDE, body=body(CLAUDE_BODY))
    attributes = one_span(capture).attributes
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "hello there world"}]}
    ]
    assert json.loads(attributes["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Mock reply: hello there world"}],
            "finish_reason": "stop",
        }
    ]


def test_a_file_like_body_is_left_to_the_sdk(client: Any, capture: Capture) -> None:
    import io

    client.invoke_model(modelId=CLAUDE, body=io.BytesIO(body(CLAUDE_BODY).encode()))
    attributes = one_span(capture).attributes
    assert attributes["gen_ai.usage.input_tokens"] == 3  # from the response


# -- InvokeModelWithResponseStream ----------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_invoke_stream_reports_the_same_tokens(client: Any, capture: Capture, family: str) -> None:
    model, request, _operation, input_tokens, output_tokens, reason = FAMILIES[family]
    result = client.invoke_model_with_response_stream(modelId=model, body=body(request))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in result["body"]]
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 5
    span = one_span(capture)
    assert span.attributes["gen_ai.request.stream"] is True
    assert span.attributes["gen_ai.usage.input_tokens"] == input_tokens
    assert span.attributes["gen_ai.usage.output_tokens"] == output_tokens
    assert span.attributes["gen_ai.response.finish_reasons"] == (reason,)
    assert capture.count("gen_ai.client.operation.time_to_first_chunk") == 1


def test_invoke_stream_content_capture(client: Any, capture: Capture) -> None:
    config.configure(capture_content=True)
    list(client.invoke_model_with_response_stream(modelId=CLAUDE, body=body(CLAUDE_BODY))["body"])
    (output,) = json.loads(one_span(capture).attributes["gen_ai.output.messages"])
    assert output["parts"] == [{"type": "text", "content": "Mock reply: hello there world"}]


def test_invoke_stream_closed_early_ends_its_span(client: Any, capture: Capture) -> None:
    stream = client.invoke_model_with_response_stream(modelId=CLAUDE, body=body(CLAUDE_BODY))["body"]
    next(iter(stream))
    stream.close()
    assert one_span(capture).status.status_code is StatusCode.UNSET
