"""Maps google-genai requests and responses onto the core's vocabulary: parameters, usage, content."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.semconv_ai import Operation, Request, capture_enabled, names
from opentelemetry.semconv_ai.content import (
    message,
    plain,
    reasoning_part,
    text_part,
    tool_call_part,
    tool_response_part,
)
from opentelemetry.semconv_ai.safe import count, field, has_text, items

# `models/gemini-2.5-flash` and Vertex resource names are the same model as `gemini-2.5-flash`.
_RESOURCE = re.compile(r"^(?:projects/[^/]+/locations/[^/]+/)?(?:publishers/[^/]+/)?models/(?=.)")
_DEFAULT_HOSTS = {False: "generativelanguage.googleapis.com", True: "aiplatform.googleapis.com"}
_PARAMS = (
    ("temperature", names.REQUEST_TEMPERATURE),
    ("max_output_tokens", names.REQUEST_MAX_TOKENS),
    ("top_p", names.REQUEST_TOP_P),
    ("top_k", names.REQUEST_TOP_K),
    ("presence_penalty", names.REQUEST_PRESENCE_PENALTY),
    ("frequency_penalty", names.REQUEST_FREQUENCY_PENALTY),
    ("seed", names.REQUEST_SEED),
    ("candidate_count", names.REQUEST_CHOICE_COUNT),
    ("output_dimensionality", names.EMBEDDINGS_DIMENSION_COUNT),
)
# Gemini finish reasons in the conventions' vocabulary; others pass through lower-cased.
FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}
HTTP_STATUS = "http.response.status_code"
_servers: dict[Any, tuple[str | None, int | None]] = {}


def model_name(model: Any) -> Any:
    return _RESOURCE.sub("", model, count=1) if isinstance(model, str) else model


def server(api_client: Any) -> tuple[str | None, int | None]:
    """(address, port) of the client's base URL; 1.x keeps http options as a dict, later as a model."""
    base_url = field(getattr(api_client, "_http_options", None), "base_url")
    key = (base_url, bool(getattr(api_client, "vertexai", False)))
    found = _servers.get(key)
    if found is None:
        url = urlsplit(base_url) if isinstance(base_url, str) else None
        if url is None or not url.hostname:
            found = (_DEFAULT_HOSTS[key[1]], 443)
        else:
            found = (url.hostname, url.port or (443 if url.scheme == "https" else 80))
        if len(_servers) < 64:
            _servers[key] = found
    return found


