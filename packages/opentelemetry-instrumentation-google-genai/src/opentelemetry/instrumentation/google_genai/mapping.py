"""Maps google-genai requests and responses onto the core's vocabulary: parameters, usage, content."""

from __future__ import annotations

import re
from typing import Any

from opentelemetry.semconv_ai import Operation, Request, Server, capture_enabled, names, server_from_url
from opentelemetry.semconv_ai.content import (
    message,
    plain,
    reasoning_part,
    text_part,
    tool_call_part,
    tool_response_part,
)
from opentelemetry.semconv_ai.safe import count, field, items

# `models/gemini-2.5-flash` and Vertex resource names are the same model as `gemini-2.5-flash`.
_RESOURCE = re.compile(r"^(?:projects/[^/]+/locations/[^/]+/)?(?:publishers/[^/]+/)?models/(?=.)")
# Request fields of the core -> the GenerateContentConfig / EmbedContentConfig field.
PARAMS = {
    "temperature": "temperature",
    "max_tokens": "max_output_tokens",
    "top_p": "top_p",
    "top_k": "top_k",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "seed": "seed",
    "choice_count": "candidate_count",
    "stop_sequences": "stop_sequences",
    "dimensions": "output_dimensionality",
}
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


def model_name(model: Any) -> Any:
    return _RESOURCE.sub("", model, count=1) if isinstance(model, str) else model


_servers: dict[Any, Server] = {}


def server(api_client: Any) -> Server:
    # google-genai 1.x keeps its http options as a dict, later releases as a model.
    base_url = field(getattr(api_client, "_http_options", None), "base_url")
    found = _servers.get(base_url)
    if found is None:
        found = server_from_url(base_url)
        if len(_servers) < 64:
            _servers[base_url] = found
    return found


def read_request(instance: Any, kwargs: dict[str, Any], stream: bool = False) -> Request:
    api_client = instance._api_client
    config = kwargs.get("config")
    # A config is a dict or a pydantic model, whose fields are its __dict__: read it once.
    values = config if isinstance(config, dict) else getattr(config, "__dict__", None) or {}
    params = {name: values[key] for name, key in PARAMS.items() if values.get(key) is not None}
    top_k = params.get("top_k")
    if isinstance(top_k, float) and top_k.is_integer():  # a float in GenerateContentConfig
        params["top_k"] = int(top_k)
    json_out = values.get("response_mime_type") == "application/json" or values.get("response_schema")
    request = Request(
        model_name(kwargs.get("model")),
        names.GCP_VERTEX_AI if getattr(api_client, "vertexai", False) else names.GCP_GEMINI,
        server=server(api_client),
        stream=stream,
        output_type=names.OUTPUT_JSON if json_out else None,
        **params,
    )
    if capture_enabled():
        request.input_messages = input_messages(kwargs.get("contents"))
        system = values.get("system_instruction")
        request.system_instructions = content_parts(system) if system is not None else None
        tools = values.get("tools")
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
    if op.collect_output:  # otherwise the core tells `answered` from the output tokens
        pairs = zip(candidates, reasons, strict=False)
        op.set_output([message("assistant", content_parts(field(c, "content")), r) for c, r in pairs])
