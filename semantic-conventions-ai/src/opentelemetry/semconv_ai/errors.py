"""Failed operations: a bounded `error.type`, and an exception recorded without the request in it.

`error.type` becomes a metric label, so it is one of a closed set: a code the provider documents
(from the error body or the exception) or a numeric code, else the HTTP status (`"429"`), else
the exception's class name. A body's code that is not in the set never becomes a value: providers
echo request text in error bodies, and `{"code": "blocked:<anything>"}` would otherwise reach `/metrics`.

Exception messages quote what they were given (prompts, system prompts, URLs with `?api-key=`,
keys in 401 bodies), so with content capture off only the class, the HTTP status and the frames
(file, line, function; no source lines, no messages) are recorded; with capture on, the message and
the traceback are recorded redacted. Our own loggers drop exception messages the same way.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from typing import Any

from .config import settings
from .redaction import redact_secrets

MAX_LENGTH = 64
MAX_TEXT_BODY = 16_384
MAX_MESSAGE = 1024
MAX_STACKTRACE = 8192
OTHER = "_OTHER"

# Codes and types the providers document for their error bodies, and the conventions' own values.
KNOWN_CODES = frozenset(
    {
        # OpenAI (and OpenAI-compatible) `code` and `type` values
        "invalid_api_key",
        "invalid_request_error",
        "authentication_error",
        "permission_error",
        "not_found_error",
        "rate_limit_exceeded",
        "rate_limit_error",
        "insufficient_quota",
        "model_not_found",
        "context_length_exceeded",
        "content_filter",
        "content_policy_violation",
        "invalid_prompt",
        "server_error",
        "api_error",
        "unsupported_parameter",
        "unsupported_value",
        "invalid_value",
        "invalid_type",
        "missing_required_parameter",
        "string_above_max_length",
        "unknown_parameter",
        "invalid_image",
        "invalid_image_format",
        "billing_hard_limit_reached",
        "billing_not_active",
        "account_deactivated",
        "unknown_url",
        "tokens",
        "requests",
        # Anthropic `error.type` values
        "request_too_large",
        "overloaded_error",
        "billing_error",
        "timeout_error",
        # Mistral `type` values (its `code` is numeric)
        "rate_limited",
        "invalid_request_error_message",
        # Google (google-genai `status`): the google.rpc codes
        "INVALID_ARGUMENT",
        "FAILED_PRECONDITION",
        "OUT_OF_RANGE",
        "UNAUTHENTICATED",
        "PERMISSION_DENIED",
        "NOT_FOUND",
        "ABORTED",
        "ALREADY_EXISTS",
        "RESOURCE_EXHAUSTED",
        "CANCELLED",
        "DATA_LOSS",
        "UNKNOWN",
        "INTERNAL",
        "UNAVAILABLE",
        "DEADLINE_EXCEEDED",
        "UNIMPLEMENTED",
        # AWS Bedrock Runtime (botocore `Error.Code`)
        "ThrottlingException",
        "ValidationException",
        "ModelNotReadyException",
        "AccessDeniedException",
        "ResourceNotFoundException",
        "ServiceQuotaExceededException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelTimeoutException",
        "ModelErrorException",
        "ModelStreamErrorException",
        # the conventions
        OTHER,
        "timeout",
    }
)
_IDENTIFIER = re.compile(r"[^A-Za-z0-9_.]")
_NUMERIC = re.compile(r"[0-9]{1,6}")


def _known(value: Any) -> str | None:
    """A documented code, or a numeric one (Mistral's "1300"): neither can carry request text."""
    if isinstance(value, str) and (value in KNOWN_CODES or _NUMERIC.fullmatch(value)):
        return value
    return None


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
        found = _known(body.get(key))
        if found is not None:
            return found
    return None


def http_status(exc: BaseException) -> int | None:
    """The HTTP status an SDK exception carries (`status_code`, or its response's), if any."""
    for value in (
        getattr(exc, "status_code", None),
        getattr(exc, "http_status", None),  # together 1.x
        getattr(exc, "code", None),  # google-genai's `code` is the HTTP status
        getattr(getattr(exc, "response", None), "status_code", None),
    ):
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
    return None


def class_name(exc: BaseException) -> str:
    """The exception's class name, as an identifier of at most 64 characters."""
    name = type(exc).__name__
    if not (name.isidentifier() and len(name) <= MAX_LENGTH):
        name = _IDENTIFIER.sub("_", str(name))[:MAX_LENGTH] or "Exception"
    return name


def _code_from_botocore(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)  # botocore ClientError and EventStreamError
    error = response.get("Error") if isinstance(response, dict) else None
    code = error.get("Code") if isinstance(error, dict) else None
    if not isinstance(code, str) or not code:
        return None
    # Bedrock's stream events name the same codes with a lower-case first letter.
    return code if _known(code) or _known(code[0].upper() + code[1:]) else None


def error_type(exc: BaseException) -> str:
    try:
        code = _code_from_body(getattr(exc, "body", None)) or _code_from_botocore(exc)
        if code is None:
            for attr in ("code", "type", "status"):  # google-genai: status "RESOURCE_EXHAUSTED"
                code = _known(getattr(exc, attr, None))
                if code is not None:
                    break
        if code is None:
            status = http_status(exc)
            if status is not None:
                code = str(status)
        return code or class_name(exc)
    except Exception:
        return class_name(exc)


def _qualified(exc: BaseException) -> str:
    cls = type(exc)
    module = getattr(cls, "__module__", "") or ""
    name = f"{module}.{cls.__qualname__}" if module not in ("", "builtins") else cls.__qualname__
    return _IDENTIFIER.sub("_", name)[:256]


def description(exc: BaseException, capture: bool | None = None) -> str:
    """The span status text: the class and HTTP status; with capture on, the redacted message too."""
    text = class_name(exc)
    status = http_status(exc)
    if status is not None:
        text += f" (HTTP {status})"
    if settings.capture_content if capture is None else capture:
        message = _message(exc)
        if message:
            text += f": {message}"
    return text


def _message(exc: BaseException) -> str:
    try:
        return redact_secrets(str(exc)[:MAX_MESSAGE])
    except Exception:
        return ""


def _frames(exc: BaseException) -> str:
    """Every exception of the chain, causes first: its class and its frames, without messages or code."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(chain) < 16:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    lines: list[str] = []
    for position, item in enumerate(reversed(chain)):
        if position:
            lines.append("\nThe above exception led to another:\n\n")
        lines.append("Traceback (most recent call last):\n")
        for frame in traceback.extract_tb(item.__traceback__, limit=64):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n')
        lines.append(f"{_qualified(item)}\n")
    return "".join(lines)


def _stacktrace(exc: BaseException) -> str:
    return redact_secrets("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


def record_error(span: Any, exc: BaseException) -> None:
    """Set the span's error status and add the `exception` event, in the capture policy's words."""
    from opentelemetry.trace import Status, StatusCode

    capture = settings.capture_content
    span.set_status(Status(StatusCode.ERROR, description(exc, capture)))
    attributes = {"exception.type": _qualified(exc)}
    if capture:
        attributes["exception.message"] = _message(exc)
        attributes["exception.stacktrace"] = _stacktrace(exc)[-MAX_STACKTRACE:]
    else:
        attributes["exception.stacktrace"] = _frames(exc)[-MAX_STACKTRACE:]
    span.add_event("exception", attributes)


class _ScrubFilter(logging.Filter):
    """With capture off, a logged exception keeps its class and frames but loses its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not settings.capture_content:
            exc = record.exc_info[1]
            if isinstance(exc, BaseException):
                frames = _frames(exc)
                record.msg = f"{record.msg}\n{frames.replace('%', '%%') if record.args else frames}"
                record.exc_info = None
                record.exc_text = None
        return True


_SCRUB = _ScrubFilter()


def scrub_logs(prefix: str) -> None:
    """Apply the filter to the logger `prefix` and to every logger under it that exists now."""
    manager = logging.Logger.manager
    names = [prefix, *(n for n in list(manager.loggerDict) if n.startswith(prefix + "."))]
    for name in names:
        log = logging.getLogger(name)
        if _SCRUB not in log.filters:
            log.addFilter(_SCRUB)


scrub_logs("opentelemetry.semconv_ai")
