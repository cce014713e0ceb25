"""Maps openai SDK requests and responses onto the core's vocabulary, one `Surface` per API."""

from __future__ import annotations

import inspect
from typing import Any

from pydantic import BaseModel

from openai import AsyncStream, Stream
from opentelemetry.semconv_ai import Operation, Request, Surface, capture_enabled, names
from opentelemetry.semconv_ai.content import text_part
from opentelemetry.semconv_ai.safe import field, items

from . import messages
from .streams import ChoiceChunks, ResponseEvents

# OpenAI-specific span attributes (semantic conventions, openai namespace); never metric labels.
REQUEST_SERVICE_TIER = "openai.request.service_tier"
RESPONSE_SERVICE_TIER = "openai.response.service_tier"
RESPONSE_SYSTEM_FINGERPRINT = "openai.response.system_fingerprint"

# Hosts of OpenAI-compatible providers, matched as the host itself or any subdomain of it.
_PROVIDER_DOMAINS = (
    ("openai.azure.com", names.AZURE_OPENAI),
    ("cognitiveservices.azure.com", names.AZURE_OPENAI),
    ("services.ai.azure.com", names.AZURE_OPENAI),
    ("deepseek.com", names.DEEPSEEK),
    ("groq.com", names.GROQ),
    ("x.ai", names.X_AI),
    ("mistral.ai", names.MISTRAL_AI),
    ("perplexity.ai", names.PERPLEXITY),
)
_AZURE_CLIENTS = ("AzureOpenAI", "AsyncAzureOpenAI")
_providers: dict[tuple[type, str], str] = {}

_NUMBERS = (int, float)
_STREAMS = (Stream, AsyncStream)
_JSON_FORMATS = ("json_object", "json_schema")


def provider_for(host: str, client_class: str = "") -> str:
    """`gen_ai.provider.name` of an OpenAI-compatible endpoint, from its host (and the client class)."""
    if client_class in _AZURE_CLIENTS:
        return names.AZURE_OPENAI
    host = host.lower().rstrip(".")
    for domain, provider in _PROVIDER_DOMAINS:
        if host == domain or host.endswith("." + domain):
            return provider
    return names.OPENAI


def server_of(resource: Any) -> tuple[str, str | None, int | None]:
    """(provider, host, port) of the client behind an SDK resource; never the full URL."""
    client = getattr(resource, "_client", None)
    url = getattr(client, "base_url", None)
    host = getattr(url, "host", None)
    if not host:
        return names.OPENAI, None, None
    port = url.port or (443 if url.scheme == "https" else 80)  # type: ignore[union-attr]
    key = (type(client), host)
    provider = _providers.get(key)
    if provider is None:
        provider = provider_for(host, type(client).__name__)
        if len(_providers) < 256:
            _providers[key] = provider
    return provider, host, port


def _format_type(fmt: Any) -> str | None:
    """`gen_ai.output.type` of a response format: a dict, or a pydantic class given to parse()."""
    if isinstance(fmt, type):
        return names.OUTPUT_JSON
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    return names.OUTPUT_JSON if kind in _JSON_FORMATS else names.OUTPUT_TEXT if kind == "text" else None


def _set_usage(op: Operation, usage: Any, input_key: str, output_key: str) -> None:
    """Chat/completions (`prompt_tokens`) and Responses (`input_tokens`) usage share this shape."""
    if usage is None:
        return
    op.set_usage(
        input_tokens=field(usage, input_key),
        output_tokens=field(usage, output_key),
        cache_read=field(field(usage, input_key + "_details"), "cached_tokens"),
        reasoning=field(field(usage, output_key + "_details"), "reasoning_tokens"),
    )


def _set_openai_extras(op: Operation, result: Any) -> None:
    extras = {}
    for name, attribute in (
        ("service_tier", RESPONSE_SERVICE_TIER),
        ("system_fingerprint", RESPONSE_SYSTEM_FINGERPRINT),
    ):
        value = getattr(result, name, None)
        if isinstance(value, str):
            extras[attribute] = value
    if extras:
        op.set_attributes(extras)


