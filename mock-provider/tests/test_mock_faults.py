from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import anthropic
import openai
import pytest

from llm_mock import MockProvider

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
MSG = {"model": "m", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}


def _post(url: str, body: object, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


@pytest.mark.parametrize(("retries", "expected_requests"), [(0, 1), (2, 3)])
def test_openai_429_retries(
    mock_server: MockProvider, make_openai, retries: int, expected_requests: int
) -> None:
    client = make_openai(mock_server, max_retries=retries)
    started = time.monotonic()
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(**CHAT, extra_headers={"x-mock-fail": "429"})
    assert time.monotonic() - started < 1.0  # retry-after-ms makes retries immediate
    assert mock_server.request_count == expected_requests
    assert info.value.status_code == 429
    assert info.value.body == {
        "message": "Rate limit reached (injected by llm-mock).",
        "type": "rate_limit_error",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert info.value.response.headers["retry-after"] == "0"
    assert info.value.request_id is not None and info.value.request_id.startswith("req_")


@pytest.mark.parametrize(("retries", "expected_requests"), [(0, 1), (2, 3)])
def test_anthropic_429_retries(
    mock_server: MockProvider, make_anthropic, retries: int, expected_requests: int
) -> None:
    client = make_anthropic(mock_server, max_retries=retries)
    with pytest.raises(anthropic.RateLimitError) as info:
        client.messages.create(**MSG, extra_headers={"x-mock-fail": "429"})
    assert mock_server.request_count == expected_requests
    assert info.value.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Rate limit reached (injected by llm-mock)."},
    }


def test_server_errors_and_client_errors_by_flavor(
    mock_server: MockProvider, make_openai, make_anthropic
) -> None:
    oai = make_openai(mock_server)
    claude = make_anthropic(mock_server)
    with pytest.raises(openai.InternalServerError) as oai_500:
        oai.chat.completions.create(**CHAT, extra_headers={"x-mock-fail": "500"})
    assert oai_500.value.status_code == 500 and oai_500.value.type == "server_error"
    with pytest.raises(openai.AuthenticationError) as oai_401:
        oai.embeddings.create(model="m", input="x", extra_headers={"x-mock-fail": "401"})
    assert oai_401.value.type == "authentication_error" and oai_401.value.code == "invalid_api_key"
    with pytest.raises(openai.BadRequestError) as oai_400:
        oai.responses.create(model="m", input="x", extra_headers={"x-mock-fail": "400"})
    assert oai_400.value.type == "invalid_request_error"
    with pytest.raises(anthropic.InternalServerError) as claude_503:
        claude.messages.create(**MSG, extra_headers={"x-mock-fail": "503"})
    assert claude_503.value.status_code == 503
    assert claude_503.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    with pytest.raises(anthropic.InternalServerError) as claude_500:
        claude.messages.create(**MSG, extra_headers={"x-mock-fail": "500"})
    assert claude_500.value.body["error"]["type"] == "api_error"  # type: ignore[index]
    with pytest.raises(anthropic.AuthenticationError):
        claude.messages.create(**MSG, extra_headers={"x-mock-fail": "401"})
    assert mock_server.request_count == 6


def test_unknown_route_and_bad_json(mock_provider: MockProvider) -> None:
    status, headers, body = _post(mock_provider.openai_base_url + "/nope", {})
    assert status == 404 and json.loads(body)["error"]["type"] == "invalid_request_error"
    assert headers["x-request-id"].startswith("req_")
    status, headers, body = _post(mock_provider.url + "/v1/nope", {}, {"anthropic-version": "2023-06-01"})
    assert status == 404 and json.loads(body) == {
        "type": "error",
        "error": {
            "type": "not_found_error",
            "message": "Unknown request URL: POST /v1/nope. Please check the URL.",
        },
    }
    assert headers["request-id"].startswith("req_")
    status, _, body = _post(mock_provider.openai_base_url + "/chat/completions", {"model": "m"})
    assert status == 400 and json.loads(body)["error"]["param"] == "messages"
    status, _, body = _post(mock_provider.url + "/v1/messages", {"model": "m", "messages": []})
    assert status == 400 and json.loads(body)["error"]["type"] == "invalid_request_error"


def test_timeout(mock_server: MockProvider, make_openai, make_anthropic) -> None:
    headers = {"x-mock-fail": "timeout", "x-mock-timeout-s": "2"}
    client = make_openai(mock_server, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(**CHAT, extra_headers=headers)
    claude = make_anthropic(mock_server, timeout=0.2)
    with pytest.raises(anthropic.APITimeoutError):
        claude.messages.create(**MSG, extra_headers=headers)
    assert time.monotonic() - started < 1.5
    assert mock_server.request_count == 2


def test_stop_does_not_wait_for_sleeping_requests(make_openai) -> None:
    server = MockProvider().start()
    client = make_openai(server, timeout=10)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.chat.completions.create(**CHAT, extra_headers={"x-mock-fail": "timeout"})
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=call)
    worker.start()
    while server.request_count == 0:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0
    worker.join(5)
    assert isinstance(errors[0], openai.APIConnectionError)


def test_cut_stream_raises_in_clients(mock_server: MockProvider, make_openai, make_anthropic) -> None:
    client = make_openai(mock_server)
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        stream = client.chat.completions.create(**CHAT, stream=True, extra_headers={"x-mock-fail": "cut"})
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert received == ["", "Mock", " reply:"]
    claude = make_anthropic(mock_server)
    texts: list[str] = []
    # The anthropic SDK lets the transport error through unwrapped (httpx2.RemoteProtocolError).
    with (
        pytest.raises(Exception, match="incomplete chunked read") as info,
        claude.messages.stream(**MSG, extra_headers={"x-mock-fail": "cut", "x-mock-cut-after": "1"}) as s,
    ):
        texts.extend(s.text_stream)
    assert type(info.value).__name__ == "RemoteProtocolError"
    assert texts == ["Mock"]
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(**CHAT, extra_headers={"x-mock-fail": "cut"})
    # the server keeps serving afterwards
    assert client.chat.completions.create(**CHAT).choices[0].message.content == "Mock reply: hi"


def test_enqueue_malformed_and_canned_bodies(mock_server: MockProvider, make_openai, make_anthropic) -> None:
    client = make_openai(mock_server)
    mock_server.enqueue(body=b'{"id": "x", "choices": [')
    with pytest.raises(json.JSONDecodeError):
        client.chat.completions.create(**CHAT)
    mock_server.enqueue(body=b"[1, 2")
    with pytest.raises(json.JSONDecodeError):
        make_anthropic(mock_server).messages.create(**MSG)
    mock_server.enqueue(
        status=418, body={"error": {"message": "teapot", "type": "x"}}, headers={"x-custom": "1"}
    )
    with pytest.raises(openai.APIStatusError) as status_error:
        client.chat.completions.create(**CHAT)
    assert status_error.value.status_code == 418 and status_error.value.response.headers["x-custom"] == "1"
    mock_server.enqueue(
        body={"id": "odd", "object": "chat.completion", "created": 0, "model": "m", "choices": []}
    )
    assert client.chat.completions.create(**CHAT).choices == []
    # queued responses are served in order, then normal behaviour resumes
    assert client.chat.completions.create(**CHAT).choices[0].message.content == "Mock reply: hi"


def test_enqueue_stream_events(mock_server: MockProvider, make_openai, make_anthropic) -> None:
    client = make_openai(mock_server)
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m"}
    mock_server.enqueue(
        stream_events=[
            json.dumps(
                {**chunk, "choices": [{"index": 0, "delta": {"content": "odd"}, "finish_reason": None}]}
            ),
            {**chunk, "choices": [{"index": 0, "delta": {"content": "!"}, "finish_reason": "stop"}]},
            "[DONE]",
        ]
    )
    chunks = list(client.chat.completions.create(**CHAT, stream=True))
    assert [c.choices[0].delta.content for c in chunks] == ["odd", "!"]
    claude = make_anthropic(mock_server)
    mock_server.enqueue(
        stream_events=[("error", {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})]
    )
    with pytest.raises(anthropic.APIStatusError) as info:
        list(claude.messages.create(**MSG, stream=True))
    assert "busy" in str(info.value)


def test_random_error_rate_is_seeded(make_openai) -> None:
    def outcomes(seed: int) -> list[int]:
        with MockProvider(error_rate=0.5, seed=seed) as server:
            results = []
            for _ in range(12):
                status, _, _ = _post(server.openai_base_url + "/chat/completions", CHAT)
                results.append(status)
            return results

    first = outcomes(7)
    assert first == outcomes(7)
    assert set(first) == {200, 429, 500}
    assert first != outcomes(8)


def test_latency_ttft_and_token_delay(mock_server: MockProvider, make_openai) -> None:
    client = make_openai(mock_server)
    headers = {"x-mock-ttft-ms": "150", "x-mock-token-delay-ms": "20"}
    started = time.monotonic()
    stream = client.chat.completions.create(**CHAT, stream=True, extra_headers=headers)
    first = next(iter(stream))
    ttft = time.monotonic() - started
    list(stream)
    total = time.monotonic() - started
    assert first.choices[0].delta.role == "assistant"
    assert 0.14 <= ttft < 0.5
    assert total >= 0.15 + 0.02 * 2
    started = time.monotonic()
    client.chat.completions.create(**CHAT, extra_headers={"x-mock-latency-ms": "100"})
    assert 0.09 <= time.monotonic() - started < 0.5
