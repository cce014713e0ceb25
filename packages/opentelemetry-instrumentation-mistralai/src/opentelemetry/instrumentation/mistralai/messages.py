"""Mistral messages as the conventions' message JSON (only built when content is collected), and the
`answered` check that needs no text kept."""

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


def _texts(chunk: Any) -> list[str]:
    """The text of a content chunk: `text`, or a thinking chunk's inner text chunks."""
    text = field(chunk, "text")
    if isinstance(text, str):
        return [text]
    return [t for inner in items(field(chunk, "thinking")) for t in _texts(inner)]


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [text_part(content)]
    parts = []
    for chunk in items(content):
        kind = field(chunk, "type")
        if kind == "text":
            parts.append(text_part(field(chunk, "text")))
        elif kind == "thinking":
            parts.append(reasoning_part("".join(_texts(chunk))))
        else:
            parts.append(plain(chunk))
    return parts


def _tool_calls(calls: Any) -> list[dict[str, Any]]:
    out = []
    for call in items(calls):
        function = field(call, "function")
        out.append(tool_call_part(field(call, "id"), field(function, "name"), field(function, "arguments")))
    return out


def answers(msg: Any) -> bool:
    """Whether a message or delta has non-blank text or a tool call."""
    content = field(msg, "content")
    if has_text(content):
        return True
    if any(has_text(t) for chunk in items(content) for t in _texts(chunk)):
        return True
    return bool(items(field(msg, "tool_calls")))


def chat_input(msgs: Any) -> list[dict[str, Any]] | None:
    out = []
    for msg in items(msgs):
        role = field(msg, "role")
        if role == "tool":
            parts = [tool_response_part(field(msg, "tool_call_id"), plain(field(msg, "content")))]
        else:
            parts = _parts(field(msg, "content")) + _tool_calls(field(msg, "tool_calls"))
        out.append(message(role, parts))
    return out or None


def fim_input(prompt: Any, suffix: Any) -> list[dict[str, Any]] | None:
    parts = [text_part(p) for p in (prompt, suffix) if isinstance(p, str)]
    return [message("user", parts)] if parts else None


def embedding_input(inputs: Any) -> list[dict[str, Any]] | None:
    texts = [inputs] if isinstance(inputs, str) else [t for t in items(inputs) if isinstance(t, str)]
    return [message("user", [text_part(t)]) for t in texts] or None


def tool_definitions(tools: Any) -> list[Any] | None:
    return [plain(tool) for tool in items(tools)] or None


def choices_output(choices: Any) -> list[dict[str, Any]]:
    out = []
    for choice in items(choices):
        msg = field(choice, "message")
        parts = _parts(field(msg, "content")) + _tool_calls(field(msg, "tool_calls"))
        reason = field(choice, "finish_reason")
        out.append(message("assistant", parts, getattr(reason, "value", reason)))
    return out


def collect_delta(delta: Any, texts: list[str], tools: list[Any]) -> None:
    """Keeps a stream delta's text and tool calls (Mistral sends each tool call whole)."""
    content = field(delta, "content")
    if isinstance(content, str):
        texts.append(content)
    else:
        texts.extend(t for chunk in items(content) if field(chunk, "type") == "text" for t in _texts(chunk))
    tools.extend(items(field(delta, "tool_calls")))
