"""The instrumented SDK methods, each described to the core as a `Surface`."""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai import Operation, Request, Surface, names
from opentelemetry.semconv_ai.content import message, reasoning_part, text_part
from opentelemetry.semconv_ai.safe import count, field, items

from .mapping import (
    HTTP_STATUS,
    finish_reason,
    part,
    part_answers,
    read_request,
    record_response,
    record_usage,
)

COUNTED_TOKENS = "gcp.gemini.count_tokens.total_tokens"


class GeminiSurface(Surface):
    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        return read_request(instance, kwargs)

    def error(self, op: Operation, exc: BaseException) -> None:
        status = getattr(exc, "code", None)  # google.genai.errors.APIError: the HTTP status
        if isinstance(status, int) and not isinstance(status, bool):
            op.set_attributes({HTTP_STATUS: status})


class Generate(GeminiSurface):
    """One `generateContent` request."""

    operation = names.GENERATE_CONTENT

    def response(self, op: Operation, result: Any) -> Any:
        record_response(op, result)
        return result


class GenerateStream(GeminiSurface):
    """One `streamGenerateContent` request: a generator (sync) or an awaited async generator."""

    operation = names.GENERATE_CONTENT

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        return read_request(instance, kwargs, stream=True)

    def response(self, op: Operation, result: Any) -> Any:
        return op.stream(result, Chunks(op))


class Chunks:
    """Each chunk carries the usage so far: the last one counts, never a sum."""

    __slots__ = ("first", "op", "reason", "texts", "usage")

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.first = True
        self.usage: Any = None
        self.reason: str | None = None
        # Thought pieces, text pieces, other parts of the first candidate; only when output is collected.
        self.texts: tuple[list[Any], list[Any], list[Any]] | None = (
            ([], [], []) if op.collect_output else None
        )

    def on_chunk(self, chunk: Any) -> None:
        usage = chunk.usage_metadata
        if usage is not None:
            self.usage = usage
        if self.first:
            self.first = False
            self.op.set_response(model=field(chunk, "model_version"), response_id=field(chunk, "response_id"))
        candidates = items(chunk.candidates)
        if not candidates:
            return
        reason = finish_reason(candidates[0])
        if reason is not None:
            self.reason = reason
        parts = items(field(candidates[0].content, "parts"))
        if self.texts is None:
            if not self.op.answered:
                self.op.answered = any(part_answers(p) for p in parts)
            return
        for p in parts:
            text = field(p, "text")
            if isinstance(text, str):
                self.texts[1 if not field(p, "thought") else 0].append(text)
            else:
                self.texts[2].append(part(p))

    def on_end(self) -> None:
        op = self.op
        record_usage(op, self.usage)
        if self.reason is not None:
            op.set_response(finish_reasons=(self.reason,))
        if self.texts is None:
            op.answered = bool(op.answered)
            return
        thoughts, texts, other = "".join(self.texts[0]), "".join(self.texts[1]), self.texts[2]
        parts = (
            ([reasoning_part(thoughts)] if thoughts else []) + ([text_part(texts)] if texts else []) + other
        )
        op.set_output([message("assistant", parts, self.reason)])


class Embed(GeminiSurface):
    """`embed_content`: Vertex reports tokens per embedding (or in usage metadata); the Gemini API none."""

    operation = names.EMBEDDINGS

    def response(self, op: Operation, result: Any) -> Any:
        counts = [count(field(field(e, "statistics"), "token_count")) for e in items(result.embeddings)]
        if counts and None not in counts:
            op.set_usage(input_tokens=sum(counts))  # type: ignore[arg-type]
        else:
            op.set_usage(input_tokens=field(field(result, "usage_metadata"), "prompt_token_count"))
        return result


class CountTokens(GeminiSurface):
    """Its own short operation: the count is a span attribute, never token usage."""

    operation = names.COUNT_TOKENS

    def response(self, op: Operation, result: Any) -> Any:
        total = count(field(result, "total_tokens"))
        if total is not None:
            op.set_attributes({COUNTED_TOKENS: total})
        return result
