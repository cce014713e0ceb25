"""Maps openai SDK requests and responses onto the core: the OpenAI-compatible mapping, plus what only
OpenAI has (Azure and other hosts, service tiers, stream usage injection, the Responses and Images APIs)."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from opentelemetry.semconv_ai import Operation, Request, Server, names
from opentelemetry.semconv_ai.content import text_part
from opentelemetry.semconv_ai.openai_compat import (
    ChatCompletions as CompatChat,
)
from opentelemetry.semconv_ai.openai_compat import (
    Embeddings as CompatEmbeddings,
)
from opentelemetry.semconv_ai.openai_compat import (
    OpenAICompatSurface,
    output_type,
    prompt_input,
    read_usage,
    tool_definitions,
)
from opentelemetry.semconv_ai.openai_compat import (
    TextCompletions as CompatText,
)

from . import messages
from .streams import ResponseEvents

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


def provider_for(host: str, client_class: str = "") -> str:
    """`gen_ai.provider.name` of an OpenAI-compatible endpoint, from its host (and the client class)."""
    if client_class in _AZURE_CLIENTS:
        return names.AZURE_OPENAI
    host = host.lower().rstrip(".")
    for domain, provider in _PROVIDER_DOMAINS:
        if host == domain or host.endswith("." + domain):
            return provider
    return names.OPENAI


class OpenAISurface(OpenAICompatSurface):
    """The provider from the client's host; OpenAI's service tier and system fingerprint."""

    def __init__(self) -> None:
        super().__init__(names.OPENAI)

    def provider_of(self, instance: Any, server: Server) -> str:
        host = server.address
        if not host:
            return names.OPENAI
        client = type(getattr(instance, "_client", None))
        key = (client, host)
        provider = _providers.get(key)
        if provider is None:
            provider = provider_for(host, client.__name__)
            if len(_providers) < 256:
                _providers[key] = provider
        return provider

    def attributes(self, kwargs: dict[str, Any]) -> dict[str, Any] | None:
        return {REQUEST_SERVICE_TIER: kwargs.get("service_tier")}

    def extras(self, op: Operation, result: Any) -> None:
        op.set_attributes(
            {
                RESPONSE_SERVICE_TIER: getattr(result, "service_tier", None),
                RESPONSE_SYSTEM_FINGERPRINT: getattr(result, "system_fingerprint", None),
            }
        )


@functools.lru_cache(maxsize=16)
def accepts_stream_options(resource: type) -> bool:
    """Whether this SDK's `create` takes `stream_options` (older ones get it through extra_body)."""
    try:
        return "stream_options" in inspect.signature(resource.create).parameters  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError):
        return False


class ChatCompletions(OpenAISurface, CompatChat):
    def __init__(self, inject_stream_usage: bool = False) -> None:
        super().__init__()
        self.inject_stream_usage = inject_stream_usage

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        if self.inject_stream_usage and kwargs.get("stream") is True:
            self.inject(instance, kwargs)
        return super().request(instance, args, kwargs)

    def inject(self, instance: Any, kwargs: dict[str, Any]) -> None:
        """Ask for usage unless the caller chose stream_options (as a parameter or in extra_body)."""
        extra = kwargs.get("extra_body")
        extra = extra if isinstance(extra, dict) else {}
        if isinstance(kwargs.get("stream_options"), dict) or "stream_options" in extra:
            return
        # The core passes this same kwargs dict on to the SDK method, so the request carries it.
        if accepts_stream_options(type(instance)):
            kwargs["stream_options"] = {"include_usage": True}
        else:  # SDKs older than the stream_options parameter still send extra_body
            kwargs["extra_body"] = {**extra, "stream_options": {"include_usage": True}}


class TextCompletions(ChatCompletions, CompatText):
    pass


class Embeddings(OpenAISurface, CompatEmbeddings):
    pass


def response_finish_reason(response: Any) -> str | None:
    status = getattr(response, "status", None)
    if status == "completed":
        calls = any(getattr(item, "type", None) == "function_call" for item in response.output or ())
        return "tool_calls" if calls else "stop"
    if status == "incomplete":
        reason = getattr(response.incomplete_details, "reason", None)
        return "length" if reason == "max_output_tokens" else reason
    return status if status in ("failed", "cancelled") else None


class Responses(OpenAISurface):
    operation = names.CHAT
    params = {"temperature": "temperature", "top_p": "top_p", "max_tokens": "max_output_tokens"}

    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        text = kwargs.get("text")
        return output_type(
            kwargs.get("text_format") or (text.get("format") if isinstance(text, dict) else None)
        )

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = messages.responses_input(kwargs.get("input"))
        instructions = kwargs.get("instructions")
        if isinstance(instructions, str):
            request.system_instructions = [text_part(instructions)]
        request.tool_definitions = tool_definitions(kwargs.get("tools"))

    def read(self, op: Operation, response: Any) -> None:
        """A Responses API `Response` (whole, or from a stream's created/completed event)."""
        finish = response_finish_reason(response)
        op.set_response(
            model=response.model, response_id=response.id, finish_reasons=[finish] if finish else None
        )
        read_usage(op, response.usage, "input_tokens", "output_tokens")
        self.extras(op, response)
        if op.collect_output and finish:
            op.set_output(messages.response_output(response, finish))
        elif finish:
            op.answered = messages.response_answered(response)

    def chunks(self, op: Operation) -> Any:
        return ResponseEvents(op, self.read)


class Images(OpenAISurface):
    """Duration and errors only: image tokens are not text tokens, so no token metrics."""

    operation = names.IMAGE_GENERATION
    params = {"choice_count": "n"}

    def output_type(self, kwargs: dict[str, Any]) -> str | None:
        return names.OUTPUT_IMAGE

    def capture(self, request: Request, kwargs: dict[str, Any]) -> None:
        request.input_messages = prompt_input(kwargs.get("prompt"))
