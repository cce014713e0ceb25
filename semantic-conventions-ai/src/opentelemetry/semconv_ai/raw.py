"""Raw responses (`with_raw_response`, `with_streaming_response`) whose body the caller reads later.

The SDK call returns as soon as the headers arrive; the body (a stream, or JSON behind an async
`parse()`) is read when the caller parses it. So the operation stays open until then: `parse()` on
the raw response is wrapped, once, to read what it returns (usage of a JSON body, or a stream's
chunks through the provider's own stream observation, to the end of the body). A raw response that
is never parsed through the SDK (its lines read by hand, say) ends the operation when it is closed
(`with_streaming_response` closes it on exit) or collected.
"""

from __future__ import annotations

import inspect
import logging
import types
import weakref
from collections.abc import Callable
from typing import Any

from .safe import is_stream

logger = logging.getLogger("opentelemetry.semconv_ai")

Reader = Callable[[Any, Any], None]
StreamObserver = Callable[[Any, Any], Any]


def body_pending(result: Any) -> bool:
    """Whether a raw response's body is still to be read, or can only be parsed by awaiting."""
    http = getattr(result, "http_response", None)
    return not getattr(http, "is_closed", True) or inspect.iscoroutinefunction(getattr(result, "parse", None))


def read_when_parsed(op: Any, result: Any, read: Reader, on_stream: StreamObserver) -> Any:
    """Keep `op` open until the caller parses `result`: `read(op, parsed)` for a whole object,
    `on_stream(op, stream)` (which returns what the caller gets) for a stream. Returns `result`."""
    parse = getattr(type(result), "parse", None)
    if parse is None:
        return result
    op.streaming = True  # ends when parsed, or when dropped unparsed
    state: dict[str, Any] = {}

    def finish(parsed: Any) -> Any:
        if "out" in state:  # the SDK caches parse(); so do we, or a second parse would observe twice
            return state["out"]
        out = parsed
        try:
            if is_stream(parsed):
                finalizer = state.get("finalizer")
                if finalizer is not None:
                    finalizer.detach()  # the stream ends the operation now, whatever becomes of `result`
                out = on_stream(op, parsed)
            else:
                read(op, parsed)
                op.end()
        except Exception:
            logger.debug("reading a parsed raw response failed", exc_info=True)
            op.end()
            out = parsed
        state["out"] = out
        return out

    def parsing(target: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            parsed = parse(target, *args, **kwargs)
        except BaseException as exc:
            op.fail(exc)
            raise
        if not inspect.isawaitable(parsed):
            return finish(parsed)

        async def finishing() -> Any:  # an async parse(): the caller awaits it, as before
            try:
                value = await parsed
            except BaseException as exc:
                op.fail(exc)
                raise
            return finish(value)

        return finishing()

    close = getattr(type(result), "close", None)

    def closing(target: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return close(target, *args, **kwargs)  # type: ignore[misc]
        finally:
            op.close()  # `with_streaming_response` closes on exit: read or not, the body is over

    try:
        # Bound to the instance: `client...with_raw_response.create(...).parse()` keeps it alive.
        result.parse = types.MethodType(parsing, result)
        if callable(close) and not inspect.iscoroutinefunction(close):
            result.close = types.MethodType(closing, result)
    except (AttributeError, TypeError):
        op.end()  # a response type that takes no attributes: timed to the headers, as before
        return result
    finalizer = state["finalizer"] = weakref.finalize(result, op.close)
    finalizer.atexit = False
    return result