def read_choices(op: Operation, result: Any) -> None:
    """A chat completion or a legacy completion (whole, or rebuilt from a stream)."""
    choices = items(getattr(result, "choices", None))
    op.set_response(
        model=getattr(result, "model", None),
        response_id=getattr(result, "id", None),
        finish_reasons=[getattr(c, "finish_reason", None) for c in choices],
    )
    _set_usage(op, getattr(result, "usage", None), "prompt_tokens", "completion_tokens")
    _set_openai_extras(op, result)
    if op.collect_output:
        op.set_output(messages.choices_output(choices))
    elif not op.answered:  # a stream may have seen output that its rebuilt view does not keep
        op.answered = messages.choices_answered(choices)


def response_finish_reason(response: Any) -> str | None:
    status = getattr(response, "status", None)
    if status == "completed":
        calls = any(getattr(item, "type", None) == "function_call" for item in response.output or ())
        return "tool_calls" if calls else "stop"
    if status == "incomplete":
        reason = getattr(response.incomplete_details, "reason", None)
        return "length" if reason == "max_output_tokens" else reason
    return status if status in ("failed", "cancelled") else None


def read_response(op: Operation, response: Any) -> None:
    """A Responses API `Response` (whole, or from a stream's created/completed event)."""
    finish = response_finish_reason(response)
    op.set_response(
        model=response.model, response_id=response.id, finish_reasons=[finish] if finish else None
    )
    _set_usage(op, response.usage, "input_tokens", "output_tokens")
    _set_openai_extras(op, response)
    if op.collect_output and finish:
        op.set_output(messages.response_output(response, finish))
    elif finish:
        op.answered = messages.response_answered(response)


