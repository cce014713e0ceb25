"""Bedrock and Vertex clients: their provider name, and the model name as the caller gave it."""

from __future__ import annotations

import inspect
from typing import Any

import anthropic
import pytest
from anthropic_helpers import NATIVE_TRACING, USER, llm, one_span

from llm_mock import MockProvider
from opentelemetry.instrumentation.anthropic.mapping import provider_of
from opentelemetry.semconv_ai.testing import Capture

BEDROCK_MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
VERTEX_MODEL = "claude-3-5-sonnet-v2@20241022"


def canned_message(model: str) -> dict[str, Any]:
    return {
        "id": "msg_platform",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": "hi there"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 7, "output_tokens": 2, "cache_read_input_tokens": 4},
    }


def vertex(mock: MockProvider, capture: Capture, cls: Any = anthropic.AnthropicVertex) -> Any:
    options: dict[str, Any] = {"region": "us-east5", "project_id": "proj", "access_token": "token"}
    if NATIVE_TRACING:
        options["open_telemetry"] = {"tracer_provider": capture.tracer_provider}
    return cls(base_url=mock.url, max_retries=0, **options)


def test_platform_clients_are_recognised() -> None:
    bedrock = anthropic.AnthropicBedrock(aws_region="us-east-1", aws_access_key="a", aws_secret_key="b")
    async_bedrock = anthropic.AsyncAnthropicBedrock(
        aws_region="us-east-1", aws_access_key="a", aws_secret_key="b"
    )
    google = anthropic.AnthropicVertex(region="us-east5", project_id="p", access_token="t")
    async_google = anthropic.AsyncAnthropicVertex(region="us-east5", project_id="p", access_token="t")
    plain = anthropic.Anthropic(api_key="k")

    assert [provider_of(c) for c in (bedrock, async_bedrock, google, async_google, plain)] == [
        "aws.bedrock", "aws.bedrock", "gcp.vertex_ai", "gcp.vertex_ai", "anthropic",
    ]  # fmt: skip


def test_vertex_call(mock_server: MockProvider, capture: Capture) -> None:
    mock_server.enqueue(body=canned_message(VERTEX_MODEL))
    client = vertex(mock_server, capture)
    client.messages.create(model=VERTEX_MODEL, max_tokens=64, messages=USER)

    span = one_span(capture)
    assert span.name == f"chat {VERTEX_MODEL}"
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert attributes["gen_ai.request.model"] == VERTEX_MODEL
    assert attributes["gen_ai.usage.input_tokens"] == 11
    labels = llm(model=VERTEX_MODEL, provider="gcp.vertex_ai")
    assert capture.value("llm.tokens.usage", {**labels, "token_type": "input"}) == 11
    assert capture.value("llm.tokens.details", {**labels, "token_type": "cache_read"}) == 4


@pytest.mark.skipif(
    "api_key" not in inspect.signature(anthropic.AnthropicBedrock.__init__).parameters,
    reason="Bedrock without an API key signs requests with botocore",
)
def test_bedrock_call(mock_server: MockProvider, capture: Capture) -> None:
    mock_server.enqueue(body=canned_message(BEDROCK_MODEL))
    options = {"open_telemetry": {"tracer_provider": capture.tracer_provider}} if NATIVE_TRACING else {}
    client = anthropic.AnthropicBedrock(
        api_key="bedrock-key", aws_region="us-east-1", base_url=mock_server.url, max_retries=0, **options
    )
    client.messages.create(model=BEDROCK_MODEL, max_tokens=64, messages=USER)

    attributes = dict(one_span(capture).attributes or {})
    assert attributes["gen_ai.provider.name"] == "aws.bedrock"
    assert attributes["gen_ai.request.model"] == BEDROCK_MODEL
    assert capture.value("llm.requests", llm(model=BEDROCK_MODEL, provider="aws.bedrock")) == 1
