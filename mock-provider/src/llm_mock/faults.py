"""Faults shared by every protocol: latency, injected error statuses, timeouts, cut streams, random errors.

They are read from the request's ``x-mock-*`` headers (falling back to the server's settings) before
any route runs, so a new protocol gets all of them without a line of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .exchange import ApiError, Reply
from .registry import Protocol

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_CUT_AFTER = 2

_MESSAGES = {
    429: "Rate limit reached (injected by llm-mock).",
    500: "The server had an error while processing your request (injected by llm-mock).",
    503: "The server is overloaded (injected by llm-mock).",
}


def number(value: str | None, default: float) -> float:
    if value is None or not value.strip():
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        raise ApiError(400, f"Expected a number, got {value!r}") from None


@dataclass
class Faults:
    """What one request asked for; the server applies it."""

    latency_s: float = 0.0
    ttft_s: float = 0.0
    token_delay_s: float = 0.0
    fail: str = ""
    """The ``x-mock-fail`` value; with none, the server's ``error_rate`` may inject an error."""
    timeout_s: float = 0.0
    """Sleep this long before answering (``x-mock-fail: timeout``)."""
    status: int = 0
    """Answer with this error status instead of running the route."""
    cut_after: int | None = None
    """Close the connection after this many content deltas (``x-mock-fail: cut``)."""


def read(headers: dict[str, str], settings: Any) -> Faults:
    """The faults of a request; ``settings`` holds the server-wide ``latency_ms``, ``ttft_ms``, ... ."""
    faults = Faults(
        latency_s=number(headers.get("x-mock-latency-ms"), settings.latency_ms) / 1000,
        ttft_s=number(headers.get("x-mock-ttft-ms"), settings.ttft_ms) / 1000,
        token_delay_s=number(headers.get("x-mock-token-delay-ms"), settings.token_delay_ms) / 1000,
    )
    fail = faults.fail = (headers.get("x-mock-fail") or "").strip().lower()
    if fail == "timeout":
        faults.timeout_s = number(headers.get("x-mock-timeout-s"), DEFAULT_TIMEOUT_S)
    elif fail == "cut":
        faults.cut_after = int(number(headers.get("x-mock-cut-after"), DEFAULT_CUT_AFTER))
    elif fail:
        if not fail.isdigit() or not 400 <= int(fail) <= 599:
            raise ApiError(400, f"x-mock-fail must be an HTTP error status, timeout or cut; got {fail!r}")
        faults.status = int(fail)
    return faults


def injected_error(protocol: Protocol, status: int) -> Reply:
    """An injected error in the protocol's format; a 429 tells the SDKs to retry at once."""
    reply = protocol.error_reply(status, _MESSAGES.get(status, f"Injected error {status} (llm-mock)."), None)
    if status == 429:
        # retry-after: 0 alone makes the SDKs fall back to their exponential backoff (0.5 s, 1 s, ...);
        # they prefer retry-after-ms, which makes the retry immediate.
        reply.headers = {**reply.headers, "retry-after": "0", "retry-after-ms": "1"}
    return reply