class OpenAISurface(Surface):
    """What every OpenAI API shares: the endpoint, the model, raw-response wrappers and streams."""

    # (keyword argument, span attribute) of numeric request parameters; the first one given wins.
    numbers: tuple[tuple[str, str], ...] = ()

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        provider, host, port = server_of(instance)
        request = Request(
            kwargs.get("model"),
            provider,
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
            if type(value) in _NUMBERS and attribute not in attrs:
                attrs[attribute] = value
        if attrs.get(names.REQUEST_CHOICE_COUNT) == 1:
            del attrs[names.REQUEST_CHOICE_COUNT]
        stop = kwargs.get("stop")
        if isinstance(stop, str):
            attrs[names.REQUEST_STOP_SEQUENCES] = (stop,)
        elif isinstance(stop, (list, tuple)):
            attrs[names.REQUEST_STOP_SEQUENCES] = tuple(s for s in stop if isinstance(s, str))
        tier = kwargs.get("service_tier")
        if isinstance(tier, str):
            attrs[REQUEST_SERVICE_TIER] = tier
        if kwargs.get("stream") is True:
            attrs[names.REQUEST_STREAM] = True
        return attrs

    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        return None

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        """Input content; only called with content capture on."""

    def read(self, op: Operation, result: Any) -> None:
        """A whole response object."""

    def chunks(self, op: Operation) -> Any:
        return None

    def response(self, op: Operation, result: Any) -> Any:
        if isinstance(result, BaseModel):
            self.read(op, result)
            return result
        if isinstance(result, _STREAMS):
            return op.stream(result, self.chunks(op))
        return self.raw(op, result)

    def raw(self, op: Operation, result: Any) -> Any:
        """`with_raw_response` / `with_streaming_response`: read usage only from a body already read."""
        http = getattr(result, "http_response", None)
        parse = getattr(result, "parse", None)
        if http is None or not getattr(http, "is_closed", False) or inspect.iscoroutinefunction(parse):
            return result
        content_type = http.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            parsed = parse()  # cached by the SDK: the caller's own parse() returns this same object
            if isinstance(parsed, BaseModel):
                self.read(op, parsed)
        return result


class ChatCompletions(OpenAISurface):
    operation = names.CHAT
    numbers = (
        ("temperature", names.REQUEST_TEMPERATURE),
        ("top_p", names.REQUEST_TOP_P),
        ("frequency_penalty", names.REQUEST_FREQUENCY_PENALTY),
        ("presence_penalty", names.REQUEST_PRESENCE_PENALTY),
        ("seed", names.REQUEST_SEED),
        ("max_completion_tokens", names.REQUEST_MAX_TOKENS),
        ("max_tokens", names.REQUEST_MAX_TOKENS),
        ("n", names.REQUEST_CHOICE_COUNT),
    )

    def __init__(self, inject_stream_usage: bool = False, stream_options_param: bool = True) -> None:
        self.inject_stream_usage = inject_stream_usage
        self.stream_options_param = stream_options_param

    def attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().attributes(kwargs)
        if self.inject_stream_usage and kwargs.get("stream") is True:
            self.inject(kwargs)
        return attrs

    def inject(self, kwargs: dict[str, Any]) -> None:
        """Ask for usage unless the caller chose stream_options (as a parameter or in extra_body)."""
        extra = kwargs.get("extra_body")
        extra = extra if isinstance(extra, dict) else {}
        if isinstance(kwargs.get("stream_options"), dict) or "stream_options" in extra:
            return
        # The core passes this same kwargs dict on to the SDK method, so the request carries it.
        if self.stream_options_param:
            kwargs["stream_options"] = {"include_usage": True}
        else:  # SDKs older than the stream_options parameter still send extra_body
            kwargs["extra_body"] = {**extra, "stream_options": {"include_usage": True}}

    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        return _format_type(kwargs.get("response_format"))

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = messages.chat_input(kwargs.get("messages"))
        request.tool_definitions = messages.tool_definitions(kwargs.get("tools"))

    def read(self, op: Operation, result: Any) -> None:
        read_choices(op, result)

    def chunks(self, op: Operation) -> Any:
        return ChoiceChunks(op, read_choices)


class TextCompletions(ChatCompletions):
    operation = names.TEXT_COMPLETION

    def chunks(self, op: Operation) -> Any:
        return ChoiceChunks(op, read_choices, chat=False)

    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        return None

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = messages.prompt_input(kwargs.get("prompt"))


class Embeddings(OpenAISurface):
    operation = names.EMBEDDINGS
    numbers = (("dimensions", names.EMBEDDINGS_DIMENSION_COUNT),)

    def attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().attributes(kwargs)
        encoding = kwargs.get("encoding_format")
        if isinstance(encoding, str):
            attrs[names.REQUEST_ENCODING_FORMATS] = (encoding,)
        return attrs

    def read(self, op: Operation, result: Any) -> None:
        op.set_response(model=result.model)
        usage = getattr(result, "usage", None)
        if usage is not None:
            op.set_usage(input_tokens=usage.prompt_tokens)


class Responses(OpenAISurface):
    operation = names.CHAT
    numbers = (
        ("temperature", names.REQUEST_TEMPERATURE),
        ("top_p", names.REQUEST_TOP_P),
        ("max_output_tokens", names.REQUEST_MAX_TOKENS),
    )

    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        text = kwargs.get("text")
        return _format_type(
            kwargs.get("text_format") or (text.get("format") if isinstance(text, dict) else None)
        )

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = messages.responses_input(kwargs.get("input"))
        instructions = kwargs.get("instructions")
        if isinstance(instructions, str):
            request.system_instructions = [text_part(instructions)]
        request.tool_definitions = messages.tool_definitions(kwargs.get("tools"))

    def read(self, op: Operation, result: Any) -> None:
        read_response(op, result)

    def chunks(self, op: Operation) -> Any:
        return ResponseEvents(op, read_response)


class Images(OpenAISurface):
    """Duration and errors only: image tokens are not text tokens, so no token metrics."""

    operation = names.IMAGE_GENERATION
    numbers = (("n", names.REQUEST_CHOICE_COUNT),)

    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        return names.OUTPUT_IMAGE

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = messages.prompt_input(kwargs.get("prompt"))
