"""Stream proxies: time to first chunk, time per chunk, and ending the operation exactly once.

The operation ends on whichever comes first: exhaustion, close(), context-manager exit, an error
mid-stream, or the proxy being garbage-collected while still open. Every other attribute and
method goes to the SDK's own stream object.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from time import perf_counter
from typing import Any, Protocol

from opentelemetry import context

logger = logging.getLogger("opentelemetry.semconv_ai")

_NORMAL_ENDS = (GeneratorExit, StopIteration, StopAsyncIteration)


# Chunks a quiet handler is shown again at the end: the finish reason and usage live in the last ones.
TAIL = 3


class ChunkHandler(Protocol):
    """What a provider adapter gives to see each chunk, and the end of the stream.

    `on_chunk` returning True means "quiet from here": the chunks after that one are only counted and
    timed, and the last `TAIL` of them are handed to `on_chunk` again at the end, before `on_end()`.
    """

    def on_chunk(self, chunk: Any) -> bool | None: ...

    def on_end(self) -> None: ...


class StreamedOperation(Protocol):
    """What a stream reports to (an `Operation`); this module does not depend on it."""

    t_first: float | None
    t_last: float | None
    chunks: int

    def end(self) -> None: ...

    def fail(self, exc: BaseException) -> None: ...


# Streams still open, so that shutdown can end them before the span processors go (see end_open_streams).
_open: weakref.WeakSet[Observer] = weakref.WeakSet()
_open_lock = threading.Lock()


def _reset_after_fork() -> None:
    global _open_lock
    _open_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def end_open_streams() -> int:
    """End every stream still open as if its caller had closed it; returns how many there were."""
    with _open_lock:
        observers = list(_open)
    for observer in observers:
        try:
            observer.end(None)
        except Exception:
            logger.debug("ending an open stream failed", exc_info=True)
    return len(observers)


def _quiet(chunk: Any) -> bool:
    return True


class Observer:
    """Per-stream state shared by the proxies and `observe()`: the chunk count and times, and the last
    chunks kept for a quiet handler. The operation gets the count and times when the stream ends."""

    __slots__ = (
        "__weakref__", "chunks", "context", "done", "handler", "on_chunk", "op", "quiet_at", "t_first",
        "t_last", "tail0", "tail1", "tail2",
    )  # fmt: skip

    def __init__(self, op: StreamedOperation, handler: ChunkHandler | None) -> None:
        self.op = op
        self.handler = handler
        self.on_chunk = _quiet if handler is None else handler.on_chunk  # bound once, not per chunk
        self.done = False
        self.context: Any = None  # the operation's, for the proxies that read chunks inside it
        self.chunks = self.quiet_at = 0
        self.t_first: float | None = None
        self.t_last: float | None = None
        self.tail0 = self.tail1 = self.tail2 = None
        with _open_lock:
            _open.add(self)

    def chunk(self, chunk: Any) -> None:
        # Runs once per chunk, after the SDK's parsing has pushed this state out of the CPU caches:
        # once the handler is quiet, one object, three reference writes and the clock.
        self.t_last = perf_counter()
        on_chunk = self.on_chunk
        if on_chunk is None:
            self.chunks += 1
            self.tail2 = self.tail1
            self.tail1 = self.tail0
            self.tail0 = chunk
            return
        self.chunks = count = self.chunks + 1
        if count == 1:
            self.t_first = self.t_last
        try:
            quiet = on_chunk(chunk) is True
        except Exception:
            logger.debug("chunk handler failed; ignoring the rest of this stream", exc_info=True)
            self.handler = None
            quiet = True
        if quiet:
            self.on_chunk = None
            self.quiet_at = count

    def _replay(self, handler: ChunkHandler) -> None:
        """The chunks a quiet handler did not see, at most the last TAIL, in order."""
        if self.on_chunk is not None:
            return
        missed = min(TAIL, self.chunks - self.quiet_at)
        for chunk in (self.tail2, self.tail1, self.tail0)[TAIL - missed :]:
            handler.on_chunk(chunk)

    def end(self, exc: BaseException | None = None) -> None:
        if self.done:
            return
        self.done = True
        with _open_lock:
            _open.discard(self)
        op = self.op
        op.chunks, op.t_first, op.t_last = self.chunks, self.t_first, self.t_last
        handler = self.handler
        try:
            if handler is not None:
                self._replay(handler)
                handler.on_end()
        except Exception:
            logger.debug("stream end handler failed", exc_info=True)
        self.tail0 = self.tail1 = self.tail2 = None
        if exc is None or isinstance(exc, _NORMAL_ENDS):
            op.end()
        else:
            op.fail(exc)


class _Proxy:
    __slots__ = ("__weakref__", "__wrapped__", "_iterator", "_observer")

    def __init__(self, wrapped: Any, observer: Observer) -> None:
        object.__setattr__(self, "__wrapped__", wrapped)
        object.__setattr__(self, "_observer", observer)
        object.__setattr__(self, "_iterator", None)

    def __getattr__(self, name: str) -> Any:
        if name == "__wrapped__":  # a copy made without __init__ (copy, pickle) must not recurse
            raise AttributeError(name)
        return getattr(self.__wrapped__, name)

    # Copying or pickling a stream does what it does to the SDK's own stream object.
    def __copy__(self) -> Any:
        return copy.copy(self.__wrapped__)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return copy.deepcopy(self.__wrapped__, memo)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return self.__wrapped__.__reduce_ex__(protocol)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.__wrapped__, name, value)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance(proxy, openai.Stream) keeps working
        return type(self.__wrapped__)

    def __repr__(self) -> str:
        return repr(self.__wrapped__)

    def __del__(self) -> None:
        try:
            observer = self._observer
            if not observer.done:
                observer.end(None)
        except Exception:
            pass


class StreamProxy(_Proxy):
    __slots__ = ()

    def __iter__(self) -> StreamProxy:
        return self

    def __next__(self) -> Any:
        iterator = self._iterator
        if iterator is None:
            # iter(), even where the SDK's stream has a __next__: a bare `for` loop resumes the SDK's
            # __iter__ generator, and so does this proxy, without a call to the SDK's __next__ per chunk.
            iterator = iter(self.__wrapped__)
            object.__setattr__(self, "_iterator", iterator)
        try:
            chunk = next(iterator)
        except BaseException as exc:
            self._observer.end(exc)
            raise
        observer = self._observer
        if observer.on_chunk is None:  # Observer.chunk's quiet path, inlined: the sync proxy is the hot one
            observer.t_last = perf_counter()
            observer.chunks += 1
            observer.tail2 = observer.tail1
            observer.tail1 = observer.tail0
            observer.tail0 = chunk
        else:
            observer.chunk(chunk)
        return chunk

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._observer.end(None)

    def __enter__(self) -> StreamProxy:
        enter = getattr(self.__wrapped__, "__enter__", None)
        if enter is not None:
            enter()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            exit_ = getattr(self.__wrapped__, "__exit__", None)
            return exit_(exc_type, exc, tb) if exit_ is not None else None
        finally:
            self._observer.end(exc)


class AsyncStreamProxy(_Proxy):
    __slots__ = ()

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        iterator = self._iterator
        if iterator is None:
            # The SDK's own __anext__ where it has one: its __aiter__ is an async generator, a layer that
            # a stream dropped half-read would leave for asyncio to close at loop shutdown.
            wrapped = self.__wrapped__
            iterator = wrapped if hasattr(type(wrapped), "__anext__") else wrapped.__aiter__()
            object.__setattr__(self, "_iterator", iterator)
        try:
            chunk = await iterator.__anext__()
        except BaseException as exc:
            self._observer.end(exc)
            raise
        self._observer.chunk(chunk)
        return chunk

    async def close(self) -> Any:
        try:
            return await self.__wrapped__.close()
        finally:
            self._observer.end(None)

    async def aclose(self) -> Any:
        try:
            aclose = getattr(self.__wrapped__, "aclose", None) or self.__wrapped__.close
            return await aclose()
        finally:
            self._observer.end(None)

    async def __aenter__(self) -> AsyncStreamProxy:
        enter = getattr(self.__wrapped__, "__aenter__", None)
        if enter is not None:
            await enter()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            exit_ = getattr(self.__wrapped__, "__aexit__", None)
            return (await exit_(exc_type, exc, tb)) if exit_ is not None else None
        finally:
            self._observer.end(exc)


class InsideStreamProxy(StreamProxy):
    """Reads each chunk inside the operation (its context current), for streams that call an SDK
    lazily: an instrumented SDK then stands aside, and HTTP spans nest under the operation's."""

    __slots__ = ()

    def __next__(self) -> Any:
        token = context.attach(self._observer.context)
        try:
            return StreamProxy.__next__(self)
        finally:
            context.detach(token)


