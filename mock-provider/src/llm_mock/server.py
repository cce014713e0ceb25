"""The HTTP server: threading, keep-alive, streaming, latency and fault injection, and ``MockProvider``."""

from __future__ import annotations

import json
import random
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType, TracebackType
from typing import Any, NamedTuple

from . import anthropic_routes, openai_routes, sse
from .exchange import ApiError, Call, Reply, StreamReply

MAX_RECORDED_REQUESTS = 1000
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_CUT_AFTER = 2
_SERVER_VERSION = "llm-mock/0.1"

Route = Callable[[Call], "Reply | StreamReply"]


class RecordedRequest(NamedTuple):
    path: str
    """Path as received, query string included."""
    headers: dict[str, str]
    """Lower-cased names."""
    body: Any
    """Parsed JSON, or None when the body was empty or not JSON."""


@dataclass
class _Canned:
    status: int
    body: bytes
    headers: dict[str, str]
    stream_events: list[bytes] | None


@dataclass
class _SharedState:
    prompt_cache: anthropic_routes.PromptCache = field(default_factory=anthropic_routes.PromptCache)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    provider: MockProvider

    def __init__(self, address: tuple[str, int], provider: MockProvider) -> None:
        self.provider = provider
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.connections_opened = 0
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-response are routine here (timeouts, cut streams); stay quiet.
        pass

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _decode_header(value: str) -> str:
    # http.server decodes header bytes as latin-1; clients send UTF-8.
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _number(value: str | None, default: float) -> float:
    if value is None or not value.strip():
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        raise ApiError(400, f"Expected a number, got {value!r}") from None


