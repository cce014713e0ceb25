"""LiteLLM's streams: chat and text chunks through the core's handler, with the provider's own usage.

Usage is what the provider reported, never LiteLLM's estimate. With `stream_options={"include_usage":
True}` LiteLLM ends a stream with a usage chunk even when the provider sent none, filled in by its own
tokenizer. So the counts are read from the chunks the provider sent, which `CustomStreamWrapper` keeps
(`.chunks`, usage included, whether or not the caller asked for usage).
"""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai import Operation
from opentelemetry.semconv_ai.openai_compat import ChoiceChunks, read_usage
from opentelemetry.semconv_ai.safe import count, field, has_text, items

_UNREPORTED = "UnreportedUsage"  # LiteLLM's zeros for a usage the provider did not report


def _visible_usage(chunk: Any) -> Any:
    usage = field(chunk, "usage")
    return None if type(usage).__name__ == _UNREPORTED else usage


def reported_usage(chunks: Any) -> dict[str, Any] | None:
    """The provider's counts among a stream's chunks: the last non-zero one of each, as LiteLLM takes
    them (Anthropic reports at the start and the end, Ollama zeros before its last chunk)."""
    prompt = completion = last = None
    for usage in (_visible_usage(chunk) for chunk in items(chunks)):
        if usage is None:
            continue
        last = usage
        tokens = count(field(usage, "prompt_tokens"))
        prompt = tokens if tokens is not None and (tokens > 0 or prompt is None) else prompt
        tokens = count(field(usage, "completion_tokens"))
        completion = tokens if tokens is not None and (tokens > 0 or completion is None) else completion
    if last is None:
        return None
    keys = ("prompt_tokens_details", "completion_tokens_details", "cache_creation_input_tokens")
    return {"prompt_tokens": prompt, "completion_tokens": completion, **{k: field(last, k) for k in keys}}


class KeptUsageChunks(ChoiceChunks):
    """The core's chat/text chunk handler, its usage taken from the chunks LiteLLM kept."""

    __slots__ = ("stream",)

    def __init__(self, op: Operation, read: Any, stream: Any, chat: bool = True) -> None:
        kept = isinstance(field(stream, "chunks"), list)
        super().__init__(op, read, chat, usage_of=(lambda chunk: None) if kept else _visible_usage)
        self.stream = stream  # a stream that keeps none (LiteLLM's text streams): the usage the caller saw

    def on_end(self) -> None:
        kept = field(self.stream, "chunks")
        if isinstance(kept, list):
            self.usage = reported_usage(kept)
        seen = kept if isinstance(kept, list) else [self.last]  # the core may keep only the last chunks
        finished = self.reasons or any(
            field(c, "finish_reason") for k in seen for c in items(field(k, "choices"))
        )
        if not finished and self.usage is not None:
            # Cut short: a running output count (Anthropic's start event says 1) is not the answer's.
            usage = self.usage
            self.usage = {k: field(usage, k) for k in ("prompt_tokens", "prompt_tokens_details")}
        super().on_end()


def read_response(op: Operation, response: Any) -> None:
    """A Responses API response (whole, or from a stream's last event)."""
    status = field(response, "status")
    finish = {"completed": "stop", "incomplete": "length"}.get(status, status)
    op.set_response(
        model=field(response, "model"),
        response_id=field(response, "id"),
        finish_reasons=[finish] if isinstance(finish, str) else None,
    )
    read_usage(op, field(response, "usage"), "input_tokens", "output_tokens")
    output = items(field(response, "output"))
    texts = [
        field(p, "text") for i in output for p in items(field(i, "content")) if has_text(field(p, "text"))
    ]
    op.answered = bool(texts) or any(field(i, "type") == "function_call" for i in output)
    if op.collect_output and texts:
        op.set_output([{"role": "assistant", "parts": [{"type": "text", "content": "".join(texts)}],
                        "finish_reason": finish}])  # fmt: skip


class ResponseEvents:
    """Responses API events: the latest response an event carried (the final one holds the usage)."""

    __slots__ = ("op", "response")

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.response: Any = None

    def on_chunk(self, event: Any) -> None:
        self.response = field(event, "response") or self.response

    def on_end(self) -> None:
        if self.response is not None:
            read_response(self.op, self.response)
