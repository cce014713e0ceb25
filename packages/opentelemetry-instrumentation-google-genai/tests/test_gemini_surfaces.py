"""Chats, automatic function calling, embeddings, count_tokens, content capture and uninstrument."""

from __future__ import annotations

import asyncio
import json
from importlib.metadata import entry_points

import pytest
from gemini_helpers import MODEL, PROMPT, PROVIDERS, client, llm, one_span, tokens
from gemini_tools import get_weather
from google.genai import models

from llm_mock import MockProvider
from opentelemetry.instrumentation.google_genai import GoogleGenAIInstrumentor
from opentelemetry.semconv_ai import config, get_pricer
from opentelemetry.semconv_ai.testing import Capture


def test_chat_gives_one_operation_per_message(mock_provider: MockProvider, capture: Capture):
    gemini = client(mock_provider)
    chat = gemini.chats.create(model=MODEL)
    assert chat.send_message(PROMPT).text == "Mock reply: hello there world"
    assert "".join(c.text for c in chat.send_message_stream("and again")) == "Mock reply: and again"
    first, second = capture.spans()
    assert first.attributes["gen_ai.usage.input_tokens"] == 3
    # The history is sent again: 3 + 5 (the first reply) + 2.
    assert (
        second.attributes["gen_ai.usage.input_tokens"],
        second.attributes["gen_ai.usage.output_tokens"],
    ) == (10, 4)
    assert capture.value("llm.requests", llm()) == 2
    assert mock_provider.request_count >= 2


def test_async_chat(mock_provider: MockProvider, capture: Capture):
    gemini = client(mock_provider, "gcp.vertex_ai")

    async def main() -> None:
        chat = gemini.aio.chats.create(model=MODEL)
        await chat.send_message(PROMPT)
        async for _ in await chat.send_message_stream("and again"):
            pass

    asyncio.run(main())
    assert capture.value("llm.requests", llm(provider="gcp.vertex_ai")) == 2
    assert tokens(capture, "output", provider="gcp.vertex_ai") == 5 + 4


@pytest.mark.parametrize("provider", PROVIDERS)
def test_automatic_function_calling_gives_one_operation_per_model_call(
    mock_server: MockProvider, capture: Capture, provider: str
):
    gemini = client(mock_server, provider, x_mock_tool_call="get_weather")
    tracer = capture.tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("user call") as parent:
        reply = gemini.models.generate_content(
            model=MODEL, contents="weather in Paris", config={"tools": [get_weather]}
        )
    assert reply.text == "Mock reply: weather in Paris"
    assert mock_server.request_count == 2
    calls = [s for s in capture.spans() if s.name.startswith("generate_content")]
    assert len(calls) == 2
    assert all(s.parent is not None and s.parent.span_id == parent.get_span_context().span_id for s in calls)
    # The first answers with a function call (its arguments are 4 words), the second with text.
    assert [s.attributes["gen_ai.usage.output_tokens"] for s in calls] == [4, 5]
    assert capture.value("llm.requests", llm(provider=provider)) == 2


def test_automatic_function_calling_in_a_chat_stream(mock_server: MockProvider, capture: Capture):
    gemini = client(mock_server, x_mock_tool_call="get_weather")
    chat = gemini.chats.create(model=MODEL, config={"tools": [get_weather]})
    text = "".join(c.text or "" for c in chat.send_message_stream("weather in Paris"))
    assert text == "Mock reply: weather in Paris"
    assert mock_server.request_count == 2
    assert capture.value("llm.requests", llm()) == 2
    assert tokens(capture, "output") == 4 + 5


def test_gemini_api_embeddings_report_no_tokens(mock_provider: MockProvider, capture: Capture):
    gemini = client(mock_provider)
    result = gemini.models.embed_content(model="text-embedding-004", contents=["one two", "three"])
    assert len(result.embeddings) == 2
    span = one_span(capture)
    assert span.name == "embeddings text-embedding-004"
    assert "gen_ai.usage.input_tokens" not in span.attributes
    assert capture.value("llm.requests", llm("embeddings", "text-embedding-004")) == 1


