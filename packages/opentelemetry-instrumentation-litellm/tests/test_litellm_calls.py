"""One LiteLLM call, one operation: chat, text, embeddings and responses, sync and async, streams."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import litellm
import pytest
from litellm_support import run

from opentelemetry.semconv_ai.testing import Capture

KEY = "sk-test"
HAS_RESPONSES = hasattr(litellm, "responses")  # LiteLLM 1.63 and later
USER = [{"role": "user", "content": "hello there world"}]  # 3 input tokens; the reply has 5


def routes(mock: Any) -> dict[str, dict[str, Any]]:
    return {
        "openai": {"model": "openai/gpt-4o-mini", "api_base": mock.openai_base_url, "api_key": KEY},
        "anthropic": {
            "model": "anthropic/claude-3-5-haiku-20241022",
            "api_base": mock.anthropic_base_url,
            "api_key": KEY,
        },
    }


def labels(provider: str, model: str, operation: str = "chat") -> dict[str, str]:
    return {"model": model, "provider": provider, "operation": operation, "workflow": ""}


def only_span(capture: Capture) -> Any:
    spans = capture.spans()
    assert [s.instrumentation_scope.name for s in spans] == ["opentelemetry.instrumentation.litellm"]
    return spans[0]


def assert_tokens(capture: Capture, match: dict[str, str], inputs: int | None, outputs: int | None) -> None:
    for kind, expected in (("input", inputs), ("output", outputs)):
        got = capture.value("llm.tokens.usage", {**match, "token_type": kind})
        assert got == (expected or 0), kind
        genai = {
            "gen_ai.provider.name": match["provider"],
            "gen_ai.request.model": match["model"],
            "gen_ai.operation.name": match["operation"],
            "gen_ai.token.type": kind,
        }
        assert capture.value("gen_ai.client.token.usage", genai) == (expected or 0)
    assert capture.value("llm.requests", match) == 1


async def drain(stream: Any, limit: int | None = None, is_async: bool = False) -> list[Any]:
    chunks = []
    if is_async:
        async for chunk in stream:
            chunks.append(chunk)
            if limit and len(chunks) >= limit:
                break
    else:
        for chunk in stream:
            chunks.append(chunk)
            if limit and len(chunks) >= limit:
                break
    return chunks


# OpenAI's route runs the conformance suite (test_litellm_conformance.py).
@pytest.mark.parametrize("provider", ["anthropic"])
@pytest.mark.parametrize("is_async", [False, True])
def test_chat(capture: Capture, mock_provider: Any, provider: str, is_async: bool) -> None:
    route = routes(mock_provider)[provider]
    if is_async:
        reply = run(litellm.acompletion(messages=USER, temperature=0.5, **route))
    else:
        reply = litellm.completion(messages=USER, temperature=0.5, **route)
    assert reply.choices[0].message.content == "Mock reply: hello there world"
    model = route["model"].split("/", 1)[1]
    span = only_span(capture)
    assert span.name == f"chat {model}"
    attrs = span.attributes
    assert attrs["gen_ai.provider.name"] == provider
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["server.address"] == "127.0.0.1" and attrs["server.port"] == mock_provider.port
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (3, 5)
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert "gen_ai.input.messages" not in attrs and "gen_ai.output.messages" not in attrs
    assert_tokens(capture, labels(provider, model), 3, 5)


# (provider, stream_options, tokens): the provider's own counts, whether or not the caller asked for them.
STREAMS = [
    ("openai", None, None),  # OpenAI sends usage only when asked
    ("anthropic", None, (3, 5)),  # Anthropic always does: LiteLLM keeps it from the caller, not from us
    ("anthropic", {"include_usage": True}, (3, 5)),
]


@pytest.mark.parametrize(("provider", "options", "expected"), STREAMS)
@pytest.mark.parametrize("is_async", [False, True])
def test_chat_stream(
    capture: Capture, mock_provider: Any, provider: str, options: Any, expected: Any, is_async: bool
) -> None:
    route = routes(mock_provider)[provider]

    async def call() -> list[Any]:
        kwargs = {"messages": USER, "stream": True, "stream_options": options, **route}
        stream = await litellm.acompletion(**kwargs) if is_async else litellm.completion(**kwargs)
        assert isinstance(stream, litellm.CustomStreamWrapper)
        return await drain(stream, is_async=is_async)

    chunks = run(call())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Mock reply: hello there world"
    model = route["model"].split("/", 1)[1]
    attrs = only_span(capture).attributes
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert_tokens(capture, labels(provider, model), *(expected or (None, None)))
    assert ("gen_ai.usage.input_tokens" in attrs) == (expected is not None)
    ttfc = {"gen_ai.provider.name": provider}
    assert capture.count("gen_ai.client.operation.time_to_first_chunk", ttfc) == 1


def test_stream_usage_is_never_estimated(capture: Capture, mock_server: Any) -> None:
    """Asked for usage, a provider that sends none gets LiteLLM's tokenizer estimate: not reported."""
    chunk = '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[%s]}'
    mock_server.enqueue(
        stream_events=[
            chunk % '{"index":0,"delta":{"role":"assistant","content":"four words right here"}}',
            chunk % '{"index":0,"delta":{},"finish_reason":"stop"}',
            "[DONE]",
        ]
    )
    route = routes(mock_server)["openai"]
    stream = litellm.completion(messages=USER, stream=True, stream_options={"include_usage": True}, **route)
    chunks = list(stream)
    assert chunks[-1].usage.completion_tokens > 0  # LiteLLM's own estimate, handed to the caller
    attrs = only_span(capture).attributes
    assert "gen_ai.usage.input_tokens" not in attrs and "gen_ai.usage.output_tokens" not in attrs
    assert not capture.metrics().get("llm.tokens.usage")
    assert capture.value("llm.unpriced_requests") == 0


