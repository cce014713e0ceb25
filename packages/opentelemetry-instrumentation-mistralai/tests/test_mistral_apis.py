"""FIM, embeddings, content capture, the two SDK layouts and uninstrument()."""

from __future__ import annotations

import importlib
import json
import logging
from typing import Any

import pytest
from mistral_support import MAJOR, MODEL, TTFC, USER, Mistral, client_with_headers, llm, one_span, run, tokens

from llm_mock import MockProvider
from opentelemetry.instrumentation.mistralai import LAYOUTS, MistralAIInstrumentor
from opentelemetry.semconv_ai import config, is_patched
from opentelemetry.semconv_ai.testing import Capture

CODESTRAL = "codestral-latest"
LAYOUT = "mistralai.client" if MAJOR >= 2 else "mistralai"


def test_fim_complete_and_stream(capture: Capture, client: Any) -> None:
    reply = client.fim.complete(model=CODESTRAL, prompt="def add(a, b):", suffix="return total")
    assert reply.choices[0].message.content == "Mock reply: def add(a, b):"
    events = list(client.fim.stream(model=CODESTRAL, prompt="def add(a, b):", suffix="return total"))
    assert events[-1].data.usage.prompt_tokens == 5
    whole, streamed = capture.spans()
    for span in (whole, streamed):
        assert span.name == f"text_completion {CODESTRAL}"
        assert (
            span.attributes["gen_ai.usage.input_tokens"],
            span.attributes["gen_ai.usage.output_tokens"],
        ) == (
            5,
            5,
        )
    assert streamed.attributes["gen_ai.request.stream"] is True
    assert tokens(capture, "input", "text_completion", CODESTRAL) == 10
    assert capture.count(TTFC, {"gen_ai.operation.name": "text_completion"}) == 1


def test_fim_async(capture: Capture, client: Any) -> None:
    async def body() -> None:
        await client.fim.complete_async(model=CODESTRAL, prompt="x = 1")
        stream = await client.fim.stream_async(model=CODESTRAL, prompt="x = 1")
        async for _ in stream:
            pass

    run(body, client)
    assert len(capture.spans()) == 2
    assert tokens(capture, "output", "text_completion", CODESTRAL) == 2 * 5


def test_embeddings_sync_and_async(capture: Capture, client: Any) -> None:
    client.embeddings.create(model="mistral-embed", inputs=["one two", "three"])

    async def body() -> None:
        await client.embeddings.create_async(model="mistral-embed", inputs="four five six")

    run(body, client)
    first, second = capture.spans()
    assert first.name == "embeddings mistral-embed"
    assert first.attributes["gen_ai.usage.input_tokens"] == 3
    assert first.attributes["gen_ai.response.id"].startswith("embd-mock-")
    assert second.attributes["gen_ai.usage.input_tokens"] == 3
    assert "gen_ai.usage.output_tokens" not in first.attributes
    assert tokens(capture, "input", "embeddings", "mistral-embed") == 6
    assert tokens(capture, "output", "embeddings", "mistral-embed") == 0


def test_content_is_captured_only_when_asked(capture: Capture, client: Any) -> None:
    client.chat.complete(model=MODEL, messages=USER)
    assert not any(k.startswith("gen_ai.input") for k in one_span(capture).attributes)
    config.configure(capture_content=True)
    list(client.chat.stream(model=MODEL, messages=USER))
    attrs = capture.spans()[-1].attributes
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "hello there world"}]}
    ]
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Mock reply: hello there world"}],
            "finish_reason": "stop",
        }
    ]


def test_tool_call_output(capture: Capture, mock_provider: MockProvider) -> None:
    config.configure(capture_content=True)
    tools = [{"type": "function", "function": {"name": "search", "parameters": {"type": "object"}}}]
    client = client_with_headers(mock_provider.base_url("mistral"), {"x-mock-tool-call": "search"})
    reply = client.chat.complete(model=MODEL, messages=USER, tools=tools)
    assert reply.choices[0].finish_reason == "tool_calls"
    attrs = one_span(capture).attributes
    output = json.loads(attrs["gen_ai.output.messages"])
    (part,) = output[0]["parts"]
    assert (part["type"], part["name"], part["arguments"]) == (
        "tool_call",
        "search",
        {"query": "hello there world"},
    )
    assert part["id"].startswith("call_mock_") and output[0]["finish_reason"] == "tool_calls"
    assert json.loads(attrs["gen_ai.tool.definitions"])[0]["function"]["name"] == "search"


def test_the_installed_layout_is_patched_and_restored(mock_provider: MockProvider) -> None:
    chat = importlib.import_module(f"{LAYOUT}.chat").Chat
    original = chat.__dict__["complete"]
    instrumentor = MistralAIInstrumentor()
    instrumentor.instrument()
    try:
        assert is_patched(chat.__dict__["complete"]) and is_patched(chat.__dict__["stream_async"])
    finally:
        instrumentor.uninstrument()
    assert chat.__dict__["complete"] is original
    assert LAYOUT in LAYOUTS


def test_the_absent_layout_is_logged_once_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, "opentelemetry.instrumentation.mistralai")
    instrumentor = MistralAIInstrumentor()
    instrumentor.instrument()
    instrumentor.uninstrument()
    lines = [r.getMessage() for r in caplog.records if "is absent" in r.getMessage()]
    assert len(lines) == 1 and f"instrumenting {LAYOUT}.*" in lines[0]


def test_uninstrumented_calls_record_nothing(mock_provider: MockProvider) -> None:
    capture = Capture()
    instrumentor = MistralAIInstrumentor()
    instrumentor.instrument(tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider)
    instrumentor.uninstrument()
    Mistral(api_key="k", server_url=mock_provider.base_url("mistral")).chat.complete(
        model=MODEL, messages=USER
    )
    assert capture.spans() == [] and capture.value("llm.requests", llm()) == 0


def test_opentelemetry_instrument_finds_it() -> None:
    """`opentelemetry-instrument` and `openllmetry.init()` load instrumentors by this entry point."""
    import importlib.metadata

    (entry,) = importlib.metadata.entry_points(group="opentelemetry_instrumentor", name="mistralai")
    assert entry.load() is MistralAIInstrumentor
