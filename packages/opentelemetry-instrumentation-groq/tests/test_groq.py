"""Groq through the real groq client against the mock: usage of streams is in `x_groq.usage`."""

from __future__ import annotations

import asyncio
import gc
import importlib.metadata
from typing import Any

import groq
import httpx
import pytest

from llm_mock import MockProvider
from opentelemetry.instrumentation.groq import GroqInstrumentor
from opentelemetry.semconv_ai import is_patched
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import SpanKind, StatusCode

MODEL = "llama-3.1-8b-instant"
USER = [{"role": "user", "content": "hello there world"}]  # 3 tokens; "Mock reply: hello there world" 5
TTFC = "gen_ai.client.operation.time_to_first_chunk"
LABELS = {"model": MODEL, "provider": "groq", "operation": "chat", "workflow": ""}


def tokens(capture: Capture, token_type: str, **labels: str) -> tuple[float, float]:
    """(llm_tokens_usage_total, gen_ai_client_token_usage sum) of one token type."""
    llm = capture.value("llm.tokens.usage", {**LABELS, **labels, "token_type": token_type})
    semconv = capture.value("gen_ai.client.token.usage", {"gen_ai.token.type": token_type})
    return llm, semconv


def client(mock: MockProvider, **headers: str) -> groq.Groq:
    return groq.Groq(
        base_url=mock.base_url("groq"), api_key="gsk-test", max_retries=0, default_headers=headers
    )


def test_create(capture: Capture, mock_provider: MockProvider) -> None:
    reply = client(mock_provider).chat.completions.create(model=MODEL, messages=USER, temperature=0.5)
    assert reply.choices[0].message.content == "Mock reply: hello there world"
    (span,) = capture.spans()
    assert span.name == f"chat {MODEL}" and span.kind is SpanKind.CLIENT
    attrs = span.attributes
    assert attrs["gen_ai.provider.name"] == "groq"
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (3, 5)
    assert attrs["server.address"] == "127.0.0.1"
    assert tokens(capture, "input") == (3, 3) and tokens(capture, "output") == (5, 5)
    assert capture.value("llm.requests", LABELS) == 1


@pytest.mark.parametrize("ask_usage", [False, True])
def test_stream_usage_from_x_groq(capture: Capture, mock_provider: MockProvider, ask_usage: bool) -> None:
    extra = {"extra_body": {"stream_options": {"include_usage": True}}} if ask_usage else {}
    chunks = list(
        client(mock_provider).chat.completions.create(model=MODEL, messages=USER, stream=True, **extra)
    )
    assert chunks[-1 if not ask_usage else -2].x_groq.usage.completion_tokens == 5
    (span,) = capture.spans()
    assert span.attributes["gen_ai.request.stream"] is True
    assert (span.attributes["gen_ai.usage.input_tokens"], span.attributes["gen_ai.usage.output_tokens"]) == (
        3,
        5,
    )
    assert tokens(capture, "input") == (3, 3) and tokens(capture, "output") == (5, 5)  # never counted twice
    assert capture.count(TTFC) == 1


def test_async_create_and_stream(capture: Capture, mock_provider: MockProvider) -> None:
    async def body() -> None:
        async with groq.AsyncGroq(base_url=mock_provider.base_url("groq"), api_key="k", max_retries=0) as c:
            await c.chat.completions.create(model=MODEL, messages=USER)
            stream = await c.chat.completions.create(model=MODEL, messages=USER, stream=True)
            async for _ in stream:
                pass

    asyncio.run(body())
    assert len(capture.spans()) == 2
    assert tokens(capture, "input") == (6, 6) and tokens(capture, "output") == (10, 10)
    assert capture.count(TTFC) == 1


def test_stream_left_early_and_collected(capture: Capture, mock_provider: MockProvider) -> None:
    stream = client(mock_provider).chat.completions.create(model=MODEL, messages=USER, stream=True)
    next(iter(stream))
    del stream
    gc.collect()
    (span,) = capture.spans()
    assert span.status.status_code is not StatusCode.ERROR
    assert "gen_ai.usage.input_tokens" not in span.attributes


def test_cut_stream_and_rate_limit(capture: Capture, mock_provider: MockProvider) -> None:
    cut = client(mock_provider, **{"x-mock-fail": "cut"})
    with pytest.raises((groq.APIConnectionError, httpx.RemoteProtocolError)):  # as the bare SDK raises it
        list(cut.chat.completions.create(model=MODEL, messages=USER, stream=True))
    limited = client(mock_provider, **{"x-mock-fail": "429"})
    with pytest.raises(groq.RateLimitError):
        limited.chat.completions.create(model=MODEL, messages=USER)
    first, second = capture.spans()
    assert first.status.status_code is StatusCode.ERROR
    assert second.attributes["error.type"] == "rate_limit_exceeded"
    assert capture.value("llm.operation.errors", LABELS) == 2


def test_embeddings(capture: Capture, mock_provider: MockProvider) -> None:
    client(mock_provider).embeddings.create(model="nomic-embed-text-v1.5", input=["one two", "three"])
    (span,) = capture.spans()
    assert span.name == "embeddings nomic-embed-text-v1.5"
    assert span.attributes["gen_ai.usage.input_tokens"] == 3


def test_uninstrument_restores_exactly() -> None:
    from groq.resources.chat.completions import AsyncCompletions, Completions

    originals = (Completions.__dict__["create"], AsyncCompletions.__dict__["create"])
    instrumentor = GroqInstrumentor()
    instrumentor.instrument()
    assert is_patched(Completions.__dict__["create"]) and is_patched(AsyncCompletions.__dict__["create"])
    instrumentor.uninstrument()
    assert (Completions.__dict__["create"], AsyncCompletions.__dict__["create"]) == originals


def test_content_off_by_default(capture: Capture, mock_provider: Any) -> None:
    client(mock_provider).chat.completions.create(model=MODEL, messages=USER)
    assert not [k for k in capture.spans()[0].attributes if "messages" in k]


def test_opentelemetry_instrument_finds_it() -> None:
    """`opentelemetry-instrument` and `openllmetry.init()` load instrumentors by this entry point."""
    (entry,) = importlib.metadata.entry_points(group="opentelemetry_instrumentor", name="groq")
    assert entry.load() is GroqInstrumentor