class AsyncInsideStreamProxy(AsyncStreamProxy):
    __slots__ = ()

    async def __anext__(self) -> Any:
        token = context.attach(self._observer.context)
        try:
            return await AsyncStreamProxy.__anext__(self)
        finally:
            context.detach(token)


def observe(iterator: Iterator[Any], observer: Observer) -> Iterator[Any]:
    """A generator over `iterator` that reports to `observer`; for SDK objects that iterate internally."""
    try:
        for chunk in iterator:
            observer.chunk(chunk)
            yield chunk
    except BaseException as exc:
        observer.end(exc)
        raise
    observer.end(None)


class _ObservedAsync:
    """`observe` for async iterators, without an async-generator layer (see AsyncStreamProxy)."""

    __slots__ = ("_iterator", "_observer")

    def __init__(self, iterator: AsyncIterator[Any], observer: Observer) -> None:
        self._iterator = iterator
        self._observer = observer

    def __aiter__(self) -> _ObservedAsync:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self._iterator.__anext__()
        except BaseException as exc:
            self._observer.end(exc)
            raise
        self._observer.chunk(chunk)
        return chunk

    async def aclose(self) -> None:
        try:
            aclose = getattr(self._iterator, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            self._observer.end(None)


def observe_async(iterator: AsyncIterator[Any], observer: Observer) -> AsyncIterator[Any]:
    """An async iterator over `iterator` that reports to `observer`."""
    return _ObservedAsync(iterator, observer)
