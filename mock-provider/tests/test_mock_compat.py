"""Groq, Together and Mistral routes through their real SDK clients."""

from __future__ import annotations

import asyncio
import importlib.metadata

import groq
import pytest
import together

from llm_mock import MockProvider

try:  # mistralai 2.0 moved the SDK under mistralai.client
    from mistralai.client import Mistral
except ImportError:  # pragma: no cover - mistralai 1.x
    from mistralai import Mistral  # type: ignore[no-redef,attr-defined]

HI = [{"role": "user", "content": "hi there"}]


def together_client(mock: MockProvider) -> together.Together:
    legacy = int(importlib.metadata.version("together").split(".")[0]) < 3  # base_url included /v1
    return together.Together(base_url=mock.base_url("together") + ("/v1" if legacy else ""), api_key="k")


def test_groq_usage_and_request_id(mock_provider: MockProvider) -> None:
    client = groq.Groq(base_url=mock_provider.base_url("groq"), api_key="k", max_retries=0)
    reply = client.chat.completions.create(model="llama-3.1-8b-instant", messages=HI)
    assert reply.choices[0].message.content == "Mock reply: hi there"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (2, 4)
    assert reply.usage.total_time == 0.006
    assert "req_mock_" in str(reply.x_groq)  # a dict on old SDKs, XGroq on new ones


def test_groq_stream_usage_is_in_x_groq(mock_provider: MockProvider) -> None:
    client = groq.Groq(base_url=mock_provider.base_url("groq"), api_key="k", max_retries=0)
    chunks = list(client.chat.completions.create(model="llama-3.1-8b-instant", messages=HI, stream=True))
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.usage is None
    assert (last.x_groq.usage.prompt_tokens, last.x_groq.usage.completion_tokens) == (2, 4)  # type: ignore[union-attr]
    assert all(c.x_groq is None for c in chunks[:-1])
    asked = list(
        client.chat.completions.create(
            model="m", messages=HI, stream=True, extra_body={"stream_options": {"include_usage": True}}
        )
    )
    assert asked[-1].choices == [] and asked[-1].usage.completion_tokens == 4  # type: ignore[union-attr]
    assert asked[-2].x_groq.usage.completion_tokens == 4  # type: ignore[union-attr]


def test_together_usage_on_the_last_chunk(mock_provider: MockProvider) -> None:
    client = together_client(mock_provider)
    reply = client.chat.completions.create(model="meta-llama/Llama-3.3-70B-Instruct-Turbo", messages=HI)
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (2, 4)  # type: ignore[union-attr]
    chunks = list(client.chat.completions.create(model="m", messages=HI, stream=True))
    assert chunks[-1].usage.completion_tokens == 4 and chunks[-1].choices[0].finish_reason == "stop"  # type: ignore[union-attr]
    assert all(c.usage is None for c in chunks[:-1])
    text = list(client.completions.create(model="m", prompt="a b c", stream=True))
    assert (text[-1].usage.prompt_tokens, text[-1].usage.completion_tokens) == (3, 5)  # type: ignore[union-attr]
    assert client.embeddings.create(model="m", input=["a b", "c"]).data[1].index == 1


def test_mistral_chat_fim_embeddings(mock_provider: MockProvider) -> None:
    client = Mistral(api_key="k", server_url=mock_provider.base_url("mistral"))
    reply = client.chat.complete(model="mistral-small-latest", messages=HI)
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (2, 4)
    events = list(client.chat.stream(model="mistral-small-latest", messages=HI))
    assert events[-1].data.usage.completion_tokens == 4
    assert events[-1].data.choices[0].finish_reason == "stop"
    assert all(e.data.usage is None for e in events[:-1])
    fim = client.fim.complete(model="codestral-latest", prompt="def f(", suffix="return 1")
    assert (fim.usage.prompt_tokens, fim.usage.completion_tokens) == (4, 4)
    embedded = client.embeddings.create(model="mistral-embed", inputs=["a b", "c"])
    assert embedded.usage.prompt_tokens == 3 and len(embedded.data[0].embedding) == 8

    async def stream() -> int:
        events = await client.chat.stream_async(model="m", messages=HI)
        return [e async for e in events][-1].data.usage.prompt_tokens

    assert asyncio.run(stream()) == 2


def test_mistral_rejects_n_and_paths_do_not_mix(mock_provider: MockProvider) -> None:
    import httpx

    response = httpx.post(
        mock_provider.url + "/mistral/v1/chat/completions", json={"model": "m", "messages": HI, "n": 2}
    )
    assert response.status_code == 400
    assert httpx.post(mock_provider.url + "/mistral/v1/completions", json={}).status_code == 404


@pytest.mark.parametrize("path", ["/openai/v1/chat/completions", "/together/v1/chat/completions"])
def test_cut_streams(mock_server: MockProvider, path: str) -> None:
    import httpx

    with (
        httpx.stream(
            "POST",
            mock_server.url + path,
            json={"model": "m", "messages": HI, "stream": True},
            headers={"x-mock-fail": "cut", "x-mock-cut-after": "1"},
        ) as response,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        response.read()
