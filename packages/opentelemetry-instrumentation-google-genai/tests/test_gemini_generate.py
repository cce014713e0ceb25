"""generate_content and generate_content_stream, sync and async, on the Gemini API and Vertex AI."""

from __future__ import annotations

import asyncio
import gc

import pytest
from gemini_helpers import (
    HAS_RESPONSE_ID,
    HAS_THOUGHTS,
    HAS_TOOL_USE_TOKENS,
    MODEL,
    PROMPT,
    PROVIDERS,
    client,
    genai_tokens,
    llm,
    one_span,
    tokens,
)
from google.genai import errors

from llm_mock import MockProvider
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import SpanKind, StatusCode


@pytest.mark.parametrize("provider", PROVIDERS)
def test_generate_content_records_one_operation(mock_provider: MockProvider, capture: Capture, provider: str):
    gemini = client(mock_provider, provider)
    reply = gemini.models.generate_content(
        model=MODEL, contents=PROMPT, config={"temperature": 0.5, "max_output_tokens": 50, "top_k": 3}
    )
    assert reply.text == "Mock reply: hello there world"
    span = one_span(capture)
    assert span.name == "generate_content gemini-2.5-flash"
    assert span.kind is SpanKind.CLIENT
    attrs = dict(span.attributes)
    assert attrs["gen_ai.provider.name"] == provider
    assert attrs["gen_ai.operation.name"] == "generate_content"
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.request.max_tokens"] == 50
    assert attrs["gen_ai.request.top_k"] == 3
    assert attrs["gen_ai.response.model"] == MODEL
    assert str(attrs.get("gen_ai.response.id")).startswith("gemini-mock-") or not HAS_RESPONSE_ID
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (3, 5)
    assert (attrs["server.address"], attrs["server.port"]) == ("127.0.0.1", mock_provider.port)
    assert capture.value("llm.requests", llm(provider=provider)) == 1
    assert capture.value("llm.operation.errors", llm(provider=provider)) == 0
    assert tokens(capture, "input", provider=provider) == 3
    assert tokens(capture, "output", provider=provider) == 5
    assert genai_tokens(capture, "input", provider) == 3
    assert genai_tokens(capture, "output", provider) == 5


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("gcp.gemini", "models/gemini-2.5-flash"),
        ("gcp.vertex_ai", "publishers/google/models/gemini-2.5-flash"),
        (
            "gcp.vertex_ai",
            "projects/test-project/locations/us-central1/publishers/google/models/gemini-2.5-flash",
        ),
    ],
)
def test_resource_names_are_the_model(
    mock_provider: MockProvider, capture: Capture, provider: str, model: str
):
    gemini = client(mock_provider, provider)
    gemini.models.generate_content(model=model, contents=PROMPT)
    span = one_span(capture)
    assert span.name == "generate_content gemini-2.5-flash"
    assert span.attributes["gen_ai.request.model"] == MODEL
    assert capture.value("llm.requests", llm(provider=provider)) == 1


def test_usage_rule(mock_provider: MockProvider, capture: Capture):
    """input = prompt (cached included) + tool-use prompt; output = candidates + thoughts; no double count."""
    headers = {
        "x_mock_cached_tokens": "4",
        "x_mock_reasoning_tokens": "6",
        "x_mock_tool_use_prompt_tokens": "2",
    }
    gemini = client(mock_provider, **headers)
    reply = gemini.models.generate_content(model=MODEL, contents=PROMPT)
    usage = reply.usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (7, 5, 20)
    # An SDK that drops a field (google-genai 1.0 has neither) cannot report it.
    tool_use, thoughts = (2 if HAS_TOOL_USE_TOKENS else 0), (6 if HAS_THOUGHTS else 0)
    assert tokens(capture, "input") == 7 + tool_use
    assert tokens(capture, "output") == 5 + thoughts
    assert tokens(capture, "input") + tokens(capture, "output") == 20 - (2 - tool_use) - (6 - thoughts)
    assert tokens(capture, "cache_read") == 4
    assert tokens(capture, "reasoning") == thoughts
    attrs = one_span(capture).attributes
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 4
    assert attrs.get("gen_ai.usage.reasoning.output_tokens") == (6 if HAS_THOUGHTS else None)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_stream_takes_the_last_chunk_not_a_sum(mock_provider: MockProvider, capture: Capture, provider: str):
    headers = {"x_mock_reasoning_tokens": "6", "x_mock_cached_tokens": "4"}
    gemini = client(mock_provider, provider, **headers)
    chunks = list(gemini.models.generate_content_stream(model=MODEL, contents=PROMPT))
    assert "".join(c.text for c in chunks) == "Mock reply: hello there world"
    assert len(chunks) == 5
    attrs = dict(one_span(capture).attributes)
    assert attrs["gen_ai.request.stream"] is True
    output = 11 if HAS_THOUGHTS else 5
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (7, output)
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert tokens(capture, "input", provider=provider) == 7
    assert tokens(capture, "output", provider=provider) == output
    assert (
        capture.count("gen_ai.client.operation.time_to_first_chunk", {"gen_ai.provider.name": provider}) == 1
    )
    assert (
        capture.count("gen_ai.client.operation.time_per_output_chunk", {"gen_ai.provider.name": provider})
        == 1
    )


