from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import openai
import pytest

from llm_mock import MockProvider, count_tokens
from llm_mock.tokens import embedding_vector, stream_pieces, truncate


def test_token_rules() -> None:
    assert count_tokens("") == 0
    assert count_tokens("  one\ttwo\nthree  ") == 3
    assert truncate("a b c", 2) == ("a b", True)
    assert truncate("a b c", 3) == ("a b c", False)
    assert "".join(stream_pieces("Mock reply: x y")) == "Mock reply: x y"
    assert embedding_vector("k", 5) == embedding_vector("k", 5) != embedding_vector("j", 5)


def test_addresses_and_lifecycle() -> None:
    server = MockProvider()
    with pytest.raises(RuntimeError):
        _ = server.url
    with server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert server.openai_base_url == server.url + "/v1"
        assert server.anthropic_base_url == server.url
        with pytest.raises(RuntimeError):
            server.start()
    server.stop()  # idempotent


def test_fixtures_are_distinct(mock_provider: MockProvider, mock_server: MockProvider) -> None:
    assert mock_provider is not mock_server
    assert mock_provider.url != mock_server.url
    assert mock_server.request_count == 0


def test_requests_are_recorded_and_bounded(mock_server: MockProvider, make_openai) -> None:
    client = make_openai(mock_server)
    client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], extra_headers={"x-mock-reply": "ok"}
    )
    path, headers, body = mock_server.requests[0]
    assert path == "/v1/chat/completions"
    assert headers["x-mock-reply"] == "ok" and headers["authorization"] == "Bearer test-key"
    assert body == {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    connection = http.client.HTTPConnection("127.0.0.1", mock_server.port, timeout=5)
    for _ in range(1005):
        connection.request("GET", "/health")
        response = connection.getresponse()
        assert response.read() == b'{"status": "ok"}'
    connection.close()
    assert mock_server.request_count == 1006
    recorded = mock_server.requests
    assert len(recorded) == 1000
    assert all(r.path == "/health" and r.body is None for r in recorded)
    mock_server.reset()
    assert mock_server.request_count == 0 and mock_server.requests == []


def test_ids_are_deterministic_counters(mock_server: MockProvider, make_openai) -> None:
    client = make_openai(mock_server)
    first = client.chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": "a"}]
    )
    second = client.responses.with_raw_response.create(model="m", input="b")
    assert first.headers["x-request-id"] == "req_000001"
    assert first.parse().id == "chatcmpl-mock-1"
    assert second.headers["x-request-id"] == "req_000002"
    assert second.parse().id == "resp_mock_2"


def test_utf8_reply_header(mock_provider: MockProvider) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", mock_provider.port, timeout=5)
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}]})
    connection.putrequest("POST", "/v1/chat/completions")
    connection.putheader("content-type", "application/json")
    connection.putheader("content-length", str(len(body)))
    connection.putheader("x-mock-reply", "héllo wörld ✓".encode())
    connection.endheaders(body.encode())
    data = json.loads(connection.getresponse().read())
    connection.close()
    assert data["choices"][0]["message"]["content"] == "héllo wörld ✓"
    assert data["usage"]["completion_tokens"] == 3


def test_non_stream_sets_content_length_and_keep_alive(mock_provider: MockProvider) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", mock_provider.port, timeout=5)
    body = json.dumps({"model": "m", "input": "x"})
    for _ in range(2):
        connection.request("POST", "/v1/responses", body, {"content-type": "application/json"})
        response = connection.getresponse()
        payload = response.read()
        assert int(response.headers["Content-Length"]) == len(payload)
        assert response.headers.get("Connection") != "close"
    connection.request("POST", "/v1/responses", json.dumps({"model": "m", "input": "x", "stream": True}))
    response = connection.getresponse()
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert response.headers["Content-Type"].startswith("text/event-stream")
    text = response.read().decode()
    assert text.startswith("event: response.created\ndata: {")
    connection.close()


def test_http10_stream_is_close_delimited(mock_provider: MockProvider) -> None:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "old client"}], "stream": True})
    with socket.create_connection(("127.0.0.1", mock_provider.port), timeout=5) as sock:
        request = f"POST /v1/chat/completions HTTP/1.0\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        sock.sendall(request.encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, payload = received.decode().partition("\r\n\r\n")
    assert "Transfer-Encoding" not in head and "text/event-stream" in head
    assert payload.endswith("data: [DONE]\n\n")


def test_concurrent_requests_are_counted_once(mock_server: MockProvider) -> None:
    ids: list[str] = []
    lock = threading.Lock()
    body = json.dumps({"model": "m", "input": "x"})

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", mock_server.port, timeout=5)
        for _ in range(25):
            connection.request("POST", "/v1/embeddings", body, {"content-type": "application/json"})
            response = connection.getresponse()
            response.read()
            with lock:
                ids.append(response.headers["x-request-id"])
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert mock_server.request_count == 100
    assert sorted(ids) == [f"req_{n:06d}" for n in range(1, 101)]
    assert mock_server.connection_count == 4


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_until_signal(sig: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "llm_mock", "--port", "0", "--seed", "3", "--latency-ms", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        match = re.fullmatch(r"llm-mock listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        with openai.OpenAI(base_url=match.group(1) + "/v1", api_key="k", max_retries=0) as client:
            reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "cli"}])
        assert reply.choices[0].message.content == "Mock reply: cli"
        started = time.monotonic()
        process.send_signal(sig)
        assert process.wait(timeout=5) == 0
        assert time.monotonic() - started < 2
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