def read_request(instance: Any, kwargs: dict[str, Any], stream: bool = False) -> Request:
    api_client = instance._api_client
    config = kwargs.get("config")
    attributes: dict[str, Any] = {}
    for key, attribute in _PARAMS:
        value = field(config, key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attributes[attribute] = value
    stop = field(config, "stop_sequences")
    if isinstance(stop, (list, tuple)) and all(isinstance(s, str) for s in stop):
        attributes[names.REQUEST_STOP_SEQUENCES] = tuple(stop)
    if stream:
        attributes[names.REQUEST_STREAM] = True
    address, port = server(api_client)
    json_out = field(config, "response_mime_type") == "application/json" or field(config, "response_schema")
    request = Request(
        model_name(kwargs.get("model")),
        names.GCP_VERTEX_AI if getattr(api_client, "vertexai", False) else names.GCP_GEMINI,
        server_address=address,
        server_port=port,
        attributes=attributes,
        output_type=names.OUTPUT_JSON if json_out else None,
    )
    if capture_enabled():
        request.input_messages = input_messages(kwargs.get("contents"))
        system = field(config, "system_instruction")
        request.system_instructions = content_parts(system) if system is not None else None
        tools = field(config, "tools")
        if isinstance(tools, (list, tuple)) and not any(callable(t) for t in tools):
            request.tool_definitions = plain(list(tools))
    return request


# -- content (built only when capture is on) ---------------------------------------------------


def part(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return text_part(value)
    text = field(value, "text")
    if isinstance(text, str):
        return reasoning_part(text) if field(value, "thought") else text_part(text)
    call = field(value, "function_call")
    if call is not None:
        return tool_call_part(field(call, "id"), field(call, "name"), plain(field(call, "args")))
    response = field(value, "function_response")
    if response is not None:
        return tool_response_part(field(response, "id"), plain(field(response, "response")))
    other = plain(value)  # inline data, file data, code execution, ...: as sent, redacted by the core
    return other if isinstance(other, dict) else {"type": type(value).__name__}


def content_parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    parts = field(content, "parts")
    if isinstance(parts, (list, tuple)):
        return [part(p) for p in parts]
    return [part(content)]


def joined_parts(parts: list[Any]) -> list[dict[str, Any]]:
    """A stream's parts as message parts, consecutive text (or thought) pieces joined into one."""
    out: list[dict[str, Any]] = []
    for value in parts:
        converted = part(value)
        kind = converted.get("type")
        if out and kind in ("text", "reasoning") and out[-1].get("type") == kind:
            out[-1] = {**out[-1], "content": f"{out[-1]['content']}{converted['content']}"}
        else:
            out.append(converted)
    return out


def _role(role: Any) -> Any:
    return "assistant" if role == "model" else role or "user"


def input_messages(contents: Any) -> list[dict[str, Any]] | None:
    if not isinstance(contents, (list, tuple)):
        contents = [contents]
    out: list[dict[str, Any]] = []
    for content in contents:
        if field(content, "parts") is not None:
            out.append(message(_role(field(content, "role")), content_parts(content)))
        elif out and out[-1]["role"] == "user" and not isinstance(content, (list, tuple)):
            out[-1]["parts"].append(part(content))  # loose parts make one user turn
        else:
            out.append(message("user", [part(c) for c in items(content)] or [part(content)]))
    return out


# -- responses ---------------------------------------------------------------------------------


def finish_reason(candidate: Any) -> str | None:
    reason = field(candidate, "finish_reason")
    reason = getattr(reason, "value", reason)
    if not isinstance(reason, str):
        return None
    return FINISH_REASONS.get(reason, reason.lower())


def part_answers(value: Any) -> bool:
    if field(value, "thought"):
        return False
    return has_text(field(value, "text")) or field(value, "function_call") is not None


def record_usage(op: Operation, usage: Any) -> None:
    """input = prompt (cached content included) + tool-use prompt; output = candidates + thoughts."""
    if usage is None:
        return
    prompt, tool_use = field(usage, "prompt_token_count"), field(usage, "tool_use_prompt_token_count")
    candidates, thoughts = field(usage, "candidates_token_count"), field(usage, "thoughts_token_count")
    op.set_usage(
        input_tokens=_add(prompt, tool_use),
        output_tokens=_add(candidates, thoughts),
        cache_read=field(usage, "cached_content_token_count"),
        reasoning=thoughts,
    )


def _add(a: Any, b: Any) -> int | None:
    a, b = count(a), count(b)
    return None if a is None and b is None else (a or 0) + (b or 0)


def record_response(op: Operation, response: Any) -> None:
    op.set_response(model=field(response, "model_version"), response_id=field(response, "response_id"))
    candidates = items(field(response, "candidates"))
    reasons = [finish_reason(c) for c in candidates]
    if not candidates and field(field(response, "prompt_feedback"), "block_reason") is not None:
        reasons = ["content_filter"]
    op.set_response(finish_reasons=reasons)
    record_usage(op, field(response, "usage_metadata"))
    if op.collect_output:
        op.set_output(
            [
                message("assistant", content_parts(field(c, "content")), r)
                for c, r in zip(candidates, reasons, strict=False)
            ]
        )
    else:
        op.answered = any(
            part_answers(p) for c in candidates for p in items(field(field(c, "content"), "parts"))
        )
