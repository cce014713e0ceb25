"""The instrumented SDK methods, each described to the core as a `Surface`."""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai import Operation, Request, Surface, names
from opentelemetry.semconv_ai.content import message
from opentelemetry.semconv_ai.safe import count, field, items

from .mapping import HTTP_STATUS, finish_reason, joined_parts, read_request, record_response, record_usage

COUNTED_TOKENS = "gcp.gemini.count_tokens.total_tokens"


class GeminiSurface(Surface):
    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        return read_request(instance, kwargs)

    def error(self, op: Operation, exc: BaseException) -> None:
        # google.genai.errors.APIError: `code` is the HTTP status (the core types it by `status`).
        op.set_attributes({HTTP_STATUS: count(getattr(exc, "code", None))})


class Generate(GeminiSurface):
    """One `generateContent` request, or one `streamGenerateContent` (a generator, or an awaited one)."""

    operation = names.GENERATE_CONTENT

    def __init__(self, stream: bool = False) -> None:
        self.stream = stream

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        return read_request(instance, kwargs, self.stream)

    def response(self, op: Operation, result: Any) -> Any:
        if self.stream:
            return op.stream(result, Chunks(op))
        record_response(op, result)
        return result


class Chunks:
    """Each chunk carries the usage so far: the last one counts, never a sum."""

    __slots__ = ("candidate", "first", "op", "parts", "usage")

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.first = True
        self.usage: Any = None
        self.candidate: Any = None  # the latest; the last one has the finish reason
        self.parts: list[Any] | None = [] if op.collect_output else None  # of the first candidate

    def on_chunk(self, chunk: Any) -> None:
        usage = chunk.usage_metadata
        if usage is not None:
            self.usage = usage
        if self.first:
            self.first = False
            self.op.set_response(model=field(chunk, "model_version"), response_id=field(chunk, "response_id"))
        candidates = chunk.candidates
        if candidates:
            self.candidate = candidates[0]
            if self.parts is not None:
                self.parts.extend(items(field(self.candidate.content, "parts")))

    def on_end(self) -> None:
        op = self.op
        record_usage(op, self.usage)
        reason = finish_reason(self.candidate)
        if reason is not None:
            op.set_response(finish_reasons=(reason,))
        if self.parts is not None:  # otherwise the core tells `answered` from the output tokens
            op.set_output([message("assistant", joined_parts(self.parts), reason)])


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
        op.set_attributes({COUNTED_TOKENS: count(field(result, "total_tokens"))})
        return result
