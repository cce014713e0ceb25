"""OpenAI-shaped messages as the conventions' message JSON; only built when content is collected.

Objects are read by attribute or key (`safe.field`), so any SDK generated from OpenAI's API works.
"""

from __future__ import annotations

from typing import Any

from ..content import message, plain, text_part, tool_call_part, tool_response_part
from ..safe import field, has_text


def content_parts(content: Any) -> list[dict[str, Any]]:
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


def tool_call(call: Any) -> dict[str, Any]:
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
            parts = content_parts(field(msg, "content"))
            parts.extend(tool_call(call) for call in field(msg, "tool_calls") or ())
        out.append(message(role, parts))
    return out


def prompt_input(prompt: Any) -> list[dict[str, Any]] | None:
    if isinstance(prompt, str):
        return [message("user", [text_part(prompt)])]
    if isinstance(prompt, (list, tuple)):
        return [message("user", [text_part(p if isinstance(p, str) else plain(p))]) for p in prompt]
    return None


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
            parts = content_parts(getattr(choice, "text", None))
            role = "assistant"
        else:
            parts = content_parts(getattr(msg, "content", None))
            refusal = getattr(msg, "refusal", None)
            if refusal:
                parts.append(text_part(refusal))
            # openai 1.0 messages have no `tool_calls` (the SDK added it later); odd SDK objects neither
            parts.extend(tool_call(call) for call in getattr(msg, "tool_calls", None) or ())
            role = getattr(msg, "role", None) or "assistant"
        out.append(message(role, parts, getattr(choice, "finish_reason", None)))
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