def test_abandoned_stream_ends_once(capture: Capture, mock_provider: Any) -> None:
    route = routes(mock_provider)["anthropic"]
    stream = litellm.completion(messages=USER, stream=True, **route)
    assert len(run(drain(stream, limit=2))) == 2
    if hasattr(litellm.CustomStreamWrapper, "close"):
        stream.close()
    else:  # older LiteLLM: a dropped stream
        del stream
        gc.collect()
    attrs = only_span(capture).attributes
    # The input count came first; the output count so far is not the answer's.
    assert attrs["gen_ai.usage.input_tokens"] == 3 and "gen_ai.usage.output_tokens" not in attrs
    assert capture.value("llm.requests") == 1


@pytest.mark.parametrize("is_async", [False, True])
def test_text_embeddings_responses(capture: Capture, mock_provider: Any, is_async: bool) -> None:
    base = {"api_base": mock_provider.openai_base_url, "api_key": KEY}

    async def calls() -> None:
        def sync_or_async(name: str, **kwargs: Any) -> Any:
            return getattr(litellm, ("a" if is_async else "") + name)(**kwargs, **base)

        async def result(value: Any) -> Any:
            return await value if asyncio.iscoroutine(value) else value

        text = await result(
            sync_or_async("text_completion", model="openai/gpt-3.5-turbo-instruct", prompt="a b c")
        )
        assert text.choices[0].text == "Mock reply: a b c"
        vectors = await result(
            sync_or_async("embedding", model="openai/text-embedding-3-small", input=["a b c"])
        )
        assert len(vectors.data) == 1
        if not HAS_RESPONSES:
            return
        answer = await result(sync_or_async("responses", model="openai/gpt-4o-mini", input="a b c"))
        assert answer.usage.output_tokens == 5
        events = await drain(
            await result(sync_or_async("responses", model="openai/gpt-4o-mini", input="a b c", stream=True)),
            is_async=is_async,
        )
        assert events[-1].type == "response.completed"

    run(calls())
    assert [s.name for s in capture.spans()] == [
        "text_completion gpt-3.5-turbo-instruct",
        "embeddings text-embedding-3-small",
    ] + ["chat gpt-4o-mini"] * 2 * HAS_RESPONSES
    assert_tokens(capture, labels("openai", "gpt-3.5-turbo-instruct", "text_completion"), 3, 5)
    assert (
        capture.value("llm.tokens.usage", {**labels("openai", "text-embedding-3-small", "embeddings")}) == 3
    )
    chat = labels("openai", "gpt-4o-mini")
    assert capture.value("llm.requests", chat) == 2 * HAS_RESPONSES
    assert capture.value("llm.tokens.usage", {**chat, "token_type": "output"}) == 10 * HAS_RESPONSES


def test_text_completion_stream(capture: Capture, mock_provider: Any) -> None:
    stream = litellm.text_completion(
        model="openai/gpt-3.5-turbo-instruct",
        prompt="a b c",
        stream=True,
        stream_options={"include_usage": True},
        api_base=mock_provider.openai_base_url,
        api_key=KEY,
    )
    assert "".join(c.choices[0].text or "" for c in stream if c.choices) == "Mock reply: a b c"
    only_span(capture)
    assert_tokens(capture, labels("openai", "gpt-3.5-turbo-instruct", "text_completion"), 3, 5)
