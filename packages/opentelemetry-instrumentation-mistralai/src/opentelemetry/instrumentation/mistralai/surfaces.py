"""The mistralai SDK's methods, each described to the core as a `Surface`.

Mistral's payloads are OpenAI-shaped: `choices[].message` / `choices[].delta`, `finish_reason`, and
`usage.prompt_tokens` / `completion_tokens`. A stream yields events whose `.data` is the chunk; the
last chunk carries the usage.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from opentelemetry.semconv_ai import Operation, Request, Surface, capture_enabled, names
from opentelemetry.semconv_ai.safe import field

from . import messages

_NUMBERS = (int, float)
_servers: dict[str, tuple[str | None, int | None]] = {}


def server_of(resource: Any, kwargs: dict[str, Any]) -> tuple[str | None, int | None]:
    """Host and port of the call's `server_url`, else the client's; never the full URL."""
    url = kwargs.get("server_url")
    if not isinstance(url, str) or not url:
        details = getattr(getattr(resource, "sdk_configuration", None), "get_server_details", None)
        url = details()[0] if callable(details) else None
    if not isinstance(url, str):
        return None, None
    found = _servers.get(url)
    if found is None:
        parts = urlsplit(url)
        found = (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        if len(_servers) < 256:
            _servers[url] = found
    return found


def plain_value(value: Any) -> Any:
    """An enum's value (the SDK's own enums), else the value itself."""
    return getattr(value, "value", value) if not isinstance(value, (str, int, float)) else value


class MistralSurface(Surface):
    """What every Mistral method shares: the endpoint, the model and numeric request parameters."""

    operation = names.CHAT
    streaming = False
    # (keyword argument, span attribute) of numeric request parameters.
    numbers: tuple[tuple[str, str], ...] = (
        ("temperature", names.REQUEST_TEMPERATURE),
        ("top_p", names.REQUEST_TOP_P),
        ("max_tokens", names.REQUEST_MAX_TOKENS),
        ("random_seed", names.REQUEST_SEED),
        ("presence_penalty", names.REQUEST_PRESENCE_PENALTY),
        ("frequency_penalty", names.REQUEST_FREQUENCY_PENALTY),
        ("n", names.REQUEST_CHOICE_COUNT),
    )

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        host, port = server_of(instance, kwargs)
        request = Request(
            kwargs.get("model"),
            names.MISTRAL_AI,
            server_address=host,
            server_port=port,
            attributes=self.attributes(kwargs),
            output_type=self.output_type(kwargs),
        )
        if capture_enabled():
            self.capture(request, kwargs)
        return request

    def attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        for key, attribute in self.numbers:
            value = kwargs.get(key)
            if type(value) in _NUMBERS:
                attrs[attribute] = value
        if attrs.get(names.REQUEST_CHOICE_COUNT) == 1:
            del attrs[names.REQUEST_CHOICE_COUNT]
        stop = kwargs.get("stop")
        if isinstance(stop, str):
            attrs[names.REQUEST_STOP_SEQUENCES] = (stop,)
        elif isinstance(stop, (list, tuple)):
            attrs[names.REQUEST_STOP_SEQUENCES] = tuple(s for s in stop if isinstance(s, str))
        if self.streaming:
            attrs[names.REQUEST_STREAM] = True
        return attrs

    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        return None

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        """Input content; only called with content capture on."""

    def response(self, op: Operation, result: Any) -> Any:
        if self.streaming:
            return op.stream(result, Events(op))
        read_completion(op, result)
        return result


def read_completion(op: Operation, result: Any) -> None:
    """A chat or FIM completion, whole or rebuilt from a stream."""
    choices = field(result, "choices")
    choices = choices if isinstance(choices, (list, tuple)) else ()
    op.set_response(
        model=field(result, "model"),
        response_id=field(result, "id"),
        finish_reasons=[plain_value(field(c, "finish_reason")) for c in choices],
    )
    usage = field(result, "usage")
    if usage is not None:
        op.set_usage(
            input_tokens=field(usage, "prompt_tokens"), output_tokens=field(usage, "completion_tokens")
        )
    if op.collect_output:
        op.set_output(messages.choices_output(choices))
    elif not op.answered:
        op.answered = any(messages.answers(field(c, "message")) for c in choices)


class Events:
    """Stream events: `.data` is an OpenAI-shaped chunk; the last one carries the usage."""

    __slots__ = ("last", "op", "reasons", "texts", "tools", "usage")

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.last: Any = None
        self.usage: Any = None
        self.reasons: dict[int, Any] = {}
        self.texts: dict[int, list[str]] | None = {} if op.collect_output else None
        self.tools: dict[int, list[Any]] = {}

    def on_chunk(self, event: Any) -> None:
        chunk = field(event, "data")
        if chunk is None:
            return
        self.last = chunk
        usage = field(chunk, "usage")
        if usage is not None and not isinstance(usage, (str, int)):
            self.usage = usage
        choices = field(chunk, "choices")
        for choice in choices if isinstance(choices, (list, tuple)) else ():
            at = field(choice, "index")
            at = at if type(at) is int else 0
            reason = field(choice, "finish_reason")
            if reason is not None and isinstance(plain_value(reason), str):
                self.reasons[at] = reason
            delta = field(choice, "delta")
            if self.texts is not None:
                messages.collect_delta(delta, self.texts.setdefault(at, []), self.tools.setdefault(at, []))
            elif not self.op.answered:
                self.op.answered = messages.answers(delta)

    def on_end(self) -> None:
        if self.last is None:
            return
        choices = [
            {
                "finish_reason": self.reasons.get(at),
                "message": {
                    "role": "assistant",
                    "content": "".join((self.texts or {}).get(at, ())) or None,
                    "tool_calls": self.tools.get(at, []),
                },
            }
            for at in sorted(set(self.reasons) | set(self.texts or ()))
        ]
        view = {"id": field(self.last, "id"), "model": field(self.last, "model"), "choices": choices}
        view["usage"] = self.usage
        read_completion(self.op, view)


class Chat(MistralSurface):
    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        kind = plain_value(field(kwargs.get("response_format"), "type"))
        if kind in ("json_object", "json_schema"):
            return names.OUTPUT_JSON
        return names.OUTPUT_TEXT if kind == "text" else None

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = messages.chat_input(kwargs.get("messages"))
        request.tool_definitions = messages.tool_definitions(kwargs.get("tools"))


class ChatStream(Chat):
    streaming = True


class Fim(MistralSurface):
    """Fill in the middle: `prompt` and `suffix` in, the code between them out."""

    operation = names.TEXT_COMPLETION

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = messages.fim_input(kwargs.get("prompt"), kwargs.get("suffix"))


class FimStream(Fim):
    streaming = True


class Embeddings(MistralSurface):
    operation = names.EMBEDDINGS
    numbers = (("output_dimension", names.EMBEDDINGS_DIMENSION_COUNT),)

    def attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().attributes(kwargs)
        encoding = plain_value(kwargs.get("encoding_format") or kwargs.get("output_dtype"))
        if isinstance(encoding, str):
            attrs[names.REQUEST_ENCODING_FORMATS] = (encoding,)
        return attrs

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = messages.embedding_input(kwargs.get("inputs"))

    def response(self, op: Operation, result: Any) -> Any:
        op.set_response(model=field(result, "model"), response_id=field(result, "id"))
        op.set_usage(input_tokens=field(field(result, "usage"), "prompt_tokens"))
        return result


SURFACES: dict[str, Surface] = {
    "chat": Chat(),
    "chat_stream": ChatStream(),
    "fim": Fim(),
    "fim_stream": FimStream(),
    "embeddings": Embeddings(),
}
