"""Chat completions: create, stream, parse, the .stream() helper, usage, attributes, abandoned streams."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from openai_support import (
    HAS_BETA_PARSE,
    HAS_CHAT_HELPER,
    HAS_CHAT_PARSE,
    accepted,
    call,
    drain,
    instrument,
    llm,
    make_client,
    no_tokens,
    only_span,
    run,
    tokens,
    user,
    with_usage,
)
from pydantic import BaseModel

from opentelemetry.instrumentation.openai import STREAM_USAGE_ENV
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import SpanKind

TTFC = "gen_ai.client.operation.time_to_first_chunk"


class Answer(BaseModel):
    answer: str


def test_create_records_one_span_and_exact_tokens(capture: Capture, client: Any) -> None:
    async def body() -> None:
        result = await call(client.chat.completions.create(model="gpt-4o", messages=user("hello there")))
        assert result.choices[0].message.content == "Mock reply: hello there"

    run(client, body)
    span = only_span(capture)
    assert span.name == "chat gpt-4o"
    assert span.kind is SpanKind.CLIENT
    attrs = span.attributes
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.response.model"] == "gpt-4o"
    assert attrs["gen_ai.response.id"].startswith("chatcmpl-mock-")
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (2, 4)
    assert attrs["server.address"] == "127.0.0.1"
    assert isinstance(attrs["server.port"], int)
    assert "gen_ai.request.stream" not in attrs
    assert tokens(capture, "input") == 2
    assert tokens(capture, "output") == 4
    assert capture.value("llm.requests", llm()) == 1
    assert capture.value("llm.operation.errors", llm()) == 0
    assert capture.count("llm.operation.duration", llm()) == 1
    assert capture.count("gen_ai.client.operation.duration", {"error.type": ""}) == 1
    assert capture.count(TTFC) == 0


def test_cached_and_reasoning_tokens(capture: Capture, client: Any) -> None:
    headers = {"x-mock-cached-tokens": "1", "x-mock-reasoning-tokens": "3"}

    async def body() -> None:
        await call(
            client.chat.completions.create(model="o3", messages=user("hello there"), extra_headers=headers)
        )

    run(client, body)
    attrs = only_span(capture).attributes
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 1
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 3
    # OpenAI's prompt_tokens already include the cached ones and completion_tokens the reasoning ones.
    assert tokens(capture, "input", model="o3") == 2
    assert tokens(capture, "output", model="o3") == 7
    details = {**llm(model="o3")}
    assert capture.value("llm.tokens.details", {**details, "token_type": "cache_read"}) == 1
    assert capture.value("llm.tokens.details", {**details, "token_type": "reasoning"}) == 3


_PARAMETERS = {
    "temperature": (0.2, "gen_ai.request.temperature", 0.2),
    "max_tokens": (50, "gen_ai.request.max_tokens", 50),
    "top_p": (0.9, "gen_ai.request.top_p", 0.9),
    "frequency_penalty": (0.5, "gen_ai.request.frequency_penalty", 0.5),
    "presence_penalty": (0.25, "gen_ai.request.presence_penalty", 0.25),
    "stop": (["END"], "gen_ai.request.stop_sequences", ("END",)),
    "seed": (7, "gen_ai.request.seed", 7),
    "n": (2, "gen_ai.request.choice.count", 2),
    "service_tier": ("default", "openai.request.service_tier", "default"),
}


def test_request_parameters_and_openai_attributes(capture: Capture, client: Any) -> None:
    from openai_support import CHAT

    given = accepted(CHAT, "create", **{key: value for key, (value, _, _) in _PARAMETERS.items()})

    async def body() -> None:
        await call(client.chat.completions.create(model="gpt-4o", messages=user("one two"), **given))

    run(client, body)
    attrs = only_span(capture).attributes
    for key in given:
        _, attribute, expected = _PARAMETERS[key]
        assert attrs[attribute] == expected, key
    assert attrs["gen_ai.response.finish_reasons"] == ("stop", "stop")
    assert attrs["gen_ai.usage.output_tokens"] == 8  # "Mock reply: one two" twice
    assert attrs["openai.response.system_fingerprint"] == "fp_mock"
    if "service_tier" in given:
        assert attrs["openai.response.service_tier"] == "default"
    # Service tier and fingerprint are span-only: no metric carries them.
    for points in capture.metrics().values():
        for point in points:
            assert not any(key.startswith("openai.") for key in point.attributes)


def test_max_completion_tokens_and_length_finish(capture: Capture, client: Any) -> None:
    async def body() -> None:
        kwargs: dict[str, Any] = {"max_tokens": 2}
        await call(client.chat.completions.create(model="gpt-4o", messages=user("a b c d"), **kwargs))

    run(client, body)
    attrs = only_span(capture).attributes
    assert attrs["gen_ai.request.max_tokens"] == 2
    assert attrs["gen_ai.response.finish_reasons"] == ("length",)
    assert attrs["gen_ai.usage.output_tokens"] == 2


def test_stream_with_usage(capture: Capture, client: Any) -> None:
    async def body() -> None:
        stream = await call(
            client.chat.completions.create(model="gpt-4o", messages=user("hi"), stream=True, **with_usage())
        )
        assert isinstance(stream, (openai.Stream, openai.AsyncStream))
        chunks = await drain(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "Mock reply: hi"

    run(client, body)
    attrs = only_span(capture).attributes
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.response.id"].startswith("chatcmpl-mock-")
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (1, 3)
    assert tokens(capture, "input") == 1
    assert tokens(capture, "output") == 3
    assert capture.count(TTFC, {"gen_ai.request.model": "gpt-4o"}) == 1
    assert capture.count("gen_ai.client.operation.time_per_output_chunk") == 1
    assert capture.count("llm.operation.duration", llm()) == 1


def test_stream_without_usage_invents_no_tokens(capture: Capture, client: Any) -> None:
    async def body() -> None:
        stream = await call(client.chat.completions.create(model="gpt-4o", messages=user("hi"), stream=True))
        chunks = await drain(stream)
        assert all(c.choices for c in chunks)  # nothing injected: no empty-choices chunk

    run(client, body)
    attrs = only_span(capture).attributes
    assert "gen_ai.usage.input_tokens" not in attrs
    assert "gen_ai.usage.output_tokens" not in attrs
    assert no_tokens(capture)
    assert capture.value("llm.requests", llm()) == 1
    assert capture.count(TTFC) == 1


def test_abandoned_stream_ends_when_dropped(capture: Capture, mock_provider: Any) -> None:
    client = make_client(mock_provider.openai_base_url, False)
    stream = client.chat.completions.create(
        model="gpt-4o", messages=user("one two three"), stream=True, **with_usage()
    )
    for _ in stream:
        break
    assert capture.spans() == []  # still open while the caller holds the stream
    del stream
    span = only_span(capture)
    assert span.attributes["gen_ai.response.id"].startswith("chatcmpl-mock-")
    assert span.status.is_ok
    # OpenAI reports usage in the last chunk only: none has arrived, so none is recorded.
    assert no_tokens(capture)
    assert capture.count("llm.operation.duration", llm()) == 1
    assert capture.count(TTFC) == 1
    assert capture.value("llm.operation.errors", llm()) == 0
    client.close()


@pytest.mark.skipif(not hasattr(openai.Stream, "close"), reason="Stream.close() needs a newer openai")
def test_abandoned_stream_ends_on_close(capture: Capture, client: Any) -> None:
    async def body() -> None:
        stream = await call(
            client.chat.completions.create(model="gpt-4o", messages=user("a b"), stream=True, **with_usage())
        )
        assert len(await drain(stream, limit=1)) == 1
        await call(stream.close())
        assert len(capture.spans()) == 1

    run(client, body)
    assert capture.count("llm.operation.duration", llm()) == 1
    assert capture.count(TTFC) == 1


def test_inject_stream_usage_option() -> None:
    from llm_mock import MockProvider

    for capture in instrument(inject_stream_usage=True):
        with MockProvider() as server:
            client = make_client(server.openai_base_url, False)
            chunks = list(client.chat.completions.create(model="gpt-4o", messages=user("hi"), stream=True))
            assert server.last_request.body["stream_options"] == {"include_usage": True}
            # The documented side effect: a final chunk with empty choices.
            assert chunks[-1].choices == []
            list(
                client.chat.completions.create(
                    model="gpt-4o", messages=user("hi"), stream=True, **with_usage(False)
                )
            )
            assert server.last_request.body["stream_options"] == {"include_usage": False}
            client.close()
        assert tokens(capture, "input") == 1
        assert tokens(capture, "output") == 3


def test_inject_stream_usage_from_environment(monkeypatch: pytest.MonkeyPatch, mock_provider: Any) -> None:
    monkeypatch.setenv(STREAM_USAGE_ENV, "true")
    for capture in instrument():
        client = make_client(mock_provider.openai_base_url, False)
        list(client.completions.create(model="gpt-3.5-turbo-instruct", prompt="say this", stream=True))
        client.close()
        assert tokens(capture, "input", operation="text_completion", model="gpt-3.5-turbo-instruct") == 2
        assert tokens(capture, "output", operation="text_completion", model="gpt-3.5-turbo-instruct") == 4


@pytest.mark.skipif(not HAS_CHAT_PARSE, reason="chat.completions.parse needs a newer openai")
def test_parse(capture: Capture, client: Any) -> None:
    async def body() -> None:
        result = await call(
            client.chat.completions.parse(model="gpt-4o", messages=user("hi"), response_format=Answer)
        )
        assert result.choices[0].message.parsed == Answer(answer="Mock reply: hi")

    run(client, body)
    attrs = only_span(capture).attributes
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["gen_ai.usage.output_tokens"] == 4  # {"answer": "Mock reply: hi"}
    assert tokens(capture, "input") == 1


@pytest.mark.skipif(
    not HAS_BETA_PARSE, reason="beta.chat.completions.parse exists in openai 1.40 to 1.9x only"
)
def test_beta_parse(capture: Capture, client: Any) -> None:
    async def body() -> None:
        result = await call(
            client.beta.chat.completions.parse(model="gpt-4o", messages=user("hi"), response_format=Answer)
        )
        assert result.choices[0].message.parsed == Answer(answer="Mock reply: hi")

    run(client, body)
    assert only_span(capture).attributes["gen_ai.usage.output_tokens"] == 4


def _helper(client: Any) -> Any:
    completions = client.chat.completions
    return completions if hasattr(completions, "stream") else client.beta.chat.completions


@pytest.mark.skipif(not HAS_CHAT_HELPER, reason="the .stream() helper needs a newer openai")
def test_stream_helper_sync(capture: Capture, mock_provider: Any) -> None:
    client = make_client(mock_provider.openai_base_url, False)
    with _helper(client).stream(model="gpt-4o", messages=user("hi"), **with_usage()) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "Mock reply: hi"
    with _helper(client).stream(model="gpt-4o", messages=user("a b c")) as stream:
        for _ in stream:
            break  # abandoned: leaving the block ends the operation
    client.close()
    spans = capture.spans()
    assert len(spans) == 2
    assert spans[0].attributes["gen_ai.usage.output_tokens"] == 3
    assert "gen_ai.usage.output_tokens" not in spans[1].attributes
    assert capture.count(TTFC) == 2
    assert tokens(capture, "input") == 1


@pytest.mark.skipif(not HAS_CHAT_HELPER, reason="the .stream() helper needs a newer openai")
def test_stream_helper_async(capture: Capture, mock_provider: Any) -> None:
    client = make_client(mock_provider.openai_base_url, True)

    async def body() -> None:
        async with _helper(client).stream(model="gpt-4o", messages=user("hi"), **with_usage()) as stream:
            final = await stream.get_final_completion()
        assert final.choices[0].message.content == "Mock reply: hi"
        async with _helper(client).stream(model="gpt-4o", messages=user("a b c")) as stream:
            async for _ in stream:
                break
        assert len(capture.spans()) == 2

    run(client, body)
    assert tokens(capture, "output") == 3
    assert capture.count("llm.operation.duration", llm()) == 2
