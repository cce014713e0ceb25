"""The mistralai SDK's methods, each described to the core as a `Surface`.

Mistral's payloads are OpenAI-shaped: `choices[].message` / `choices[].delta`, `finish_reason`, and
`usage.prompt_tokens` / `completion_tokens`. A stream yields events whose `.data` is the chunk; the
last chunk carries the usage. Message content may be a list of chunks (text, thinking), which
`messages` reads.
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
from opentelemetry.semconv_ai.openai_compat import ChoiceChunks
from opentelemetry.semconv_ai.safe import field, items

from . import messages

# Typed request fields of the core -> the SDK's keyword arguments (its UNSET defaults are dropped).
PARAMS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "max_tokens": "max_tokens",
    "seed": "random_seed",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "choice_count": "n",
    "stop_sequences": "stop",
}
EMBEDDING_PARAMS = {"dimensions": "output_dimension", "encoding_formats": ("encoding_format", "output_dtype")}


def plain_value(value: Any) -> Any:
    """An enum's value (the SDK's own enums), else the value itself."""
    return value if isinstance(value, (str, int, float)) else getattr(value, "value", value)


def server_url(resource: Any, kwargs: dict[str, Any]) -> Any:
    """The call's own `server_url`, else the client's."""
    url = kwargs.get("server_url")
    if isinstance(url, str) and url:
        return url
    details = getattr(getattr(resource, "sdk_configuration", None), "get_server_details", None)
    return details()[0] if callable(details) else None


class MistralSurface(Surface):
    """What every Mistral method shares: the endpoint, the model and the request parameters."""

    operation = names.CHAT
    streaming = False
    params: dict[str, Any] = PARAMS

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        params = request_params(kwargs, self.params)
        if "encoding_formats" in params:
            params["encoding_formats"] = plain_value(params["encoding_formats"])
        request = Request(
            kwargs.get("model"),
            names.MISTRAL_AI,
            server=server_from_url(server_url(instance, kwargs)),
            stream=self.streaming,
            output_type=self.output_type(kwargs),
            **params,
        )
        if capture_enabled():
            self.capture(request, kwargs)
        return request

    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        return None

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        """Input content; only called with content capture on."""

    def response(self, op: Operation, result: Any) -> Any:
        if op.request.stream:
            return op.stream(result, Events(op, read_completion))
        read_completion(op, result)
        return result


def read_completion(op: Operation, result: Any) -> None:
    """A chat or FIM completion, whole or rebuilt from a stream."""
    choices = items(field(result, "choices"))
    op.set_response(
        model=field(result, "model"),
        response_id=field(result, "id"),
        finish_reasons=[plain_value(field(c, "finish_reason")) for c in choices],
    )
    usage = field(result, "usage")
    op.set_usage(input_tokens=field(usage, "prompt_tokens"), output_tokens=field(usage, "completion_tokens"))
    if op.collect_output:
        op.set_output(messages.choices_output(choices))
    elif not op.answered:  # a stream may have seen output that its rebuilt view does not keep
        op.answered = any(messages.answers(field(c, "message")) for c in choices)


class Events(ChoiceChunks):
    """The core's OpenAI-shaped chunk handler, given each event's `.data` (the chunk)."""

    __slots__ = ()

    def on_chunk(self, event: Any) -> bool:
        chunk = field(event, "data")
        return chunk is not None and super().on_chunk(chunk)


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
    params = EMBEDDING_PARAMS

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
