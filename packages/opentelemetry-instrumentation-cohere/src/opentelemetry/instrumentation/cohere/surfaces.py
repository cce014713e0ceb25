"""The cohere v2 client methods as core `Surface`s: request fields, billed units, stream events.

Nothing here imports cohere: responses are read with `safe.field`, so a field missing in one SDK
version (or a dict where a model was expected) only leaves a value unset.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai import (
    Operation,
    Request,
    Server,
    Surface,
    capture_enabled,
    names,
    request_params,
    server_from_url,
)
from opentelemetry.semconv_ai.content import message, plain, reasoning_part, text_part, tool_call_part
from opentelemetry.semconv_ai.safe import count, field, has_text, items

PROVIDER = "cohere"
RERANK = "rerank"  # not among the conventions' operation names, which allow a custom one
SEARCH_UNITS = "cohere.billed_units.search_units"
RERANK_TOP_N = "cohere.rerank.top_n"
FINISH_REASON = "cohere.chat.finish_reason"

# Cohere's finish reasons in the conventions' vocabulary; others are lower-cased.
FINISH_REASONS = {
    "COMPLETE": "stop",
    "STOP_SEQUENCE": "stop",
    "MAX_TOKENS": "length",
    "TOOL_CALL": "tool_call",
}
# Request field -> Cohere's parameter name.
PARAMS = {
    "max_tokens": "max_tokens",
    "temperature": "temperature",
    "top_p": "p",
    "top_k": "k",
    "seed": "seed",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "stop_sequences": "stop_sequences",
}
EMBED_PARAMS = {"dimensions": "output_dimension", "encoding_formats": "embedding_types"}


# The embedding types of a v2 embed response (`float` is `float_` on the SDK's model).
EMBEDDING_TYPES = ("float_", "float", "int8", "uint8", "binary", "ubinary")


def _server(instance: Any) -> Server:
    wrapper = getattr(instance, "_client_wrapper", None)
    if wrapper is None:  # `Client().v2`: the wrapper is on its raw client
        wrapper = getattr(getattr(instance, "_raw_client", None), "_client_wrapper", None)
    return server_from_url(wrapper.get_base_url() if wrapper is not None else None)


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [text_part(content)]
    parts = []
    for item in items(content):
        kind = field(item, "type")
        if kind == "text":
            parts.append(text_part(field(item, "text")))
        elif kind == "thinking":
            parts.append(reasoning_part(field(item, "thinking")))
        else:
            parts.append({"type": str(kind)})  # images, documents: their kind only
    return parts


def _message_parts(msg: Any) -> list[dict[str, Any]]:
    plan = field(msg, "tool_plan")
    parts = [reasoning_part(plan)] if isinstance(plan, str) and plan else []
    parts += _content_parts(field(msg, "content"))
    for call in items(field(msg, "tool_calls")):
        function = field(call, "function")
        parts.append(tool_call_part(field(call, "id"), field(function, "name"), field(function, "arguments")))
    return parts


def _answers(parts: list[dict[str, Any]]) -> bool:
    return any(p["type"] == "tool_call" or (p["type"] == "text" and has_text(p["content"])) for p in parts)


def _record_usage(op: Operation, result: Any) -> dict[str, Any]:
    """Tokens from `billed_units`: `usage` on chat (v2), `meta` on embed and rerank (v1-shaped).

    `usage.tokens` would add Cohere's own preamble to the input, which the caller neither sent nor pays for.
    Returns the billed units, so that rerank can read its search units.
    """
    usage = field(result, "usage") or field(result, "meta")
    billed = field(usage, "billed_units")
    op.set_usage(
        input_tokens=field(billed, "input_tokens"),
        output_tokens=field(billed, "output_tokens"),
        cache_read=field(usage, "cached_tokens") or None,
    )
    return billed


def _record_finish(op: Operation, reason: Any) -> str | None:
    if not isinstance(reason, str) or not reason:
        return None
    mapped = FINISH_REASONS.get(reason, reason.lower())
    op.set_response(finish_reasons=(mapped,))
    op.set_attributes({FINISH_REASON: reason})
    return mapped


class Chat(Surface):
    """`chat(model=, messages=, ...)`."""

    operation = names.CHAT
    stream = False

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        json = field(kwargs.get("response_format"), "type") in ("json_object", "json_schema")
        request = Request(
            kwargs.get("model"),
            PROVIDER,
            server=_server(instance),
            stream=self.stream,
            output_type=names.OUTPUT_JSON if json else None,
            **request_params(kwargs, PARAMS),
        )
        if capture_enabled():
            messages = kwargs.get("messages")
            if isinstance(messages, (list, tuple)):
                request.input_messages = [
                    message(field(m, "role"), _content_parts(field(m, "content"))) for m in messages
                ]
            tools = kwargs.get("tools")
            if isinstance(tools, (list, tuple)):
                request.tool_definitions = plain(tools)
        return request

    def response(self, op: Operation, result: Any) -> Any:
        if op.request.stream:
            return op.stream(result, ChatEvents(op))
        op.set_response(response_id=field(result, "id"))
        reason = _record_finish(op, field(result, "finish_reason"))
        _record_usage(op, result)
        parts = _message_parts(field(result, "message"))
        if op.collect_output:
            op.set_output([message("assistant", parts, reason)])
        else:
            op.answered = _answers(parts)
        return result


class ChatStream(Chat):
    """`chat_stream(...)`: a generator of events; the request goes out when it is first read."""

    stream = True


class ChatEvents:
    """`message-start` (id), content and tool-call deltas, `message-end` (finish reason and usage)."""

    __slots__ = ("op", "parts", "reason")

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.reason: str | None = None
        self.parts: list[dict[str, Any]] | None = [] if op.collect_output else None

    def _add(self, part: dict[str, Any]) -> None:
        parts = self.parts
        if parts is None:
            if not self.op.answered:
                self.op.answered = _answers([part])
        elif parts and part["type"] == parts[-1]["type"] != "tool_call":
            parts[-1]["content"] += part["content"]
        else:
            parts.append(part)

    def on_chunk(self, event: Any) -> None:
        kind = field(event, "type")
        delta_message = field(field(event, "delta"), "message")
        if kind == "content-delta":
            content = field(delta_message, "content")
            text, thinking = field(content, "text"), field(content, "thinking")
            if isinstance(text, str):
                self._add(text_part(text))
            elif isinstance(thinking, str):
                self._add(reasoning_part(thinking))
        elif kind == "tool-plan-delta":
            plan = field(delta_message, "tool_plan")
            if isinstance(plan, str):
                self._add(reasoning_part(plan))
        elif kind == "tool-call-start":
            call = field(delta_message, "tool_calls")
            function = field(call, "function")
            self._add(
                tool_call_part(field(call, "id"), field(function, "name"), field(function, "arguments") or "")
            )
        elif kind == "tool-call-delta" and self.parts:
            piece = field(field(field(delta_message, "tool_calls"), "function"), "arguments")
            last = self.parts[-1]
            if isinstance(piece, str) and last["type"] == "tool_call" and isinstance(last["arguments"], str):
                last["arguments"] += piece
        elif kind == "message-start":
            self.op.set_response(response_id=field(event, "id"))
        elif kind == "message-end":
            delta = field(event, "delta")
            self.reason = _record_finish(self.op, field(delta, "finish_reason"))
            _record_usage(self.op, delta)

    def on_end(self) -> None:
        if self.parts is not None:
            for part in self.parts:  # arguments arrive as JSON text in pieces
                if part["type"] == "tool_call":
                    part.update(tool_call_part(part["id"], part["name"], part["arguments"]))
            self.op.set_output([message("assistant", self.parts, self.reason)])


class Embed(Surface):
    """`embed(model=, texts=/images=/inputs=, ...)`: input tokens from `meta.billed_units`."""

    operation = names.EMBEDDINGS

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        params = request_params(kwargs, EMBED_PARAMS)
        return Request(kwargs.get("model"), PROVIDER, server=_server(instance), **params)

    def response(self, op: Operation, result: Any) -> Any:
        op.set_response(response_id=field(result, "id"))
        _record_usage(op, result)
        embeddings = field(result, "embeddings")  # by type (v2), or the list of floats (v1)
        vectors = items(embeddings) or next(
            filter(None, (items(field(embeddings, k)) for k in EMBEDDING_TYPES)), ()
        )
        if vectors and isinstance(vectors[0], (list, tuple)):
            op.set_attributes({names.EMBEDDINGS_DIMENSION_COUNT: len(vectors[0])})
        return result


class Rerank(Surface):
    """`rerank(model=, query=, documents=, top_n=)`: billed in search units, recorded on the span only."""

    operation = RERANK

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        attributes = {RERANK_TOP_N: kwargs.get("top_n")}
        return Request(kwargs.get("model"), PROVIDER, server=_server(instance), attributes=attributes)

    def response(self, op: Operation, result: Any) -> Any:
        op.set_response(response_id=field(result, "id"))
        units = count(field(_record_usage(op, result), "search_units"))
        if units is not None:
            op.set_attributes({SEARCH_UNITS: units})
        return result
