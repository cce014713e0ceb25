"""Responses API items as the conventions' message JSON; only used when content is collected.

Chat and completion messages are mapped by the core (`opentelemetry.semconv_ai.openai_compat`).
"""

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
from opentelemetry.semconv_ai.openai_compat import content_parts
from opentelemetry.semconv_ai.safe import field, has_text, items


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
            out.append(message(field(item, "role"), content_parts(field(item, "content"))))
        else:
            out.append(message(field(item, "role") or "user", [plain(item)]))
    return out


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
            parts.extend(content_parts(item.content))
        elif kind == "function_call":
            parts.append(tool_call_part(item.call_id, item.name, item.arguments))
        elif kind == "reasoning":
            parts.extend(reasoning_part(summary.text) for summary in item.summary or ())
        else:
            parts.append(plain(item))
    return [message("assistant", parts, finish_reason)]
