"""Readers of OpenAI-shaped responses: choices, usage, raw-response wrappers. No SDK is imported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import names
from ..operation import Operation
from ..raw import body_pending, read_when_parsed
from ..request import Server, server_from_url
from ..safe import field, items
from .messages import choices_answered, choices_output

_JSON_FORMATS = ("json_object", "json_schema")


def read_usage(
    op: Operation, usage: Any, input_key: str = "prompt_tokens", output_key: str = "completion_tokens"
) -> None:
    """`prompt_tokens` / `completion_tokens`, with `*_details.cached_tokens` and `reasoning_tokens`.

    OpenAI's prompt tokens already include the cached ones, and completion tokens the reasoning ones.
    The Responses API shape (`input_tokens`, `output_tokens`) is the same with other keys.
    """
    if usage is None:
        return
    op.set_usage(
        input_tokens=field(usage, input_key),
        output_tokens=field(usage, output_key),
        cache_read=field(field(usage, input_key + "_details"), "cached_tokens"),
        reasoning=field(field(usage, output_key + "_details"), "reasoning_tokens"),
    )


def read_choices(op: Operation, result: Any) -> None:
    """A chat completion or a legacy completion (whole, or rebuilt from a stream by `ChoiceChunks`)."""
    choices = items(field(result, "choices"))
    op.set_response(
        model=field(result, "model"),
        response_id=field(result, "id"),
        finish_reasons=[field(c, "finish_reason") for c in choices],
    )
    read_usage(op, field(result, "usage"))
    if op.collect_output:
        op.set_output(choices_output(choices))
    elif not op.answered:  # a stream may have seen output that its rebuilt view does not keep
        op.answered = choices_answered(choices)


def read_raw(
    op: Operation,
    result: Any,
    read: Callable[[Operation, Any], None],
    on_stream: Callable[[Operation, Any], Any] | None = None,
) -> Any:
    """`with_raw_response` / `with_streaming_response` wrappers: `read(op, parsed)` at once when the
    body is already in memory and JSON (the SDK caches the parse, so the caller's own `parse()` returns
    the same object); a body still to be read (a stream) or behind an async `parse()` is read when the
    caller parses it (`raw.read_when_parsed`), a stream through `on_stream`. Returns `result`."""
    http = getattr(result, "http_response", None)
    parse = getattr(result, "parse", None)
    if http is None or not callable(parse):
        return result
    if body_pending(result):
        return read_when_parsed(op, result, read, on_stream or (lambda op, stream: op.stream(stream)))
    headers = getattr(http, "headers", None)
    content_type = headers.get("content-type", "") if headers is not None else ""
    if isinstance(content_type, str) and content_type.startswith("application/json"):
        read(op, parse())
    return result


def output_type(fmt: Any) -> str | None:
    """`gen_ai.output.type` of a `response_format`: a dict, or a pydantic class given to `parse()`."""
    if isinstance(fmt, type):
        return names.OUTPUT_JSON
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    return names.OUTPUT_JSON if kind in _JSON_FORMATS else names.OUTPUT_TEXT if kind == "text" else None


def server_of(resource: Any) -> Server:
    """Host and port of the client behind a Stainless-generated SDK resource (`resource._client`)."""
    return server_from_url(getattr(getattr(resource, "_client", None), "base_url", None))
