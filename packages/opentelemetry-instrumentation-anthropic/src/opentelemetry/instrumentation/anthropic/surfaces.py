"""The instrumented SDK methods, each described to the core as a `Surface`."""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai import Operation, Request, Surface, names
from opentelemetry.semconv_ai.content import message, text_part
from opentelemetry.semconv_ai.raw import body_pending, read_when_parsed
from opentelemetry.semconv_ai.safe import has_text, is_stream

from .mapping import COUNTED_INPUT_TOKENS, read_request, record_http, record_message, record_stop
from .streams import CompletionChunks, MessageEvents, watch


class AnthropicSurface(Surface):
    def error(self, op: Operation, exc: BaseException) -> None:
        response = getattr(exc, "response", None)
        if response is not None:
            record_http(op, response)


class Messages(AnthropicSurface):
    """`messages.create` and `messages.parse`, streamed or not."""

    operation = names.CHAT

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        return read_request(instance, kwargs, kwargs.get("stream") is True)

    def response(self, op: Operation, result: Any) -> Any:
        if op.request.stream and is_stream(result):
            watch(op, result, MessageEvents(op))
            return result
        http = getattr(result, "http_response", None)
        if http is None:
            record_message(op, result)
            return result
        # A raw response (`with_raw_response`): parsed once here, the SDK caches the parse for the caller;
        # a stream or an async parse() is read when the caller parses it.
        record_http(op, http)
        if body_pending(result):
            return read_when_parsed(op, result, record_message, _watch_messages)
        record_message(op, result.parse())
        return result


def _watch_messages(op: Operation, stream: Any) -> Any:
    watch(op, stream, MessageEvents(op))
    return stream


class MessageStreams(Messages):
    """`messages.stream()`: a deferred stream, started when its manager is entered."""

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        return read_request(instance, kwargs, True)

    def response(self, op: Operation, stream: Any) -> Any:
        """`stream` is what the manager's enter returned: its raw stream is observed in place."""
        watch(op, stream._raw_stream, MessageEvents(op))
        return stream


class CountTokens(AnthropicSurface):
    """Its own short operation: the count is a span attribute, never token usage."""

    operation = names.COUNT_TOKENS

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        return read_request(instance, kwargs, False)

    def response(self, op: Operation, result: Any) -> Any:
        counted = getattr(result, "input_tokens", None)
        if isinstance(counted, int):
            op.set_attributes({COUNTED_INPUT_TOKENS: counted})
        return result


class Completions(AnthropicSurface):
    """The legacy `completions.create`; its API reports no token usage."""

    operation = names.TEXT_COMPLETION

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        return read_request(instance, kwargs, kwargs.get("stream") is True)

    def response(self, op: Operation, result: Any) -> Any:
        if op.request.stream and is_stream(result):
            watch(op, result, CompletionChunks(op))
        elif getattr(result, "http_response", None) is None:
            op.set_response(model=result.model, response_id=result.id)
            reason = record_stop(op, result.stop_reason)
            if op.collect_output:
                op.set_output([message("assistant", [text_part(result.completion)], reason)])
            else:
                op.answered = has_text(result.completion)
        return result
