"""error.type: the provider's error code where it gives one, else the status, else the class name."""

from __future__ import annotations

import json
from typing import Any

MAX_LENGTH = 64
MAX_TEXT_BODY = 16_384


def _bounded(value: str) -> str:
    value = value[:MAX_LENGTH]
    return value if value.isprintable() else "".join(c if c.isprintable() else "_" for c in value)


def _code_from_body(body: Any) -> str | None:
    if isinstance(body, str) and body.startswith("{") and len(body) <= MAX_TEXT_BODY:
        try:  # SDKs that keep the body as text (mistralai's SDKError)
            body = json.loads(body)
        except ValueError:
            return None
    if not isinstance(body, dict):
        return None
    inner = body.get("error")
    if isinstance(inner, dict):
        body = inner
    for key in ("code", "type"):
        value = body.get(key)
        if isinstance(value, str) and value and value != "error":
            return value
    return None


def _code_from_botocore(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)  # botocore ClientError and EventStreamError
    error = response.get("Error") if isinstance(response, dict) else None
    code = error.get("Code") if isinstance(error, dict) else None
    return code if isinstance(code, str) and code else None


def error_type(exc: BaseException) -> str:
    try:
        code = _code_from_body(getattr(exc, "body", None)) or _code_from_botocore(exc)
        if code is None:
            for attr in ("code", "type", "status"):  # google-genai: status "RESOURCE_EXHAUSTED"
                value = getattr(exc, attr, None)
                if isinstance(value, str) and value:
                    code = value
                    break
        if code is None:
            # google-genai's `code` is the HTTP status; together 1.x calls it `http_status`
            for attr in ("status_code", "http_status", "code"):
                status = getattr(exc, attr, None)
                # Only a real HTTP status: ollama reports -1 for an error that came inside a stream.
                if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599:
                    code = str(status)
                    break
        return _bounded(code) if code else type(exc).__name__
    except Exception:
        return type(exc).__name__
