"""``MockProvider``: the server's lifecycle, addresses, recorded requests, canned responses and settings."""

from __future__ import annotations

import json
import random
import threading
from collections import deque
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from . import registry, sse
from .handler import Canned, RecordedRequest, Server

MAX_RECORDED_REQUESTS = 1000

__all__ = ["MAX_RECORDED_REQUESTS", "MockProvider", "RecordedRequest"]


def _encode_stream_event(event: str | tuple[str, Any] | Any) -> bytes:
    if isinstance(event, tuple):
        name, data = event
        return sse.encode(data, event=name)
    return sse.encode(event)


class State:
    """Server-wide objects of every protocol (``Protocol.state``), as attributes."""

    def __init__(self) -> None:
        for protocol in registry.protocols():
            for name, factory in protocol.state.items():
                setattr(self, name, factory())

    def clear(self) -> None:
        for value in vars(self).values():
            clear = getattr(value, "clear", None)
            if callable(clear):
                clear()


class MockProvider:
    """A server on loopback for every registered protocol (OpenAI, Anthropic, ...), in daemon threads.

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
        self._canned: deque[Canned] = deque()
        self._state = State()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> MockProvider:
        if self._server is not None:
            raise RuntimeError("MockProvider is already running")
        self._stopping.clear()
        self._server = Server((self.host, self._requested_port), self)
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

    def base_url(self, protocol: str) -> str:
        """The base URL a client of that protocol is given (``base_url("openai") == openai_base_url``)."""
        return self.url + registry.protocol(protocol).base_path

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
            self._canned.append(Canned(status, data, lowered, frames))

    def reset(self) -> None:
        """Forget recorded requests, counters, queued responses and the prompt cache; reseed the RNG."""
        with self._lock:
            self._count = 0
            self._requests.clear()
            self._canned.clear()
            self._rng = random.Random(self.seed)
        self._state.clear()

    # --- used by the handler ------------------------------------------------------------------------------

    def _register(self, request: RecordedRequest) -> tuple[int, Canned | None]:
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
