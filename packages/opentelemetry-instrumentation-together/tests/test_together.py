"""Together through the real together client (1.x, and the generated 2.x/3.x) against the mock."""

from __future__ import annotations

import asyncio
import importlib.metadata
from typing import Any

import pytest
import together

from llm_mock import MockProvider
from opentelemetry.instrumentation.together import TogetherInstrumentor
from opentelemetry.semconv_ai import is_patched
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import StatusCode

MAJOR = int(importlib.metadata.version("together").split(".")[0])
MODEL = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
USER = [{"role": "user", "content": "hello there world"}]  # 3 tokens; "Mock reply: hello there world" 5
TTFC = "gen_ai.client.operation.time_to_first_chunk"


def labels(operation: str = "chat", model: str = MODEL) -> dict[str, str]:
    return {"model": model, "provider": "together", "operation": operation, "workflow": ""}


def tokens(
    capture: Capture, token_type: str, operation: str = "chat", model: str = MODEL
) -> tuple[float, float]:
    """(llm_tokens_usage_total, gen_ai_client_token_usage sum) of one token type."""
    llm = capture.value("llm.tokens.usage", {**labels(operation, model), "token_type": token_type})
    semconv = capture.value(
        "gen_ai.client.token.usage", {"gen_ai.token.type": token_type, "gen_ai.operation.name": operation}
    )
    return llm, semconv


def client(mock: MockProvider, is_async: bool = False, **headers: str) -> Any:
    # together 3.x adds /v1 to the host root itself; 1.x and 2.x take it in base_url.
    base_url = mock.base_url("together") + ("" if MAJOR >= 3 else "/v1")
    cls = together.AsyncTogether if is_async else together.Together
    options: dict[str, Any] = {"api_key": "test-key", "base_url": base_url, "max_retries": 0}
    if headers:
        options["supplied_headers" if MAJOR < 2 else "default_headers"] = headers
    return cls(**options)


def test_chat_create_and_stream(capture: Capture, mock_provider: MockProvider) -> None:
    c = client(mock_provider)
    reply = c.chat.completions.create(model=MODEL, messages=USER, max_tokens=64, top_p=0.9)
    assert reply.choices[0].message.content == "Mock reply: hello there world"
    chunks = list(c.chat.completions.create(model=MODEL, messages=USER, stream=True))
    assert chunks[-1].usage.completion_tokens == 5
    whole, streamed = capture.spans()
    for span in (whole, streamed):
        assert span.name == f"chat {MODEL}"
        assert span.attributes["gen_ai.provider.name"] == "together"
        assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)
        assert (
            span.attributes["gen_ai.usage.input_tokens"],
            span.attributes["gen_ai.usage.output_tokens"],
        ) == (3, 5)
        assert span.attributes["server.address"] == "127.0.0.1"
    assert (whole.attributes["gen_ai.request.max_tokens"], whole.attributes["gen_ai.request.top_p"]) == (
        64,
        0.9,
    )
    assert streamed.attributes["gen_ai.request.stream"] is True
    assert tokens(capture, "input") == (6, 6) and tokens(capture, "output") == (10, 10)
    assert capture.count(TTFC) == 1


def test_completions_and_embeddings(capture: Capture, mock_provider: MockProvider) -> None:
    c = client(mock_provider)
    c.completions.create(model="m-base", prompt="a b c")
    list(c.completions.create(model="m-base", prompt="a b c", stream=True))
    c.embeddings.create(model="m-embed", input=["one two", "three"])
    first, second, embedded = capture.spans()
    assert first.name == second.name == "text_completion m-base"
    assert tokens(capture, "input", "text_completion", "m-base") == (6, 6)
    assert tokens(capture, "output", "text_completion", "m-base") == (10, 10)
    assert embedded.name == "embeddings m-embed"
    assert embedded.attributes["gen_ai.usage.input_tokens"] == 3


def test_async(capture: Capture, mock_provider: MockProvider) -> None:
    async def body() -> None:
        c = client(mock_provider, is_async=True)
        await c.chat.completions.create(model=MODEL, messages=USER)
        stream = await c.chat.completions.create(model=MODEL, messages=USER, stream=True)
        async for _ in stream:
            pass
        await c.embeddings.create(model="m-embed", input="one two")
        close = getattr(c, "close", None)  # together 1.x keeps no connection pool of its own
        if close is not None:
            await close()

    asyncio.run(body())
    assert len(capture.spans()) == 3
    assert tokens(capture, "input") == (6, 6) and tokens(capture, "output") == (10, 10)
    assert capture.count(TTFC) == 1


def test_errors_reach_the_caller_unchanged(capture: Capture, mock_provider: MockProvider) -> None:
    c = client(mock_provider, **{"x-mock-fail": "429"})
    with pytest.raises(Exception) as raised:
        c.chat.completions.create(model=MODEL, messages=USER)
    assert "RateLimit" in type(raised.value).__name__
    (span,) = capture.spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] in ("rate_limit_exceeded", "429")
    assert capture.value("llm.operation.errors", labels()) == 1


def test_uninstrument_restores_exactly() -> None:
    module = importlib.import_module("together.resources.chat.completions")
    owner = getattr(module, "CompletionsResource", None) or module.ChatCompletions
    original = owner.__dict__["create"]
    instrumentor = TogetherInstrumentor()
    instrumentor.instrument()
    assert is_patched(owner.__dict__["create"])
    instrumentor.uninstrument()
    assert owner.__dict__["create"] is original


def test_opentelemetry_instrument_finds_it() -> None:
    """`opentelemetry-instrument` and `openllmetry.init()` load instrumentors by this entry point."""
    (entry,) = importlib.metadata.entry_points(group="opentelemetry_instrumentor", name="together")
    assert entry.load() is TogetherInstrumentor
