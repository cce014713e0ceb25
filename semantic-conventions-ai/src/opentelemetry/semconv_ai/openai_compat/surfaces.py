"""Surfaces of OpenAI-shaped APIs: chat completions, legacy completions, embeddings.

Each takes the provider name; subclasses override `provider_of`, `attributes`, `extras` or the
readers for what their SDK adds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import names
from ..content import capture_enabled
from ..operation import Operation
from ..patch import Surface
from ..request import Request, Server, request_params
from ..safe import field, is_raw, is_stream
from .chunks import ChoiceChunks
from .messages import chat_input, prompt_input, tool_definitions
from .readers import output_type, read_choices, read_raw, server_of

CHAT_PARAMS: Mapping[str, str | tuple[str, ...]] = {
    "temperature": "temperature",
    "top_p": "top_p",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "seed": "seed",
    "max_tokens": ("max_completion_tokens", "max_tokens"),
    "choice_count": "n",
    "stop_sequences": "stop",
}
"""OpenAI's chat request parameters, as a `request_params` table."""
TEXT_PARAMS = CHAT_PARAMS
EMBEDDINGS_PARAMS: Mapping[str, str | tuple[str, ...]] = {
    "dimensions": "dimensions",
    "encoding_formats": "encoding_format",
}


class OpenAICompatSurface(Surface):
    """What every OpenAI-shaped API shares: the endpoint, the parameters, raw responses and streams."""

    params: Mapping[str, str | tuple[str, ...]] = {}

    def __init__(self, provider: str, *, params: Mapping[str, str | tuple[str, ...]] | None = None) -> None:
        self.provider = provider
        if params is not None:
            self.params = params

    def provider_of(self, instance: Any, server: Server) -> str:
        return self.provider

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        server = server_of(instance)
        request = Request(
            kwargs.get("model"),
            self.provider_of(instance, server),
            server=server,
            stream=kwargs.get("stream") is True,
            output_type=self.output_type(kwargs),
            attributes=self.attributes(kwargs),
            **request_params(kwargs, self.params),
        )
        if capture_enabled():
            self.capture(request, kwargs)
        return request

    def attributes(self, kwargs: dict[str, Any]) -> dict[str, Any] | None:
        """Provider-specific span attributes of the request."""
        return None

    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        return None

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        """Input content; only called with content capture on."""

    def read(self, op: Operation, result: Any) -> None:
        """A whole response object."""

    def chunks(self, op: Operation) -> Any:
        """The chunk handler of a stream (None: timing only)."""
        return None

    def response(self, op: Operation, result: Any) -> Any:
        if is_raw(result):
            return read_raw(op, result, self.read, lambda op, stream: op.stream(stream, self.chunks(op)))
        if op.request.stream and is_stream(result):
            return op.stream(result, self.chunks(op))
        self.read(op, result)
        return result


class ChatCompletions(OpenAICompatSurface):
    """`chat.completions.create` (and `parse`), streamed or not."""

    operation = names.CHAT
    params = CHAT_PARAMS

    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        return output_type(kwargs.get("response_format"))

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = chat_input(kwargs.get("messages"))
        request.tool_definitions = tool_definitions(kwargs.get("tools"))

    def read(self, op: Operation, result: Any) -> None:
        read_choices(op, result)
        self.extras(op, result)

    def extras(self, op: Operation, result: Any) -> None:
        """Provider-specific response attributes (whole responses and a stream's rebuilt view)."""

    def usage_of(self, chunk: Any) -> Any:
        """The usage a stream chunk carries (read from chunks without choices and the last one)."""
        return getattr(chunk, "usage", None)

    def chunks(self, op: Operation) -> Any:
        return ChoiceChunks(op, self.read, usage_of=self.usage_of)


class TextCompletions(ChatCompletions):
    """The legacy `completions.create`."""

    operation = names.TEXT_COMPLETION
    params = TEXT_PARAMS

    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        return None

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = prompt_input(kwargs.get("prompt"))

    def chunks(self, op: Operation) -> Any:
        return ChoiceChunks(op, self.read, chat=False, usage_of=self.usage_of)


class Embeddings(OpenAICompatSurface):
    operation = names.EMBEDDINGS
    params = EMBEDDINGS_PARAMS

    def read(self, op: Operation, result: Any) -> None:
        op.set_response(model=field(result, "model"))
        op.set_usage(input_tokens=field(field(result, "usage"), "prompt_tokens"))
