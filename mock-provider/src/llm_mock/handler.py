"""The HTTP side of the mock: threading, keep-alive, chunked streams, and one request's way through
the shared faults to its protocol's route."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, NamedTuple

from . import faults, registry
from .exchange import ApiError, Call, Reply, StreamReply

if TYPE_CHECKING:
    from .server import MockProvider

_SERVER_VERSION = "llm-mock/0.1"


class RecordedRequest(NamedTuple):
    path: str
    """Path as received, query string included."""
    headers: dict[str, str]
    """Lower-cased names."""
    body: Any
    """Parsed JSON, or None when the body was empty or not JSON."""


class Canned(NamedTuple):
    status: int
    body: bytes
    headers: dict[str, str]
    stream_events: list[bytes] | None


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024
    provider: MockProvider

    def __init__(self, address: tuple[str, int], provider: MockProvider) -> None:
        self.provider = provider
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.connections_opened = 0
        super().__init__(address, Handler)

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


class _Abort(Exception):
    """The server is stopping or the response was cut: drop the connection."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: Server
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

    def _start_stream(self, status: int, headers: dict[str, str], content_type: str) -> None:
        # HTTP/1.0 clients cannot read chunked bodies: give them a close-delimited stream instead.
        self._chunked = self.request_version == "HTTP/1.1"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
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
        protocol, route, params = registry.resolve(self.command, path, headers)
        id_headers = {protocol.request_id_header: f"req_{number:06d}"}

        fault = faults.Faults()
        try:
            fault = faults.read(headers, provider)
            if canned is not None:
                self._pause(fault.latency_s)
                self._send_canned(canned, id_headers)
                return
            self._pause(fault.timeout_s)
            status = fault.status if fault.fail else provider._draw_random_error()
            if status:
                self._pause(fault.latency_s)
                self._send_reply(faults.injected_error(protocol, status), id_headers)
                return
            self._pause(fault.latency_s)
            if route is None:
                raise registry.not_routed(self.command, path)
            call = Call(number, self.command, path, headers, body, provider.url, provider._state, params)
            if self.command == "POST":
                call.body_dict()
            reply = route.handler(call)
        except ApiError as error:
            reply = protocol.error_reply(error.status, error.message, error.param)

        if isinstance(reply, StreamReply):
            self._send_stream(reply, {**id_headers, **reply.headers}, fault)
            return
        if fault.cut_after is not None:
            self._cut()
        if reply.status < 400:
            self._pause(fault.ttft_s + fault.token_delay_s * max(reply.output_tokens - 1, 0))
        self._send_reply(reply, id_headers)

    def _send_reply(self, reply: Reply, id_headers: dict[str, str]) -> None:
        data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        self._send_body(reply.status, data, reply.content_type, {**id_headers, **reply.headers})

    def _send_canned(self, canned: Canned, id_headers: dict[str, str]) -> None:
        headers = {**id_headers, **canned.headers}
        if canned.stream_events is None:
            content_type = headers.pop("content-type", "application/json")
            self._send_body(canned.status, canned.body, content_type, headers)
            return
        self._start_stream(canned.status, headers, "text/event-stream; charset=utf-8")
        for frame in canned.stream_events:
            self._write_chunk(frame)
        self._end_stream()

    def _send_stream(self, reply: StreamReply, headers: dict[str, str], fault: faults.Faults) -> None:
        self._start_stream(200, headers, reply.content_type)
        self._pause(fault.ttft_s)
        sent_tokens = 0
        cut_after = fault.cut_after
        for frame in reply.frames:
            if frame.token:
                if cut_after is not None and sent_tokens >= cut_after:
                    self._cut()
                if sent_tokens:
                    self._pause(fault.token_delay_s)
                sent_tokens += 1
            self._write_chunk(frame.data)
        if cut_after is not None:
            self._cut()
        self._end_stream()
