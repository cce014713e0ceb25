"""Content capture: off by default; when on, messages as the conventions' JSON, redacted and truncated.

Message shape (GenAI conventions): `{"role": ..., "parts": [part, ...], "finish_reason": ...}` with
parts `{"type": "text", "content": ...}`, `{"type": "tool_call", "id", "name", "arguments"}`,
`{"type": "tool_call_response", "id", "response"}`, `{"type": "reasoning", "content": ...}`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .config import settings
from .redaction import REDACTED as _REDACTED
from .redaction import is_secret_key, redact_secrets

TRUNCATED = "…[truncated]"
REDACTED = _REDACTED

# Inline base64 payloads (data URLs and long unbroken base64 runs) are replaced beyond this size.
MAX_INLINE_BASE64 = 1024
_DATA_URL = re.compile(r"data:([\w/+.\-]+);base64,[A-Za-z0-9+/=]{" + str(MAX_INLINE_BASE64) + ",}")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{" + str(MAX_INLINE_BASE64) + ",}={0,2}")


_SCALARS = (str, int, float, bytes)  # a secret key's value; a nested schema is redacted inside instead


def capture_enabled() -> bool:
    return settings.capture_content


def redact_text(text: str) -> str:
    text = redact_secrets(text)
    if len(text) > MAX_INLINE_BASE64:
        text = _DATA_URL.sub(lambda m: f"data:{m.group(1)};base64,[{len(m.group(0))} bytes omitted]", text)
        text = _BASE64_RUN.sub(lambda m: f"[base64 {len(m.group(0))} bytes omitted]", text)
    return text


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of a JSON-like value with secrets, auth headers and large base64 payloads removed."""
    if isinstance(value, str):
        return redact_text(value)
    if depth > 20:
        return "[nested too deep]"
    if isinstance(value, dict):
        return {
            str(k): (REDACTED if isinstance(v, _SCALARS) and is_secret_key(str(k)) else redact(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v, depth + 1) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact_text(str(value))


def to_json(value: Any) -> str:
    """Redacted JSON, truncated to the configured size."""
    text = json.dumps(redact(value), ensure_ascii=False, default=str, separators=(",", ":"))
    limit = settings.max_content_bytes
    if len(text) > limit:
        text = text[: max(0, limit - len(TRUNCATED))] + TRUNCATED
    return text


def text_part(content: Any) -> dict[str, Any]:
    return {"type": "text", "content": content}


def tool_call_part(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            pass
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}


def tool_response_part(call_id: Any, response: Any) -> dict[str, Any]:
    return {"type": "tool_call_response", "id": call_id, "response": response}


def reasoning_part(content: Any) -> dict[str, Any]:
    return {"type": "reasoning", "content": content}


def message(role: Any, parts: list[dict[str, Any]], finish_reason: Any = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": role, "parts": parts}
    if finish_reason is not None:
        msg["finish_reason"] = finish_reason
    return msg


def plain(value: Any) -> Any:
    """A JSON-like view of an SDK object (pydantic models, TypedDicts, lists)."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(exclude_none=True)
        except Exception:
            return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
