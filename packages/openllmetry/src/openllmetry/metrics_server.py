"""A small /metrics server that slow clients, many scrapers and odd requests cannot take down.

- One acceptor thread reads request heads without blocking (at most 256 waiting connections, each
  dropped after the timeout); only complete requests reach the fixed pool of handler threads, and
  a response is sent within 30 s or dropped. Idle and slow clients hold no thread.
- Scrapes share renders: a request is answered by a render that started after it arrived, and
  renders are spaced (four times the last render's cost, at most 2 s) so that 32 scrapers in a loop
  cost the application about as much as one.
- `GET` and `HEAD`, gzip when the client accepts it, the text format whatever `Accept` says, one
  response per connection, and nothing logged per request.
"""

from __future__ import annotations

import gzip
import logging
import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("openllmetry")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_HEAD_BYTES = 16384
MAX_PENDING = 256  # connections whose request has not fully arrived
SEND_SECONDS = 30.0
MAX_SPACING_S = 2.0


class _Shared:
    """The latest render, shared by every request that arrived before it started."""

    def __init__(self, render: Callable[[], bytes]) -> None:
        self._render = render
        self._cond = threading.Condition()
        self._rendering = False
        self._body: bytes = b""
        self._gzipped: bytes | None = None
        self._started = -1.0
        self._ended = -1e9
        self._cost = 0.0

    def get(self, arrived: float, want_gzip: bool) -> tuple[bytes, bool]:
        with self._cond:
            while self._started < arrived:
                if not self._rendering:
                    self._rendering = True
                    break
                self._cond.wait(30)
            else:
                return self._encoded(want_gzip)
        try:
            pause = self._ended + min(MAX_SPACING_S, 4 * self._cost) - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            started = time.monotonic()
            try:
                body = self._render()
            except Exception:
                logger.debug("rendering /metrics failed", exc_info=True)
                body = b""
            ended = time.monotonic()
        except BaseException:
            with self._cond:
                self._rendering = False
                self._cond.notify_all()
            raise
        with self._cond:
            self._body, self._gzipped = body, None
            self._started, self._ended, self._cost = started, ended, ended - started
            self._rendering = False
            self._cond.notify_all()
            return self._encoded(want_gzip)

    def _encoded(self, want_gzip: bool) -> tuple[bytes, bool]:
        if not want_gzip:
            return self._body, False
        if self._gzipped is None:
            self._gzipped = gzip.compress(self._body, compresslevel=1)
        return self._gzipped, True