class _Abort(Exception):
    """The server is stopping or the response was cut: drop the connection."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server
    _chunked = True

    def version_string(self) -> str:
        return _SERVER_VERSION

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)
            self.server.connections_opened += 1

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def do_POST(self) -> None:
        try:
            self._handle()
        except (_Abort, OSError):
            self.close_connection = True

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    # --- plumbing -----------------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _pause(self, seconds: float) -> None:
        if seconds > 0 and self.server.provider._stopping.wait(seconds):
            raise _Abort
        if self.server.provider._stopping.is_set():
            raise _Abort

    def _send_body(self, status: int, data: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _start_stream(self, status: int, headers: dict[str, str]) -> None:
        # HTTP/1.0 clients cannot read chunked bodies: give them a close-delimited stream instead.
        self._chunked = self.request_version == "HTTP/1.1"
        self.send_response(status)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        if self._chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if self._chunked else data)

    def _end_stream(self) -> None:
        if self._chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _cut(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise _Abort

    # --- request handling ---------------------------------------------------------------------------------

    def _handle(self) -> None:
        provider = self.server.provider
        raw = self._read_body()
        path = self.path.split("?", 1)[0]
        headers = {name.lower(): _decode_header(value) for name, value in self.headers.items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        number, canned = provider._register(RecordedRequest(self.path, headers, body))
        flavor: ModuleType = anthropic_routes if anthropic_routes.owns(path, headers) else openai_routes
        id_headers = {flavor.REQUEST_ID_HEADER: f"req_{number:06d}"}

        ttft_s = token_delay_s = 0.0
        cut_after: int | None = None
        try:
            latency_s = _number(headers.get("x-mock-latency-ms"), provider.latency_ms) / 1000
            ttft_s = _number(headers.get("x-mock-ttft-ms"), provider.ttft_ms) / 1000
            token_delay_s = _number(headers.get("x-mock-token-delay-ms"), provider.token_delay_ms) / 1000
            if canned is not None:
                self._pause(latency_s)
                self._send_canned(canned, id_headers)
                return
            fail = (headers.get("x-mock-fail") or "").strip().lower()
            if fail == "timeout":
                self._pause(_number(headers.get("x-mock-timeout-s"), DEFAULT_TIMEOUT_S))
            elif fail == "cut":
                cut_after = int(_number(headers.get("x-mock-cut-after"), DEFAULT_CUT_AFTER))
            elif fail:
                if not fail.isdigit() or not 400 <= int(fail) <= 599:
                    raise ApiError(
                        400, f"x-mock-fail must be an HTTP error status, timeout or cut; got {fail!r}"
                    )
                self._pause(latency_s)
                self._send_error(flavor, int(fail), id_headers)
                return
            else:
                status = provider._draw_random_error()
                if status:
                    self._pause(latency_s)
                    self._send_error(flavor, status, id_headers)
                    return
            self._pause(latency_s)
            reply = self._route(path, headers, body, number)
        except ApiError as error:
            reply = flavor.error_reply(error.status, error.message, error.param)

        if isinstance(reply, StreamReply):
            self._send_stream(reply, {**id_headers, **reply.headers}, ttft_s, token_delay_s, cut_after)
            return
        if cut_after is not None:
            self._cut()
        if reply.status < 400:
            self._pause(ttft_s + token_delay_s * max(reply.output_tokens - 1, 0))
        data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        self._send_body(reply.status, data, reply.content_type, {**id_headers, **reply.headers})

    def _route(self, path: str, headers: dict[str, str], body: Any, number: int) -> Reply | StreamReply:
        key = (self.command, path)
        route = _ROUTES.get(key) or next(
            (fn for (m, p), fn in _PREFIX_ROUTES.items() if m == key[0] and path.startswith(p)), None
        )
        if route is None:
            if any(p == path for _, p in _ROUTES):
                raise ApiError(405, f"Method {self.command} not allowed for {path}")
            raise ApiError(404, f"Unknown request URL: {self.command} {path}. Please check the URL.")
        provider = self.server.provider
        call = Call(number, self.command, path, headers, body, provider.url, provider._state)
        if self.command == "POST":
            call.body_dict()
        return route(call)

    def _send_error(self, flavor: ModuleType, status: int, id_headers: dict[str, str]) -> None:
        messages = {
            429: "Rate limit reached (injected by llm-mock).",
            500: "The server had an error while processing your request (injected by llm-mock).",
            503: "The server is overloaded (injected by llm-mock).",
        }
        reply: Reply = flavor.error_reply(
            status, messages.get(status, f"Injected error {status} (llm-mock).")
        )
        headers = dict(id_headers)
        if status == 429:
            # retry-after: 0 alone makes the SDKs fall back to their exponential backoff (0.5 s, 1 s, ...);
            # they prefer retry-after-ms, which makes the retry immediate.
            headers["retry-after"] = "0"
            headers["retry-after-ms"] = "1"
        self._send_body(status, json.dumps(reply.body).encode(), reply.content_type, headers)

    def _send_canned(self, canned: _Canned, id_headers: dict[str, str]) -> None:
        headers = {**id_headers, **canned.headers}
        if canned.stream_events is None:
            content_type = headers.pop("content-type", "application/json")
            self._send_body(canned.status, canned.body, content_type, headers)
            return
        self._start_stream(canned.status, headers)
        for frame in canned.stream_events:
            self._write_chunk(frame)
        self._end_stream()

    def _send_stream(
        self,
        reply: StreamReply,
        headers: dict[str, str],
        ttft_s: float,
        token_delay_s: float,
        cut_after: int | None,
    ) -> None:
        self._start_stream(200, headers)
        self._pause(ttft_s)
        sent_tokens = 0
        for frame in reply.frames:
            if frame.token:
                if cut_after is not None and sent_tokens >= cut_after:
                    self._cut()
                if sent_tokens:
                    self._pause(token_delay_s)
                sent_tokens += 1
            self._write_chunk(frame.data)
        if cut_after is not None:
            self._cut()
        self._end_stream()


def _build_routes() -> tuple[dict[tuple[str, str], Route], dict[tuple[str, str], Route]]:
    routes = {**openai_routes.ROUTES, **anthropic_routes.ROUTES}
    return routes, dict(openai_routes.PREFIX_ROUTES)


_ROUTES, _PREFIX_ROUTES = _build_routes()


def _encode_stream_event(event: str | tuple[str, Any] | Any) -> bytes:
    if isinstance(event, tuple):
        name, data = event
        return sse.encode(data, event=name)
    return sse.encode(event)


class MockProvider:
    """An OpenAI- and Anthropic-compatible server on loopback, run in background threads.

    ``latency_ms`` delays every response before its status line; ``ttft_ms`` delays the first stream event
    (or adds to the wait of a complete response); ``token_delay_ms`` paces every content delta after the first
    (a complete response waits it once per output token after the first). ``error_rate`` answers that share
    of requests with a 429 or 500 drawn from a ``random.Random(seed)``.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        latency_ms: float = 0,
        ttft_ms: float = 0,
        token_delay_ms: float = 0,
        error_rate: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.host = host
        self.latency_ms = latency_ms
        self.ttft_ms = ttft_ms
        self.token_delay_ms = token_delay_ms
        self.error_rate = error_rate
        self.seed = seed
        self._requested_port = port
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._rng = random.Random(seed)
        self._count = 0
        self._requests: deque[RecordedRequest] = deque(maxlen=MAX_RECORDED_REQUESTS)
        self._canned: deque[_Canned] = deque()
        self._state = _SharedState()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> MockProvider:
        if self._server is not None:
            raise RuntimeError("MockProvider is already running")
        self._stopping.clear()
        self._server = _Server((self.host, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="llm-mock", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> MockProvider:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- addresses ----------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("MockProvider is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    # --- inspection and control ---------------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._count

    @property
    def requests(self) -> list[RecordedRequest]:
        """The last ``MAX_RECORDED_REQUESTS`` requests, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def connection_count(self) -> int:
        """TCP connections accepted so far by the running server (keep-alive reuse keeps this low)."""
        return self._server.connections_opened if self._server is not None else 0

    @property
    def last_request(self) -> RecordedRequest | None:
        with self._lock:
            return self._requests[-1] if self._requests else None

    def enqueue(
        self,
        status: int = 200,
        body: bytes | str | dict[str, Any] | list[Any] = b"",
        headers: dict[str, str] | None = None,
        stream_events: Iterable[str | tuple[str, Any] | dict[str, Any]] | None = None,
    ) -> None:
        """Make the next request (any route) return exactly this response; calls queue up in order.

        ``body`` bytes/str are sent verbatim, dicts and lists as JSON. With ``stream_events`` the response is
        ``text/event-stream`` with one frame per item: a string is a ``data:`` payload, a tuple
        ``(event, data)`` adds an ``event:`` line (non-string data and dicts are JSON-encoded).
        """
        data = (
            body
            if isinstance(body, bytes)
            else body.encode()
            if isinstance(body, str)
            else json.dumps(body).encode()
        )
        frames = None if stream_events is None else [_encode_stream_event(e) for e in stream_events]
        lowered = {name.lower(): value for name, value in (headers or {}).items()}
        with self._lock:
            self._canned.append(_Canned(status, data, lowered, frames))

    def reset(self) -> None:
        """Forget recorded requests, counters, queued responses and the prompt cache; reseed the RNG."""
        with self._lock:
            self._count = 0
            self._requests.clear()
            self._canned.clear()
            self._rng = random.Random(self.seed)
        self._state.prompt_cache.clear()

    # --- used by the handler ------------------------------------------------------------------------------

    def _register(self, request: RecordedRequest) -> tuple[int, _Canned | None]:
        with self._lock:
            self._count += 1
            self._requests.append(request)
            return self._count, self._canned.popleft() if self._canned else None

    def _draw_random_error(self) -> int:
        if self.error_rate <= 0:
            return 0
        with self._lock:
            if self._rng.random() >= self.error_rate:
                return 0
            return 429 if self._rng.random() < 0.5 else 500
