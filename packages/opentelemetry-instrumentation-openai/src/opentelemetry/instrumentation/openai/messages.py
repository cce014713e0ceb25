"""OpenAI messages as the conventions' message JSON; only used when content is collected."""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai.content import (
    message,
    plain,
    reasoning_part,
    text_part,
    tool_call_part,
    tool_response_part,
)
from opentelemetry.semconv_ai.safe import field, has_text, items


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [text_part(content)]
    parts = []
    for part in content if isinstance(content, (list, tuple)) else [content]:
        kind = field(part, "type")
        if kind in ("text", "input_text", "output_text"):
            parts.append(text_part(field(part, "text")))
        elif kind == "refusal":
            parts.append(text_part(field(part, "refusal")))
        elif kind == "image_url":
            parts.append({"type": "uri", "modality": "image", "uri": field(field(part, "image_url"), "url")})
        else:
            parts.append(plain(part))
    return parts


def _tool_call(call: Any) -> dict[str, Any]:
    function = field(call, "function") or field(call, "custom")
    arguments = field(function, "arguments")
    return tool_call_part(
        field(call, "id"),
        field(function, "name"),
        arguments if arguments is not None else field(function, "input"),
    )


def chat_input(messages: Any) -> list[dict[str, Any]] | None:
    if not isinstance(messages, (list, tuple)):
        return None
    out = []
    for msg in messages:
        role = field(msg, "role")
        if role == "tool":
            parts = [tool_response_part(field(msg, "tool_call_id"), plain(field(msg, "content")))]
        else:
            parts = _content_parts(field(msg, "content"))
            parts.extend(_tool_call(call) for call in field(msg, "tool_calls") or ())
        out.append(message(role, parts))
    return out


def prompt_input(prompt: Any) -> list[dict[str, Any]] | None:
    if isinstance(prompt, str):
        return [message("user", [text_part(prompt)])]
    if isinstance(prompt, (list, tuple)):
        return [message("user", [text_part(p if isinstance(p, str) else plain(p))]) for p in prompt]
    return None


def responses_input(items: Any) -> list[dict[str, Any]] | None:
    if isinstance(items, str):
        return [message("user", [text_part(items)])]
    if not isinstance(items, (list, tuple)):
        return None
    out = []
    for item in items:
        kind = field(item, "type")
        if kind == "function_call":
            call = tool_call_part(field(item, "call_id"), field(item, "name"), field(item, "arguments"))
            out.append(message("assistant", [call]))
        elif kind == "function_call_output":
            out.append(
                message("tool", [tool_response_part(field(item, "call_id"), plain(field(item, "output")))])
            )
        elif kind in (None, "message"):
            out.append(message(field(item, "role"), _content_parts(field(item, "content"))))
        else:
            out.append(message(field(item, "role") or "user", [plain(item)]))
    return out


def tool_definitions(tools: Any) -> list[Any] | None:
    if isinstance(tools, (list, tuple)) and tools:
        return plain(list(tools))
    return None


def choices_output(choices: Any) -> list[dict[str, Any]]:
    """Chat choices (`message`) or legacy completion choices (`text`)."""
    out = []
    for choice in choices:
        msg = getattr(choice, "message", None)
        if msg is None:
            parts = _content_parts(getattr(choice, "text", None))
            role = "assistant"
        else:
            parts = _content_parts(msg.content)
            refusal = getattr(msg, "refusal", None)
            if refusal:
                parts.append(text_part(refusal))
            parts.extend(_tool_call(call) for call in msg.tool_calls or ())
            role = msg.role or "assistant"
        out.append(message(role, parts, choice.finish_reason))
    return out


def choices_answered(choices: Any) -> bool:
    """Whether `choices_output(choices)` would hold any text or tool call, without building it."""
    for choice in choices:
        msg = getattr(choice, "message", None)
        if msg is None:
            if has_text(getattr(choice, "text", None)):
                return True
        elif (
            has_text(getattr(msg, "content", None))
            or has_text(getattr(msg, "refusal", None))
            or getattr(msg, "tool_calls", None)
        ):
            return True
    return False


def response_answered(response: Any) -> bool:
    """Whether a Responses API answer has non-blank text, a refusal or any item other than reasoning."""
    for item in items(getattr(response, "output", None)):
        kind = getattr(item, "type", None)
        if kind == "message":
            for content in items(getattr(item, "content", None)):
                if has_text(getattr(content, "text", None)) or has_text(getattr(content, "refusal", None)):
                    return True
        elif kind != "reasoning":
            return True
    return False


def response_output(response: Any, finish_reason: str) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for item in response.output or ():
        kind = getattr(item, "type", None)
        if kind == "message":
            parts.extend(_content_parts(item.content))
        elif kind == "function_call":
            parts.append(tool_call_part(item.call_id, item.name, item.arguments))
        elif kind == "reasoning":
            parts.extend(reasoning_part(summary.text) for summary in item.summary or ())
        else:
            parts.append(plain(item))
    return [message("assistant", parts, finish_reason)]