class MetricsServer:
    """`MetricsServer(host, port, render).start()`; `server_port` is the bound port."""

    def __init__(
        self, host: str, port: int, render: Callable[[], bytes], *, threads: int = 4, queued: int = 64,
        timeout: float = 5.0,
    ) -> None:  # fmt: skip
        self.host, self.port = host, port
        self.timeout = timeout
        self._shared = _Shared(render)
        self._queue: queue.Queue[tuple[socket.socket, float, bytes] | None] = queue.Queue(maxsize=queued)
        self._threads = threads
        self._workers: list[threading.Thread] = []
        self._stopped = threading.Event()
        self.socket: socket.socket | None = None
        self.server_port = 0

    def start(self) -> MetricsServer:
        """Binds (raising OSError when it cannot) and starts the threads."""
        infos = socket.getaddrinfo(
            self.host or None, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(128)
        except BaseException:
            sock.close()
            raise
        self.socket = sock
        self.server_port = int(sock.getsockname()[1])
        threads = [threading.Thread(target=self._accept, name="openllmetry-metrics-accept", daemon=True)]
        threads += [
            threading.Thread(target=self._work, name=f"openllmetry-metrics-{i}", daemon=True)
            for i in range(self._threads)
        ]
        for thread in threads:
            thread.start()
        self._workers = threads
        return self

    def shutdown(self) -> None:
        self._stopped.set()
        sock, self.socket = self.socket, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for _ in range(self._threads):
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                break
        for thread in self._workers:
            if thread is not threading.current_thread():
                thread.join(self.timeout + 1)

    def server_close(self) -> None:  # the name socketserver users call
        self.shutdown()

    def _accept(self) -> None:
        """Accepts connections and reads request heads without blocking; only whole requests reach a
        handler thread, so idle or slow clients hold no thread, only a slot here until their timeout."""
        sock = self.socket
        if sock is None:
            return
        sock.setblocking(False)
        selector = selectors.DefaultSelector()
        selector.register(sock, selectors.EVENT_READ)
        pending: dict[socket.socket, tuple[float, bytearray]] = {}
        try:
            while not self._stopped.is_set():
                for key, _ in selector.select(timeout=0.25):
                    if key.fileobj is sock:
                        self._admit(sock, selector, pending)
                    else:
                        self._read(key.fileobj, selector, pending)  # type: ignore[arg-type]
                now = time.monotonic()
                for conn in [c for c, (arrived, _) in pending.items() if now - arrived > self.timeout]:
                    _drop(conn, selector, pending)
        except (OSError, ValueError):
            if not self._stopped.is_set():
                logger.debug("the /metrics acceptor stopped", exc_info=True)
        finally:
            for conn in list(pending):
                _drop(conn, selector, pending)
            selector.close()

    def _admit(self, sock: socket.socket, selector: selectors.BaseSelector, pending: dict) -> None:  # type: ignore[type-arg]
        try:
            conn, _ = sock.accept()
        except (BlockingIOError, InterruptedError):
            return
        if len(pending) >= MAX_PENDING:  # the oldest waiting client makes room
            oldest = min(pending, key=lambda c: pending[c][0])
            _drop(oldest, selector, pending)
        conn.setblocking(False)
        pending[conn] = (time.monotonic(), bytearray())
        selector.register(conn, selectors.EVENT_READ)

    def _read(self, conn: socket.socket, selector: selectors.BaseSelector, pending: dict) -> None:  # type: ignore[type-arg]
        arrived, data = pending[conn]
        try:
            chunk = conn.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        data += chunk
        if not chunk or len(data) > MAX_HEAD_BYTES:
            _drop(conn, selector, pending)
            return
        if b"\r\n\r\n" not in data:
            return
        selector.unregister(conn)
        del pending[conn]
        conn.setblocking(True)
        conn.settimeout(self.timeout)
        try:
            self._queue.put_nowait((conn, arrived, bytes(data).split(b"\r\n\r\n", 1)[0]))
        except queue.Full:
            conn.close()

    def _work(self) -> None:
        while not self._stopped.is_set():
            item = self._queue.get()
            if item is None:
                return
            conn, arrived, head = item
            try:
                self._handle(conn, arrived, head)
            except Exception:
                logger.debug("a /metrics request failed", exc_info=True)
            finally:
                try:
                    conn.close()
                except OSError:
                    pass

    def _handle(self, conn: socket.socket, arrived: float, head: bytes) -> None:
        lines = head.split(b"\r\n")
        parts = lines[0].split()
        if len(parts) != 3:
            conn.sendall(_response(400, b"bad request\n"))
            return
        method, target = parts[0], parts[1]
        if method not in (b"GET", b"HEAD"):
            conn.sendall(_response(405, b"only GET and HEAD\n", extra=b"Allow: GET, HEAD\r\n"))
            return
        path = target.split(b"?", 1)[0]
        if path not in (b"/metrics", b"/"):
            conn.sendall(_response(404, b"not found: try /metrics\n"))
            return
        body, gzipped = self._shared.get(arrived, _accepts_gzip(lines[1:]))
        extra = (
            b"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
            if gzipped
            else b"Vary: Accept-Encoding\r\n"
        )
        _send(
            conn,
            _response(200, body, extra=extra, head_only=method == b"HEAD"),
            time.monotonic() + SEND_SECONDS,
        )


def _drop(conn: socket.socket, selector: selectors.BaseSelector, pending: dict) -> None:  # type: ignore[type-arg]
    pending.pop(conn, None)
    try:
        selector.unregister(conn)
    except (KeyError, ValueError):
        pass
    conn.close()


def _send(conn: socket.socket, data: bytes, deadline: float) -> None:
    """sendall() with an overall deadline: a client that reads slowly cannot hold a thread for long."""
    view = memoryview(data)
    while view:
        if time.monotonic() > deadline:
            return
        sent = conn.send(view[:262144])
        view = view[sent:]


def _accepts_gzip(header_lines: list[bytes]) -> bool:
    for line in header_lines:
        name, _, value = line.partition(b":")
        if name.strip().lower() != b"accept-encoding":
            continue
        for item in value.split(b","):
            coding, _, params = item.strip().partition(b";")
            if coding.strip().lower() in (b"gzip", b"*"):
                quality = params.strip().lower()
                if quality.startswith(b"q="):
                    try:
                        return float(quality[2:]) > 0
                    except ValueError:
                        return True
                return True
    return False


_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 405: b"Method Not Allowed"}


def _response(status: int, body: bytes, *, extra: bytes = b"", head_only: bool = False) -> bytes:
    content_type = CONTENT_TYPE.encode() if status == 200 else b"text/plain; charset=utf-8"
    head = b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n" % (
        status,
        _REASONS[status],
        content_type,
        len(body),
        extra,
    )
    return head if head_only else head + body