def test_stream_left_early_or_closed_ends_its_span(mock_provider: MockProvider, capture: Capture):
    gemini = client(mock_provider)
    stream = gemini.models.generate_content_stream(model=MODEL, contents=PROMPT)
    for _ in stream:
        break
    del stream
    closed = gemini.models.generate_content_stream(model=MODEL, contents=PROMPT)
    next(closed)
    closed.close()
    del closed
    gc.collect()
    spans = capture.spans()
    assert len(spans) == 2
    assert all(span.status.status_code is not StatusCode.ERROR for span in spans)
    assert capture.value("llm.requests", llm()) == 2
    assert (
        capture.count("gen_ai.client.operation.time_to_first_chunk", {"gen_ai.provider.name": "gcp.gemini"})
        == 2
    )


def test_async_stream_left_early(mock_provider: MockProvider, capture: Capture):
    gemini = client(mock_provider)

    async def main() -> None:
        stream = await gemini.aio.models.generate_content_stream(model=MODEL, contents=PROMPT)
        async for _ in stream:
            break
        await stream.aclose()

    asyncio.run(main())
    gc.collect()
    assert one_span(capture).status.status_code is not StatusCode.ERROR
    assert capture.value("llm.requests", llm()) == 1


def test_stream_cut_mid_way_fails_the_operation(mock_provider: MockProvider, capture: Capture):
    gemini = client(mock_provider, x_mock_fail="cut")
    stream = gemini.models.generate_content_stream(model=MODEL, contents=PROMPT)
    received = []
    with pytest.raises(Exception) as caught:
        for chunk in stream:
            received.append(chunk.text)
    assert received == ["Mock", " reply:"]
    span = one_span(capture)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == type(caught.value).__name__
    assert capture.value("llm.operation.errors", llm()) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_errors_are_typed_and_reach_the_caller_unchanged(
    mock_provider: MockProvider, capture: Capture, provider: str
):
    gemini = client(mock_provider, provider, x_mock_fail="429")
    with pytest.raises(errors.ClientError) as caught:
        gemini.models.generate_content(model=MODEL, contents=PROMPT)
    assert caught.value.code == 429 and caught.value.status == "RESOURCE_EXHAUSTED"
    span = one_span(capture)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "RESOURCE_EXHAUSTED"
    assert span.attributes["http.response.status_code"] == 429
    assert capture.value("llm.operation.errors", llm(provider=provider)) == 1
    assert capture.value("llm.requests", llm(provider=provider)) == 1
    failed = {"error.type": "RESOURCE_EXHAUSTED", "gen_ai.provider.name": provider}
    assert capture.count("gen_ai.client.operation.duration", failed) == 1


def test_server_error_type(mock_provider: MockProvider, capture: Capture):
    gemini = client(mock_provider, x_mock_fail="503")
    with pytest.raises(errors.ServerError):
        gemini.models.generate_content(model=MODEL, contents=PROMPT)
    assert one_span(capture).attributes["error.type"] == "UNAVAILABLE"


def test_length_and_json(mock_provider: MockProvider, capture: Capture):
    gemini = client(mock_provider)
    gemini.models.generate_content(model=MODEL, contents=PROMPT, config={"max_output_tokens": 2})
    gemini.models.generate_content(
        model=MODEL, contents=PROMPT, config={"response_mime_type": "application/json"}
    )
    short, structured = capture.spans()
    assert short.attributes["gen_ai.response.finish_reasons"] == ("length",)
    assert short.attributes["gen_ai.usage.output_tokens"] == 2
    assert structured.attributes["gen_ai.output.type"] == "json"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_async_generate_and_stream(mock_provider: MockProvider, capture: Capture, provider: str):
    gemini = client(mock_provider, provider)
    aio = gemini.aio

    async def main() -> list[str]:
        await aio.models.generate_content(model=MODEL, contents=PROMPT)
        stream = await aio.models.generate_content_stream(model=MODEL, contents=PROMPT)
        return [chunk.text async for chunk in stream]

    assert "".join(asyncio.run(main())) == "Mock reply: hello there world"
    plain, streamed = capture.spans()
    for span in (plain, streamed):
        assert span.name == "generate_content gemini-2.5-flash"
        assert (
            span.attributes["gen_ai.usage.input_tokens"],
            span.attributes["gen_ai.usage.output_tokens"],
        ) == (3, 5)
    assert streamed.attributes["gen_ai.request.stream"] is True
    assert capture.value("llm.requests", llm(provider=provider)) == 2
    assert tokens(capture, "output", provider=provider) == 10
    assert (
        capture.count("gen_ai.client.operation.time_to_first_chunk", {"gen_ai.provider.name": provider}) == 1
    )


def test_async_error(mock_provider: MockProvider, capture: Capture):
    gemini = client(mock_provider, x_mock_fail="400")
    aio = gemini.aio
    with pytest.raises(errors.ClientError):
        asyncio.run(aio.models.generate_content(model=MODEL, contents=PROMPT))
    assert one_span(capture).attributes["error.type"] == "INVALID_ARGUMENT"
