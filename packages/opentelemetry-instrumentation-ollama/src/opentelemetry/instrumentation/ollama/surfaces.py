"""The ollama client methods as core `Surface`s: request fields, the final `done` object, NDJSON streams.

Nothing here imports ollama. Responses are read with `safe.field`, which takes both the plain dicts of
ollama < 0.4 and the pydantic models of later releases.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai import (
    Operation,
    Request,
    Surface,
    capture_enabled,
    names,
    request_params,
    server_from_url,
)
from opentelemetry.semconv_ai.content import message, plain, reasoning_part, text_part, tool_call_part
from opentelemetry.semconv_ai.safe import field, has_text, items

PROVIDER = "ollama"
# Request field -> Ollama's name for it in `options`.
OPTIONS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "max_tokens": "num_predict",
    "seed": "seed",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "stop_sequences": "stop",
}


def _argument(args: tuple[Any, ...], kwargs: dict[str, Any], position: int, name: str) -> Any:
    """A parameter the SDK accepts by position or by name (`chat(model, messages)`)."""
    return args[position] if len(args) > position else kwargs.get(name)


def _read(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any], **fields: Any) -> Request:
    options = kwargs.get("options")
    fmt = kwargs.get("format")
    return Request(
        _argument(args, kwargs, 0, "model"),
        PROVIDER,
        server=server_from_url(getattr(getattr(instance, "_client", None), "base_url", None)),
        stream=kwargs.get("stream") is True,
        output_type=names.OUTPUT_JSON if fmt == "json" or isinstance(fmt, dict) else None,
        **request_params(options, OPTIONS) if hasattr(options, "get") else {},
        **fields,
    )


def _message_parts(msg: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    thinking = field(msg, "thinking")
    if isinstance(thinking, str) and thinking:
        parts.append(reasoning_part(thinking))
    content = field(msg, "content")
    if isinstance(content, str) and content:
        parts.append(text_part(content))
    for call in items(field(msg, "tool_calls")):
        function = field(call, "function")
        parts.append(tool_call_part(None, field(function, "name"), plain(field(function, "arguments"))))
    return parts


def _record_done(op: Operation, final: Any) -> None:
    """The last object of a call: model, done reason and the token counts.

    Ollama leaves `prompt_eval_count` out when the whole prompt came from its cache: the input is then
    unknown (left unset), not zero.
    """
    reason = field(final, "done_reason")
    op.set_response(
        model=field(final, "model"), finish_reasons=(reason,) if isinstance(reason, str) else None
    )
    op.set_usage(input_tokens=field(final, "prompt_eval_count"), output_tokens=field(final, "eval_count"))


def _answers(part: dict[str, Any]) -> bool:
    kind = part["type"]
    return kind == "tool_call" or (kind == "text" and has_text(part["content"]))


class _Answer:
    """Collects a reply, from one response or from the chunks of a stream."""

    __slots__ = ("op", "parts", "text_key")

    def __init__(self, op: Operation, text_key: str) -> None:
        self.op = op
        self.text_key = text_key  # chat: the `message`'s parts; generate: `response` and `thinking`
        self.parts: list[dict[str, Any]] | None = [] if op.collect_output else None

    def add(self, piece: Any) -> None:
        if self.text_key == "message":
            new = _message_parts(field(piece, "message"))
        else:
            thinking, text = field(piece, "thinking"), field(piece, self.text_key)
            new = [reasoning_part(thinking)] if isinstance(thinking, str) and thinking else []
            if isinstance(text, str) and text:
                new.append(text_part(text))
        if self.parts is None:
            if not self.op.answered:
                self.op.answered = any(_answers(part) for part in new)
            return
        for part in new:  # stream pieces of one kind join into one part
            last = self.parts[-1] if self.parts else None
            if last is not None and part["type"] == last["type"] != "tool_call":
                last["content"] += part["content"]
            else:
                self.parts.append(part)

    def finish(self, reason: Any = None) -> None:
        if self.parts is not None:
            self.op.set_output([message("assistant", self.parts, reason)])

    # ChunkHandler: every NDJSON object is a chunk; the one with `done` carries the numbers.
    def on_chunk(self, chunk: Any) -> None:
        self.add(chunk)
        if field(chunk, "done"):
            _record_done(self.op, chunk)

    def on_end(self) -> None:
        reasons = self.op.finish_reasons
        self.finish(reasons[0] if reasons else None)


class Chat(Surface):
    """`chat(model, messages, ...)`, streamed or not."""

    operation = names.CHAT
    text_key = "message"

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        request = _read(instance, args, kwargs)
        if capture_enabled():
            self.capture(request, args, kwargs)
        return request

    def capture(self, request: Request, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        messages = _argument(args, kwargs, 1, "messages")
        if isinstance(messages, (list, tuple)):
            request.input_messages = [message(field(m, "role"), _message_parts(m)) for m in messages]
        tools = kwargs.get("tools")
        if isinstance(tools, (list, tuple)):
            request.tool_definitions = [plain(t) if not callable(t) else {"name": t.__name__} for t in tools]

    def response(self, op: Operation, result: Any) -> Any:
        answer = _Answer(op, self.text_key)
        if op.request.stream:  # the SDK's generator of NDJSON objects
            return op.stream(result, answer)
        _record_done(op, result)
        answer.add(result)
        answer.finish(field(result, "done_reason"))
        return result


class Generate(Chat):
    """`generate(model, prompt, suffix, ...)`: a text completion."""

    operation = names.TEXT_COMPLETION
    text_key = "response"

    def capture(self, request: Request, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        prompt = _argument(args, kwargs, 1, "prompt")
        if isinstance(prompt, str):
            request.input_messages = [message("user", [text_part(prompt)])]
        system = kwargs.get("system")
        if isinstance(system, str) and system:
            request.system_instructions = [text_part(system)]


class Embed(Surface):
    """`embed(model, input)` (counts its input) and the older `embeddings(model, prompt)` (counts none)."""

    operation = names.EMBEDDINGS

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        return _read(instance, args, kwargs, dimensions=kwargs.get("dimensions"))

    def response(self, op: Operation, result: Any) -> Any:
        op.set_response(model=field(result, "model"))
        op.set_usage(input_tokens=field(result, "prompt_eval_count"))
        vectors = items(field(result, "embeddings")) or (field(result, "embedding"),)
        first = vectors[0]
        if isinstance(first, (list, tuple)) and first:
            op.set_attributes({names.EMBEDDINGS_DIMENSION_COUNT: len(first)})
        return result
