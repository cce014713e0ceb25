"""Streams, observed in place: the caller gets the SDK's own stream object back.

Chunks are observed on the SDK stream's internal iterator, which every way of reading it goes
through (iteration, `text_stream`, `until_done()`, `get_final_message()`). The operation ends
exactly once: on exhaustion, on an error, on `close()` or a context-manager exit, or when the
stream is dropped unread.

`messages.stream()` only builds a manager that sends the request on enter: the core's deferred
streams start the operation there and end it with the stream (the manager's exit at the latest).
"""

from __future__ import annotations

import weakref
from typing import Any

from opentelemetry.semconv_ai import ChunkHandler, Observer, Operation, observe, observe_async
from opentelemetry.semconv_ai.content import message, plain, reasoning_part, text_part, tool_call_part
from opentelemetry.semconv_ai.safe import has_text, index

from .mapping import block_answers, part, record_http, record_stop, record_usage


def watch(op: Operation, stream: Any, handler: ChunkHandler) -> Observer:
    """Observe an `anthropic.Stream` / `AsyncStream` in place, for `op`."""
    record_http(op, stream.response)
    iterator = stream._iterator
    # The class's close, and the stream by weak reference: a stream dropped unread must stay free of
    # reference cycles, so that it closes its response at once (the SDK avoids cycles for the same reason).
    close = type(stream).close
    ref = weakref.ref(stream)
    observer = op.observer(handler)
    if hasattr(stream, "__aiter__"):
        stream._iterator = observe_async(iterator, observer)

        async def aclosing() -> Any:
            try:
                target = ref()
                return None if target is None else await close(target)
            finally:
                observer.end(None)

        stream.close = aclosing
    else:
        stream._iterator = observe(iterator, observer)

        def closing() -> Any:
            try:
                target = ref()
                return None if target is None else close(target)
            finally:
                observer.end(None)

        stream.close = closing
    weakref.finalize(stream, observer.end, None).atexit = False
    return observer


class MessageEvents:
    """Reads a stream of raw message events: usage from `message_start` and `message_delta`."""

    __slots__ = ("blocks", "delta_usage", "op", "start_usage", "stop_reason")

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.start_usage: Any = None
        self.delta_usage: Any = None
        self.stop_reason: Any = None
        # index -> [type, text pieces, block]; only when the output is collected.
        self.blocks: dict[int, list[Any]] | None = {} if op.collect_output else None

    def on_chunk(self, event: Any) -> bool | None:
        kind = getattr(event, "type", None)
        if kind == "content_block_delta":
            if self.blocks is None:
                if not self.op.answered:
                    self.op.answered = has_text(getattr(getattr(event, "delta", None), "text", None))
                # Quiet once answered: message_delta (usage, stop reason) is among the last events.
                return bool(self.op.answered)
            else:
                entry = self.blocks.get(index(getattr(event, "index", 0)))
                delta = getattr(event, "delta", None)
                piece = getattr(delta, "text", None) or getattr(delta, "thinking", None)
                piece = piece or getattr(delta, "partial_json", None)
                if entry is not None and isinstance(piece, str):
                    entry[1].append(piece)
        elif kind == "message_start":
            msg = getattr(event, "message", None)
            self.op.set_response(model=getattr(msg, "model", None), response_id=getattr(msg, "id", None))
            self.start_usage = getattr(msg, "usage", None)
        elif kind == "message_delta":
            self.stop_reason = getattr(getattr(event, "delta", None), "stop_reason", None)
            self.delta_usage = getattr(event, "usage", None)
        elif kind == "content_block_start":
            block = getattr(event, "content_block", None)
            if self.blocks is not None:
                self.blocks[index(getattr(event, "index", 0))] = [getattr(block, "type", None), [], block]
            elif not self.op.answered:
                self.op.answered = block_answers(block)

    def on_end(self) -> None:
        op = self.op
        if self.start_usage is not None:
            # message_start holds a placeholder output count: output is known only from message_delta.
            record_usage(op, self.start_usage, self.delta_usage)
        reason = record_stop(op, self.stop_reason)
        if self.blocks is None:
            op.answered = bool(op.answered)
        else:
            op.set_output(
                [message("assistant", [_streamed_part(e) for _, e in sorted(self.blocks.items())], reason)]
            )


def _streamed_part(entry: list[Any]) -> dict[str, Any]:
    kind, pieces, block = entry
    text = "".join(pieces)
    if kind == "text":
        return text_part((block.text or "") + text)
    if kind == "thinking":
        return reasoning_part(text)
    if kind in ("tool_use", "server_tool_use"):
        return tool_call_part(block.id, block.name, text or plain(block.input))
    return part(block)


class CompletionChunks:
    """Reads a legacy text-completion stream: the text, and the stop reason of the last chunk."""

    __slots__ = ("op", "pieces", "stop_reason")

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.stop_reason: Any = None
        self.pieces: list[str] | None = [] if op.collect_output else None

    def on_chunk(self, chunk: Any) -> bool:
        if self.stop_reason is None:
            self.op.set_response(model=chunk.model, response_id=chunk.id)
        if chunk.stop_reason is not None:
            self.stop_reason = chunk.stop_reason
        if self.pieces is not None:
            self.pieces.append(chunk.completion)
            return False
        if not self.op.answered:
            self.op.answered = has_text(chunk.completion)
        return bool(self.op.answered)  # quiet: the stop reason is on the last chunk

    def on_end(self) -> None:
        reason = record_stop(self.op, self.stop_reason)
        if self.pieces is not None:
            self.op.set_output([message("assistant", [text_part("".join(self.pieces))], reason)])
        else:
            self.op.answered = bool(self.op.answered)
