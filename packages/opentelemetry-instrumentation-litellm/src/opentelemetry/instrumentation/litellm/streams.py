"""Chunk handlers for LiteLLM streams: finish reasons and output as chunks pass, usage at the end.

Usage is what the provider reported, never LiteLLM's estimate. With `stream_options={"include_usage":
True}` LiteLLM ends a stream with a usage chunk even when the provider sent none; it then fills the
counts in with its own tokenizer. So the counts are read from the chunks the provider sent, which
`CustomStreamWrapper` keeps (`.chunks`, usage included, whether or not the caller asked for usage).
"""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai import Operation
from opentelemetry.semconv_ai.safe import count, field, items

from .adapter import UNREPORTED, answered, read_choices, read_response, text_of


def reported_usage(chunks: Any) -> dict[str, Any] | None:
    """The provider's own counts among a stream's chunks: the last non-zero one of each, as LiteLLM does.

    Providers send usage several times (Anthropic's start and delta events, Ollama's zeros before the end).
    """
    prompt = completion = last = None
    for chunk in items(chunks):
        usage = field(chunk, "usage")
        if usage is None or type(usage).__name__ == UNREPORTED:
            continue
        last = usage
        tokens = count(field(usage, "prompt_tokens"))
        if tokens is not None and (tokens > 0 or prompt is None):
            prompt = tokens
        tokens = count(field(usage, "completion_tokens"))
        if tokens is not None and (tokens > 0 or completion is None):
            completion = tokens
    if last is None:
        return None
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "prompt_tokens_details": field(last, "prompt_tokens_details"),
        "completion_tokens_details": field(last, "completion_tokens_details"),
        "cache_creation_input_tokens": field(last, "cache_creation_input_tokens"),
    }


class ChoiceChunks:
    """Chat (`delta`) and text completion (`text`) chunks."""

    __slots__ = ("chat", "last", "op", "reasons", "stream", "texts", "visible")

    def __init__(self, op: Operation, stream: Any, chat: bool) -> None:
        self.op = op
        self.stream = stream
        self.chat = chat
        self.last: Any = None
        self.visible: list[Any] = []  # chunks with usage, as the caller saw them
        self.reasons: dict[int, Any] = {}
        self.texts: dict[int, list[str]] | None = {} if op.collect_output else None

    def on_chunk(self, chunk: Any) -> None:
        self.last = chunk
        if field(chunk, "usage") is not None:
            self.visible.append(chunk)
        for choice in items(field(chunk, "choices")):
            at = field(choice, "index")
            at = at if isinstance(at, int) else 0
            reason = field(choice, "finish_reason")
            if reason is not None:
                self.reasons[at] = reason
            if not self.op.answered:
                self.op.answered = answered(choice, self.chat)
            if self.texts is not None:
                text = text_of(choice, self.chat)
                if isinstance(text, str):
                    self.texts.setdefault(at, []).append(text)

    def on_end(self) -> None:
        # A stream that keeps no chunks (LiteLLM's text streams wrap a generator): what the caller saw.
        kept = field(self.stream, "chunks")
        usage = reported_usage(kept if isinstance(kept, list) else self.visible)
        if not self.reasons and usage is not None:
            # Cut short: a running output count (Anthropic's start event says 1) is not the answer's.
            usage["completion_tokens"] = usage["completion_tokens_details"] = None
        seen = self.op.answered
        texts = self.texts or {}
        choices = []
        for at in sorted(set(self.reasons) | set(texts)):
            text = "".join(texts.get(at, ())) if self.texts is not None else None
            reason = self.reasons.get(at)
            choices.append({"finish_reason": reason, "message": {"content": text}, "text": text})
        last = self.last
        read_choices(
            self.op,
            {"model": field(last, "model"), "id": field(last, "id"), "usage": usage, "choices": choices},
            chat=self.chat,
        )
        self.op.answered = seen or self.op.answered


class ResponseEvents:
    """Responses API events: the latest response an event carried (the final one holds the usage)."""

    __slots__ = ("op", "response")

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.response: Any = None

    def on_chunk(self, event: Any) -> None:
        response = field(event, "response")
        if response is not None:
            self.response = response

    def on_end(self) -> None:
        if self.response is not None:
            read_response(self.op, self.response)
