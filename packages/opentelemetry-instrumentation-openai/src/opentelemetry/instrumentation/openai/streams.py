"""Responses API stream events, and ending the `.stream()` helpers' streams with their close().

Chat and completion chunks are read by the core's `openai_compat.ChoiceChunks`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry.semconv_ai import Operation
from opentelemetry.semconv_ai.stream import AsyncStreamProxy, StreamProxy

Reader = Callable[[Operation, Any], None]


_CARRY_RESPONSE = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.completed",
        "response.incomplete",
        "response.failed",
    }
)


class ResponseEvents:
    """Responses API events: the latest `Response` an event carried (the final one holds the usage)."""

    __slots__ = ("op", "read", "response")

    def __init__(self, op: Operation, read: Reader) -> None:
        self.op = op
        self.read = read
        self.response: Any = None

    def on_chunk(self, event: Any) -> bool:
        if getattr(event, "type", None) in _CARRY_RESPONSE:
            self.response = event.response
        # Quiet once a response is known: the one that ends the stream comes with its last events.
        return self.response is not None

    def on_end(self) -> None:
        if self.response is not None:
            self.read(self.op, self.response)


def end_raw_stream(helper: Any) -> Any:
    """The SDK's `.stream()` helpers close their HTTP response directly; end our proxy with it.

    Returns an awaitable for async helpers, else None.
    """
    raw = getattr(helper, "_raw_stream", None)
    if type(raw) is StreamProxy or type(raw) is AsyncStreamProxy:
        return raw.close()
    return None