def test_vertex_embeddings_count_their_tokens(mock_provider: MockProvider, capture: Capture):
    gemini = client(mock_provider, "gcp.vertex_ai")
    gemini.models.embed_content(
        model="text-embedding-004", contents=["one two", "three"], config={"output_dimensionality": 4}
    )
    span = one_span(capture)
    assert span.attributes["gen_ai.usage.input_tokens"] == 3
    assert span.attributes["gen_ai.embeddings.dimension.count"] == 4
    assert (
        tokens(capture, "input", operation="embeddings", model="text-embedding-004", provider="gcp.vertex_ai")
        == 3
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_count_tokens_is_no_token_usage(mock_provider: MockProvider, capture: Capture, provider: str):
    gemini = client(mock_provider, provider)
    assert gemini.models.count_tokens(model=MODEL, contents=PROMPT).total_tokens == 3
    asyncio.run(gemini.aio.models.count_tokens(model=MODEL, contents=PROMPT))
    spans = capture.spans()
    assert [s.name for s in spans] == ["count_tokens gemini-2.5-flash"] * 2
    assert spans[0].attributes["gcp.gemini.count_tokens.total_tokens"] == 3
    assert capture.value("llm.requests", llm("count_tokens", provider=provider)) == 2
    assert tokens(capture, "input", operation="count_tokens", provider=provider) == 0


def test_content_is_off_by_default(mock_provider: MockProvider, capture: Capture):
    gemini = client(mock_provider)
    gemini.models.generate_content(model=MODEL, contents=PROMPT, config={"system_instruction": "be terse"})
    attrs = one_span(capture).attributes
    assert not any(key in attrs for key in ("gen_ai.input.messages", "gen_ai.output.messages"))
    assert "gen_ai.system_instructions" not in attrs


def test_content_when_asked(mock_provider: MockProvider, capture: Capture):
    config.configure(capture_content=True)
    gemini = client(mock_provider)
    gemini.models.generate_content(model=MODEL, contents=PROMPT, config={"system_instruction": "be terse"})
    turn = {"role": "user", "parts": [{"text": "hello"}, {"text": "again"}]}
    list(gemini.models.generate_content_stream(model=MODEL, contents=[turn]))
    plain, streamed = capture.spans()
    assert json.loads(plain.attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": PROMPT}]}
    ]
    assert json.loads(plain.attributes["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "be terse"}
    ]
    expected = [
        {"role": "assistant", "parts": [{"type": "text", "content": "Mock reply: hello there world"}]}
    ]
    expected[0]["finish_reason"] = "stop"
    assert json.loads(plain.attributes["gen_ai.output.messages"]) == expected
    assert json.loads(streamed.attributes["gen_ai.input.messages"]) == [
        {
            "role": "user",
            "parts": [{"type": "text", "content": "hello"}, {"type": "text", "content": "again"}],
        }
    ]
    assert json.loads(streamed.attributes["gen_ai.output.messages"])[0]["parts"] == [
        {"type": "text", "content": "Mock reply: hello again"}
    ]


def test_uninstrument_restores_the_sdk(mock_provider: MockProvider, capture: Capture):
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.uninstrument()
    gemini = client(mock_provider)
    gemini.models.generate_content(model=MODEL, contents=PROMPT)
    assert capture.spans() == []
    for cls in (models.Models, models.AsyncModels):
        for name in ("_generate_content", "_generate_content_stream", "embed_content", "count_tokens"):
            assert not getattr(cls.__dict__[name], "__opentelemetry_genai__", False)
    instrumentor.instrument(tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider)
    gemini.models.generate_content(model=MODEL, contents=PROMPT)
    assert len(capture.spans()) == 1


def test_entry_point_loads_the_instrumentor():
    """What `opentelemetry-instrument` and `openllmetry.init()` use to find it."""
    (found,) = [e for e in entry_points(group="opentelemetry_instrumentor") if e.name == "google_genai"]
    assert found.load() is GoogleGenAIInstrumentor
    assert GoogleGenAIInstrumentor().instrumentation_dependencies() == ("google-genai >= 1.0, < 4",)


def test_cost_of_a_priced_model(mock_provider: MockProvider, capture: Capture):
    pricer = get_pricer()
    pricer.start_loading()
    assert pricer.wait_ready(60)
    gemini = client(mock_provider)
    gemini.models.generate_content(model=MODEL, contents=PROMPT)
    assert 0 < capture.value("llm.cost.usd", llm()) < 0.001
    assert capture.count("llm.token.cost_per_request", llm()) == 1
