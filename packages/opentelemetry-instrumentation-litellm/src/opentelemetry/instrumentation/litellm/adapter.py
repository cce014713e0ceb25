"""Maps LiteLLM calls and their OpenAI-shaped results onto the core, one `Surface` per API.

LiteLLM returns OpenAI-shaped objects whatever the provider: `ModelResponse` (chat),
`TextCompletionResponse`, `EmbeddingResponse`, `ResponsesAPIResponse`, and `CustomStreamWrapper`
streams. Everything is read by attribute, so an odd or missing field costs nothing but itself.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai import Operation, Request, Surface, capture_enabled, names
from opentelemetry.semconv_ai.content import message, text_part
from opentelemetry.semconv_ai.safe import field, has_text, items

from .routing import route

_NUMBERS = (
    ("temperature", names.REQUEST_TEMPERATURE),
    ("top_p", names.REQUEST_TOP_P),
    ("frequency_penalty", names.REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", names.REQUEST_PRESENCE_PENALTY),
    ("seed", names.REQUEST_SEED),
    ("max_completion_tokens", names.REQUEST_MAX_TOKENS),
    ("max_tokens", names.REQUEST_MAX_TOKENS),
    ("max_output_tokens", names.REQUEST_MAX_TOKENS),
    ("n", names.REQUEST_CHOICE_COUNT),
)
_JSON_FORMATS = ("json_object", "json_schema")
# A usage LiteLLM fills in with zeros when the provider reported none.
UNREPORTED = "UnreportedUsage"


def set_usage(op: Operation, usage: Any, input_key: str = "prompt_tokens", output: bool = True) -> None:
    if usage is None or type(usage).__name__ == UNREPORTED:
        return
    output_key = "completion_tokens" if input_key == "prompt_tokens" else "output_tokens"
    input_details = field(usage, input_key + "_details")
    written = field(usage, "cache_creation_input_tokens") or field(input_details, "cache_write_tokens")
    op.set_usage(
        input_tokens=field(usage, input_key),  # LiteLLM's prompt tokens include cached ones
        output_tokens=field(usage, output_key) if output else None,
        cache_read=field(input_details, "cached_tokens"),
        cache_creation=written,
        reasoning=field(field(usage, output_key + "_details"), "reasoning_tokens") if output else None,
    )


def text_of(choice: Any, chat: bool) -> Any:
    holder = (field(choice, "message") or field(choice, "delta")) if chat else choice
    return field(holder, "content" if chat else "text")


def answered(choice: Any, chat: bool) -> bool:
    holder = (field(choice, "message") or field(choice, "delta")) if chat else None
    return has_text(text_of(choice, chat)) or bool(field(holder, "tool_calls"))


def read_choices(op: Operation, result: Any, chat: bool = True) -> None:
    choices = items(field(result, "choices"))
    op.set_response(
        model=field(result, "model"),
        response_id=field(result, "id"),
        finish_reasons=[field(c, "finish_reason") for c in choices],
    )
    set_usage(op, field(result, "usage"))
    op.answered = any(answered(c, chat) for c in choices)
    if op.collect_output:
        op.set_output(
            [
                message("assistant", [text_part(text_of(c, chat))], field(c, "finish_reason"))
                for c in choices
                if isinstance(text_of(c, chat), str)
            ]
        )


class LiteLLMSurface(Surface):
    """What every LiteLLM API shares: the routed provider, the bare model, request parameters."""

    # Sync entry points that return a coroutine when given this flag: the async twin counts those.
    async_flag = "acompletion"
    # The leading positional parameters of the entry point.
    params: tuple[str, ...] = ("model", "messages")
    input_param = "messages"

    def __init__(self, is_async: bool) -> None:
        self.is_async = is_async

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        if not self.is_async and kwargs.get(self.async_flag) is True:
            return None
        model, provider, host, port = route(self.arg(args, kwargs, "model"), kwargs)
        attrs: dict[str, Any] = {}
        for key, attribute in _NUMBERS:
            value = kwargs.get(key)
            if type(value) in (int, float) and attribute not in attrs:
                attrs[attribute] = value
        if attrs.get(names.REQUEST_CHOICE_COUNT) == 1:
            del attrs[names.REQUEST_CHOICE_COUNT]
        stop = kwargs.get("stop")
        if isinstance(stop, (str, list, tuple)):
            attrs[names.REQUEST_STOP_SEQUENCES] = (stop,) if isinstance(stop, str) else tuple(map(str, stop))
        if kwargs.get("stream") is True:
            attrs[names.REQUEST_STREAM] = True
        request = Request(model, provider, server_address=host, server_port=port, attributes=attrs)
        fmt = kwargs.get("response_format")
        if isinstance(fmt, type) or (isinstance(fmt, dict) and fmt.get("type") in _JSON_FORMATS):
            request.output_type = names.OUTPUT_JSON
        if capture_enabled():
            request.input_messages = self.inputs(self.arg(args, kwargs, self.input_param))
        return request

    def arg(self, args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> Any:
        at = self.params.index(name)
        return args[at] if len(args) > at else kwargs.get(name)

    def inputs(self, value: Any) -> list[Any] | None:
        """A prompt or input: a string or a list of strings (token arrays are not content)."""
        texts = [value] if isinstance(value, str) else items(value)
        return [message("user", [text_part(t)]) for t in texts if isinstance(t, str)]

    def response(self, op: Operation, result: Any) -> Any:
        if hasattr(result, "__next__") or hasattr(result, "__anext__"):
            return op.stream(result, self.chunks(op, result), is_async=self.is_async, inside=True)
        self.read(op, result)
        return result

    def read(self, op: Operation, result: Any) -> None:
        read_choices(op, result)

    def chunks(self, op: Operation, stream: Any) -> Any:
        return None


class Chat(LiteLLMSurface):
    operation = names.CHAT

    def inputs(self, value: Any) -> list[Any] | None:
        return [
            message(field(m, "role"), [text_part(field(m, "content"))])
            for m in items(value)
            if field(m, "content") is not None
        ]

    def chunks(self, op: Operation, stream: Any) -> Any:
        from .streams import ChoiceChunks

        return ChoiceChunks(op, stream, chat=True)


class TextCompletion(LiteLLMSurface):
    operation = names.TEXT_COMPLETION
    params = ("prompt", "model")
    input_param = "prompt"

    def read(self, op: Operation, result: Any) -> None:
        read_choices(op, result, chat=False)

    def chunks(self, op: Operation, stream: Any) -> Any:
        from .streams import ChoiceChunks

        # LiteLLM's text stream re-shapes the chunks of a stream it wraps, which may keep the usage.
        return ChoiceChunks(op, field(stream, "completion_stream"), chat=False)


class Embedding(LiteLLMSurface):
    operation = names.EMBEDDINGS
    async_flag = "aembedding"
    params = ("model", "input")
    input_param = "input"

    def read(self, op: Operation, result: Any) -> None:
        op.set_response(model=field(result, "model"))
        set_usage(op, field(result, "usage"), output=False)


class Responses(LiteLLMSurface):
    operation = names.CHAT
    async_flag = "aresponses"
    params = ("input", "model")
    input_param = "input"

    def read(self, op: Operation, result: Any) -> None:
        read_response(op, result)

    def chunks(self, op: Operation, stream: Any) -> Any:
        from .streams import ResponseEvents

        return ResponseEvents(op)


def read_response(op: Operation, response: Any) -> None:
    status = field(response, "status")
    finish = {"completed": "stop", "incomplete": "length"}.get(status, status)
    op.set_response(
        model=field(response, "model"),
        response_id=field(response, "id"),
        finish_reasons=[finish] if isinstance(finish, str) else None,
    )
    set_usage(op, field(response, "usage"), "input_tokens")
    texts = [
        field(part, "text")
        for item in items(field(response, "output"))
        for part in items(field(item, "content"))
        if has_text(field(part, "text"))
    ]
    calls = any(field(item, "type") == "function_call" for item in items(field(response, "output")))
    op.answered = bool(texts) or calls
    if op.collect_output and texts:
        op.set_output([message("assistant", [text_part("".join(texts))], finish)])


class RouterCall(LiteLLMSurface):
    """A `litellm.Router` endpoint: one operation for the call, its retries and fallbacks included.

    The model and provider are those of the group's deployments when they all name one model, else
    the group name the caller asked for (the answer's own model is `gen_ai.response.model`).
    """

    router_params: tuple[str, ...] = ("model",)

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        call = dict(zip(self.router_params, args, strict=False))
        call.update(kwargs)
        call.update(deployment(instance, call.get("model")))
        return super().request(None, (), call)


def deployment(router: Any, group: Any) -> dict[str, Any]:
    """The routing parameters shared by every deployment of a model group, or nothing."""
    registry = getattr(router, "registry", None)  # older LiteLLM: get_model_list
    found = registry().deployments(group) if callable(registry) else router.get_model_list(model_name=group)
    models = {field(field(d, "litellm_params"), "model") for d in items(found)}
    if len(models) != 1:
        return {}
    params = field(found[0], "litellm_params") or {}
    keys = ("model", "api_base", "custom_llm_provider")
    return {key: params.get(key) for key in keys if isinstance(params, dict) and params.get(key)}


SURFACES: dict[str, type[LiteLLMSurface]] = {
    "chat": Chat,
    "text": TextCompletion,
    "embeddings": Embedding,
    "responses": Responses,
}


def for_router(surface: type[LiteLLMSurface]) -> type[LiteLLMSurface]:
    params = ("model", surface.input_param)
    return type("Router" + surface.__name__, (RouterCall, surface), {"router_params": params})
