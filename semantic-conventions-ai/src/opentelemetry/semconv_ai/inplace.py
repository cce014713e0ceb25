"""Observing an SDK's own stream object in place, for SDKs whose streams must stay themselves.

`observe()` / `observe_async()` swap a stream's internal iterator for one that reports each chunk. Some
SDKs read a stream through more than one internal piece (botocore's `EventStream` iterates raw events
and parses each one, and an exception event raises from the parser): these report each piece on its
own, sync or async alike, and `end_on_close` ends the operation when the stream is closed or dropped.

`serve_again` is for read-once bodies (botocore's `StreamingBody`) that the instrumentation reads
whole: the same object serves the same bytes to the caller.
"""

from __future__ import annotations

import inspect
import io
import weakref
from collections.abc import Callable
from typing import Any

from .stream import Observer


def observe_calls(function: Callable[..., Any], observer: Observer) -> Callable[..., Any]:
    """`function` (sync or a coroutine function) reporting what it returns as a chunk, and ending the
    stream with what it raises."""

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            chunk = function(*args, **kwargs)
        except BaseException as exc:
            observer.end(exc)
            raise
        observer.chunk(chunk)
        return chunk

    async def acall(*args: Any, **kwargs: Any) -> Any:
        try:
            chunk = await function(*args, **kwargs)
        except BaseException as exc:
            observer.end(exc)
            raise
        observer.chunk(chunk)
        return chunk

    return acall if inspect.iscoroutinefunction(function) else call


def observe_end(iterator: Any, observer: Observer) -> Any:
    """A generator over `iterator` (sync or async) that ends the stream when it runs out or fails;
    its items are not chunks (see `observe_calls`)."""

    def items() -> Any:
        try:
            yield from iterator
        except BaseException as exc:
            observer.end(exc)
            raise
        observer.end(None)

    async def aitems() -> Any:
        try:
            async for item in iterator:
                yield item
        except BaseException as exc:
            observer.end(exc)
            raise
        observer.end(None)

    return aitems() if hasattr(iterator, "__anext__") else items()


def end_on_close(stream: Any, observer: Observer) -> None:
    """End the stream when `stream.close()` is called (the class's own close runs, sync or async as it
    is) or when the stream is garbage-collected. The stream is held weakly: no reference cycle."""
    close, ref = type(stream).close, weakref.ref(stream)

    def closing(*args: Any, **kwargs: Any) -> Any:
        try:
            target = ref()
            return None if target is None else close(target, *args, **kwargs)
        finally:
            observer.end(None)

    stream.close = closing
    weakref.finalize(stream, observer.end, None).atexit = False


class Replay(io.BytesIO):
    """A body's bytes served again, `read(n)` included; if reading them failed, reads fail alike."""

    def __init__(self, data: bytes | BaseException) -> None:
        super().__init__(data if isinstance(data, bytes) else b"")
        self.failure = None if isinstance(data, bytes) else data

    def read(self, amt: int | None = None) -> bytes:
        if self.failure is not None:
            raise self.failure
        return super().read(amt)

    def readinto(self, b: Any) -> int:
        if self.failure is not None:
            raise self.failure
        return super().readinto(b)

    async def aread(self, amt: int | None = None) -> bytes:
        return self.read(amt)

    async def areadinto(self, b: Any) -> int:
        return self.readinto(b)


def serve_again(body: Any, data: bytes | BaseException, *, is_async: bool = False) -> None:
    """Make the file-like `body`, whose bytes were read whole (`data`, or the error reading them raised),
    serve them again: `read`, `readinto`, `tell` and `readable` of the same object, awaitable for an
    async body. Everything built on `read` (`iter_lines`, `iter_chunks`, iteration) follows."""
    replay = Replay(data)
    body.read, body.readinto = (
        (replay.aread, replay.areadinto) if is_async else (replay.read, replay.readinto)
    )
    body.tell, body.readable = replay.tell, replay.readable


def replayed(body: Any) -> bytes | None:
    """The bytes `serve_again` serves from `body`; None if it does not."""
    replay = getattr(getattr(body, "read", None), "__self__", None)
    return replay.getvalue() if isinstance(replay, Replay) and replay.failure is None else None
