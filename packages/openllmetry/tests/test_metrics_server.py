"""The /metrics server: bounded, timed out, gzip, HEAD, any Accept, and quiet."""

from __future__ import annotations

import gzip
import logging
import socket
import threading
import urllib.request
from collections.abc import Iterator

import pytest

from openllmetry.metrics_server import CONTENT_TYPE, MetricsServer

BODY = b"# TYPE x counter\nx_total 1.0\n"


@pytest.fixture
def server() -> Iterator[MetricsServer]:
    calls = []

    def render() -> bytes:
        calls.append(1)
        return BODY * 100

    started = MetricsServer("127.0.0.1", 0, render, threads=2, queued=4, timeout=0.5).start()
    started.renders = calls  # type: ignore[attr-defined]
    yield started
    started.shutdown()


def request(server: MetricsServer, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as conn:
        conn.sendall(raw)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def split(response: bytes) -> tuple[bytes, dict[bytes, bytes], bytes]:
    head, _, body = response.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines)}
    return status, headers, body


def test_get_serves_the_text_format(server: MetricsServer) -> None:
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"] == CONTENT_TYPE
        assert response.read() == BODY * 100


@pytest.mark.parametrize(
    "accept",
    [b"application/openmetrics-text; version=abc", b"*/*;q=banana", b"\xff\xfe", b"text/plain;version=0.0.4"],
)
def test_any_accept_header_gets_the_text_format(server: MetricsServer, accept: bytes) -> None:
    status, headers, body = split(
        request(server, b"GET /metrics HTTP/1.1\r\nAccept: " + accept + b"\r\n\r\n")
    )
    assert status.startswith(b"HTTP/1.1 200")
    assert headers[b"content-type"] == CONTENT_TYPE.encode()
    assert body == BODY * 100


def test_gzip_when_asked_and_head(server: MetricsServer) -> None:
    raw = request(server, b"GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip, deflate\r\n\r\n")
    status, headers, body = split(raw)
    assert headers[b"content-encoding"] == b"gzip" and gzip.decompress(body) == BODY * 100
    status, headers, body = split(
        request(server, b"GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip;q=0\r\n\r\n")
    )
    assert b"content-encoding" not in headers and body == BODY * 100
    status, headers, body = split(request(server, b"HEAD /metrics HTTP/1.1\r\n\r\n"))
    assert status.startswith(b"HTTP/1.1 200") and body == b""
    assert int(headers[b"content-length"]) == len(BODY * 100)


def test_other_methods_and_paths(server: MetricsServer) -> None:
    assert split(request(server, b"POST /metrics HTTP/1.1\r\n\r\n"))[0].startswith(b"HTTP/1.1 405")
    assert split(request(server, b"GET /nope HTTP/1.1\r\n\r\n"))[0].startswith(b"HTTP/1.1 404")
    assert split(request(server, b"garbage\r\n\r\n"))[0].startswith(b"HTTP/1.1 400")


def test_idle_and_slow_clients_cannot_hold_the_server(server: MetricsServer) -> None:
    # Many more idle connections than threads and queue: each is dropped after the timeout (or at
    # once when the queue is full), and a real scrape still gets through.
    idle = [socket.create_connection(("127.0.0.1", server.server_port), timeout=10) for _ in range(20)]
    slow = socket.create_connection(("127.0.0.1", server.server_port), timeout=10)
    slow.sendall(b"GET /metr")  # and never the rest
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        for _ in range(3):
            for attempt in range(50):
                try:
                    with urllib.request.urlopen(url, timeout=10) as response:
                        assert response.read() == BODY * 100
                    break
                except OSError:  # closed because the queue was full: the next try gets in
                    if attempt == 49:
                        raise
        assert threading.active_count() < 40
    finally:
        for conn in [*idle, slow]:
            conn.close()


def test_concurrent_scrapes_share_renders(server: MetricsServer) -> None:
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    bodies: list[bytes] = []

    def scrape() -> None:
        for _ in range(5):
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    bodies.append(response.read())
            except OSError:
                pass  # the queue is 4 deep here: some are turned away, which is the point

    threads = [threading.Thread(target=scrape) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert bodies and all(body == BODY * 100 for body in bodies)
    assert len(server.renders) < len(bodies)  # type: ignore[attr-defined]


def test_a_failing_render_is_an_empty_scrape_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    def render() -> bytes:
        raise RuntimeError("boom")

    broken = MetricsServer("127.0.0.1", 0, render).start()
    try:
        with caplog.at_level(logging.INFO, logger="openllmetry"):
            status, _, body = split(request(broken, b"GET /metrics HTTP/1.1\r\n\r\n"))
        assert status.startswith(b"HTTP/1.1 200") and body == b""
        assert not [r for r in caplog.records if r.levelno >= logging.INFO]  # nothing per request
    finally:
        broken.shutdown()
