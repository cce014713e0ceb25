"""The Cohere v2 and Ollama routes on the wire (the SDKs' own tests are in their packages)."""

from __future__ import annotations

import json

import httpx

from llm_mock import MockProvider

USER = [{"role": "user", "content": "hello there world"}]


def test_ollama_streams_ndjson_by_default_and_ends_with_the_counts(mock_provider: MockProvider) -> None:
    with httpx.stream(
        "POST", mock_provider.url + "/api/chat", json={"model": "m", "messages": USER}
    ) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in response.iter_lines()]
    assert "".join(line["message"]["content"] for line in lines) == "Mock reply: hello there world"
    final = lines[-1]
    assert (final["done"], final["done_reason"], final["prompt_eval_count"], final["eval_count"]) == (
        True,
        "stop",
        3,
        5,
    )
    assert not any(line["done"] for line in lines[:-1])


def test_ollama_leaves_the_prompt_count_out_for_a_cached_prompt(mock_provider: MockProvider) -> None:
    body = {"model": "m", "prompt": "hello there", "stream": False}
    reply = httpx.post(
        mock_provider.url + "/api/generate", json=body, headers={"x-mock-cache": "read"}
    ).json()
    assert "prompt_eval_count" not in reply and reply["eval_count"] == 4


def test_ollama_errors_and_unknown_paths(mock_provider: MockProvider) -> None:
    reply = httpx.post(mock_provider.url + "/api/pull", json={"model": "m"})
    assert reply.status_code == 404 and set(reply.json()) == {"error"}
    reply = httpx.post(mock_provider.url + "/api/chat", json={"messages": USER, "stream": False})
    assert reply.status_code == 400 and "model" in reply.json()["error"]


def test_cohere_chat_bills_without_the_preamble(mock_provider: MockProvider) -> None:
    reply = httpx.post(mock_provider.url + "/v2/chat", json={"model": "command-r", "messages": USER}).json()
    assert reply["usage"] == {
        "billed_units": {"input_tokens": 3, "output_tokens": 5},
        "tokens": {"input_tokens": 3 + 7, "output_tokens": 5},
    }


def test_cohere_stream_events_name_their_type(mock_provider: MockProvider) -> None:
    body = {"model": "command-r", "messages": USER, "stream": True}
    with httpx.stream("POST", mock_provider.url + "/v2/chat", json=body) as response:
        text = response.read().decode()
    frames = [frame.split("\n") for frame in text.strip().split("\n\n")]
    kinds = [lines[0].removeprefix("event: ") for lines in frames]
    assert kinds == ["message-start", "content-start", *["content-delta"] * 5, "content-end", "message-end"]
    assert all(
        json.loads(lines[1].removeprefix("data: "))["type"] == kind
        for lines, kind in zip(frames, kinds, strict=True)
    )


def test_cohere_rerank_bills_a_search_unit_per_hundred_documents(mock_provider: MockProvider) -> None:
    body = {"model": "rerank-v3.5", "query": "q", "documents": ["d"] * 250, "top_n": 3}
    reply = httpx.post(mock_provider.url + "/v2/rerank", json=body).json()
    assert reply["meta"]["billed_units"] == {"search_units": 3}
    assert len(reply["results"]) == 3


def test_cohere_errors(mock_provider: MockProvider) -> None:
    reply = httpx.post(mock_provider.url + "/v2/chat", json={"model": "m"}, headers={"x-mock-fail": "429"})
    assert reply.status_code == 429
    assert reply.json() == {"id": "err-mock-429", "message": "Rate limit reached (injected by llm-mock)."}
