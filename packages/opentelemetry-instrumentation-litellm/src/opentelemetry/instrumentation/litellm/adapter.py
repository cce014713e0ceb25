"""LiteLLM's surfaces: its OpenAI-shaped results are read by the core's OpenAI-compatible mapping.

What LiteLLM adds is read here: the positional parameters of its functions, the provider it routes
to, the model without its `provider/` prefix, Anthropic's cache writes, and its streams (`streams`).
"""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai import Operation, Request, names
from opentelemetry.semconv_ai.content import message, text_part
from opentelemetry.semconv_ai.openai_compat import ChatCompletions, Embeddings, TextCompletions
from opentelemetry.semconv_ai.safe import field, is_stream, items

from .routing import route
from .streams import KeptUsageChunks, ResponseEvents, read_response


class LiteLLMCall:
    """Mixed into a core surface: a LiteLLM function's call, routed."""

    # The leading positional parameters of the function; its async flag (a sync call given it returns
    # a coroutine, counted by the async function it runs).
    positional: tuple[str, ...] = ("model", "messages")
    async_flag = "acompletion"

    def __init__(self, is_async: bool) -> None:
        super().__init__(names.OPENAI)  # type: ignore[call-arg]  # replaced per call by the routed provider
        self.is_async = is_async

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        if not self.is_async and kwargs.get(self.async_flag) is True:
            return None
        call = {**dict(zip(self.positional, args, strict=False)), **kwargs}
        call["model"], provider, server = route(call.get("model"), call)
        request = super().request(None, (), call)  # type: ignore[misc]
        if request is not None:
            request.provider = provider
            request.server_address, request.server_port = server
        return request

    def response(self, op: Operation, result: Any) -> Any:
        if is_stream(result):
            handler = self.stream_handler(op, result)
            return op.stream(result, handler, is_async=self.is_async, inside=True)
        self.read(op, result)  # type: ignore[attr-defined]
        return result

    def stream_handler(self, op: Operation, stream: Any) -> Any:
        return KeptUsageChunks(op, self.read, stream)  # type: ignore[attr-defined]

    def extras(self, op: Operation, result: Any) -> None:
        usage = field(result, "usage")  # Anthropic's cache writes, which OpenAI's shape has no field for
        op.set_usage(cache_creation=field(usage, "cache_creation_input_tokens"))


class Chat(LiteLLMCall, ChatCompletions):
    pass


class TextCompletion(LiteLLMCall, TextCompletions):
    positional = ("prompt", "model")

    def stream_handler(self, op: Operation, stream: Any) -> Any:
        # LiteLLM's text stream re-shapes the chunks of a stream it wraps, which may keep the usage.
        return KeptUsageChunks(op, self.read, field(stream, "completion_stream"), chat=False)


class Embedding(LiteLLMCall, Embeddings):
    positional = ("model", "input")
    async_flag = "aembedding"

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = texts(kwargs.get("input"))


class Responses(LiteLLMCall, ChatCompletions):
    """The Responses API, LiteLLM's for every provider."""

    positional = ("input", "model")
    async_flag = "aresponses"

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = texts(kwargs.get("input"))

    def read(self, op: Operation, result: Any) -> None:
        read_response(op, result)

    def stream_handler(self, op: Operation, stream: Any) -> Any:
        return ResponseEvents(op)


def texts(value: Any) -> list[Any]:
    """A prompt or an input as content: a string or a list of strings (token arrays are not content)."""
    return [message("user", [text_part(t)]) for t in ([value] if isinstance(value, str) else items(value))
            if isinstance(t, str)]  # fmt: skip


class RouterCall(LiteLLMCall):
    """A `litellm.Router` method: one operation for the call with its retries and fallbacks.

    The model and provider are those of the group's deployments when they all name one model, else
    the group name the caller asked for (the answer's own model is `gen_ai.response.model`).
    """

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        positional = (
            "model",
            *(p for p in self.positional if p != "model"),
        )  # a Router takes the model first
        call = {**dict(zip(positional, args, strict=False)), **kwargs}
        registry = getattr(instance, "registry", None)  # older LiteLLM: get_model_list
        group = call.get("model")
        found = (
            registry().deployments(group) if callable(registry) else instance.get_model_list(model_name=group)
        )
        params = [field(d, "litellm_params") for d in items(found)]
        if params and isinstance(params[0], dict) and len({field(p, "model") for p in params}) == 1:
            keys = ("model", "api_base", "custom_llm_provider")
            call.update({key: params[0][key] for key in keys if params[0].get(key)})
        return super().request(None, (), call)


SURFACES: dict[str, type[LiteLLMCall]] = {
    "chat": Chat,
    "text": TextCompletion,
    "embeddings": Embedding,
    "responses": Responses,
}


def for_router(surface: type[LiteLLMCall]) -> type[LiteLLMCall]:
    return type("Router" + surface.__name__, (RouterCall, surface), {})
