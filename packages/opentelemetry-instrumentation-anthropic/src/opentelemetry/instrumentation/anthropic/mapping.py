"""Maps anthropic requests and responses onto the core's vocabulary: parameters, usage, content."""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai import (
    Operation,
    Request,
    capture_enabled,
    names,
    request_params,
    server_from_url,
)
from opentelemetry.semconv_ai.content import (
    message,
    plain,
    reasoning_part,
    text_part,
    tool_call_part,
    tool_response_part,
)
from opentelemetry.semconv_ai.safe import count as as_count
from opentelemetry.semconv_ai.safe import field, has_text, items

REQUEST_ID = "anthropic.request.id"
HTTP_STATUS = "http.response.status_code"
STOP_REASON = "anthropic.message.stop_reason"
COUNTED_INPUT_TOKENS = "anthropic.message.count_tokens.input_tokens"

# Anthropic stop reasons in the conventions' finish-reason vocabulary; others pass through as they are.
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_call",
    "refusal": "content_filter",
}

PARAMS = {
    "max_tokens": ("max_tokens", "max_tokens_to_sample"),
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "stop_sequences": "stop_sequences",
}
# Platform clients of SDKs that predate `_gen_ai_provider_name`, by the module that defines them.
_PLATFORMS = (("anthropic.lib.bedrock", names.AWS_BEDROCK), ("anthropic.lib.vertex", names.GCP_VERTEX_AI))
_providers: dict[type, str] = {}


def provider_of(client: Any) -> str:
    """`gen_ai.provider.name` of an SDK client: `aws.bedrock` and `gcp.vertex_ai` for those platforms."""
    cls = type(client)
    provider = _providers.get(cls)
    if provider is None:
        provider = getattr(cls, "_gen_ai_provider_name", None)
        if not isinstance(provider, str) or not provider:
            module = cls.__module__
            provider = next((p for prefix, p in _PLATFORMS if module.startswith(prefix)), names.ANTHROPIC)
        _providers[cls] = provider
    return provider


def finish_reason(stop_reason: Any) -> str | None:
    return FINISH_REASONS.get(stop_reason, stop_reason) if isinstance(stop_reason, str) else None


# -- content (built only when capture is on) ---------------------------------------------------


def part(block: Any) -> dict[str, Any]:
    """A content block (request dict or response model) as a conventions message part."""
    kind = field(block, "type")
    if kind == "text":
        return text_part(field(block, "text"))
    if kind in ("tool_use", "server_tool_use"):
        return tool_call_part(field(block, "id"), field(block, "name"), plain(field(block, "input")))
    if kind == "tool_result":
        return tool_response_part(field(block, "tool_use_id"), plain(field(block, "content")))
    if kind == "thinking":
        return reasoning_part(field(block, "thinking"))
    other = plain(block)  # images, documents, redacted thinking, ...: as sent, redacted by the core
    return other if isinstance(other, dict) else {"type": str(kind)}


def parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [text_part(content)]
    if isinstance(content, (list, tuple)):  # never iterate a one-shot iterable the SDK has yet to send
        return [part(block) for block in content]
    return []


def input_messages(messages: Any) -> list[dict[str, Any]] | None:
    if not isinstance(messages, (list, tuple)):
        return None
    return [message(field(m, "role"), parts(field(m, "content"))) for m in messages]


# -- requests ----------------------------------------------------------------------------------


def read_request(instance: Any, kwargs: dict[str, Any], stream: bool) -> Request:
    client = instance._client
    output_format = kwargs.get("output_format")
    config_format = field(kwargs.get("output_config"), "format")
    structured = (
        isinstance(output_format, type) or field(config_format or output_format, "type") == "json_schema"
    )
    request = Request(
        kwargs.get("model"),
        provider_of(client),
        server=server_from_url(client.base_url),
        stream=stream,
        output_type=names.OUTPUT_JSON if structured else None,
        **request_params(kwargs, PARAMS),
    )
    if capture_enabled():
        prompt = kwargs.get("prompt")
        if isinstance(prompt, str):
            request.input_messages = [message("user", [text_part(prompt)])]
        else:
            request.input_messages = input_messages(kwargs.get("messages"))
            system = kwargs.get("system")
            request.system_instructions = parts(system) if system else None
            tools = kwargs.get("tools")
            request.tool_definitions = plain(tools) if isinstance(tools, (list, tuple)) else None
    return request


# -- responses ---------------------------------------------------------------------------------


def record_http(op: Operation, response: Any) -> None:
    """The request id and status of the HTTP response (the SDK's own span used to carry them)."""
    attributes: dict[str, Any] = {HTTP_STATUS: response.status_code}
    request_id = response.headers.get("request-id")
    if request_id:
        attributes[REQUEST_ID] = request_id
    op.set_attributes(attributes)


def record_usage(op: Operation, start: Any, final: Any) -> None:
    """Token counts. `final` replaces `start` where it has a count (a stream's message_delta replaces
    its message_start) and output comes only from `final`. Anthropic's input excludes cached input; ours
    includes it.
    """

    def count(key: str) -> Any:
        value = getattr(final, key, None)
        return value if value is not None else getattr(start, key, None)

    fresh = as_count(count("input_tokens"))
    cache_read = as_count(count("cache_read_input_tokens"))
    cache_creation = as_count(count("cache_creation_input_tokens"))
    op.set_usage(
        input_tokens=None if fresh is None else fresh + (cache_read or 0) + (cache_creation or 0),
        output_tokens=getattr(final, "output_tokens", None),
        cache_read=cache_read,
        cache_creation=cache_creation,
        reasoning=getattr(getattr(final, "output_tokens_details", None), "thinking_tokens", None),
    )


def record_stop(op: Operation, stop_reason: Any, attributes: dict[str, Any] | None = None) -> str | None:
    """The finish reason; the raw stop reason goes into `attributes` when given, else onto the span."""
    reason = finish_reason(stop_reason)
    if reason is not None:
        op.set_response(finish_reasons=(reason,))
        if attributes is None:
            op.set_attributes({STOP_REASON: stop_reason})
        else:
            attributes[STOP_REASON] = stop_reason
    return reason


_SILENT_BLOCKS = frozenset({"thinking", "redacted_thinking"})


def block_answers(block: Any) -> bool:
    """Whether a content block is output: non-blank text, or anything but thinking (a tool call, ...)."""
    kind = getattr(block, "type", None)
    if kind == "text":
        return has_text(getattr(block, "text", None))
    return isinstance(kind, str) and kind not in _SILENT_BLOCKS


def record_message(op: Operation, msg: Any) -> None:
    op.set_response(model=msg.model, response_id=msg.id)
    attributes: dict[str, Any] = {}
    reason = record_stop(op, msg.stop_reason, attributes)
    record_usage(op, msg.usage, msg.usage)
    request_id = getattr(msg, "_request_id", None)
    if isinstance(request_id, str) and request_id:
        attributes[REQUEST_ID] = request_id
    if attributes:
        op.set_attributes(attributes)
    if op.collect_output:
        op.set_output([message("assistant", parts(msg.content), reason)])
    else:
        op.answered = any(block_answers(block) for block in items(msg.content))
