"""Reading odd SDK objects: a field that may be missing, a list that may be anything else.

Provider adapters read responses through these, because a response can hold nulls, wrong types
or unknown shapes (old SDKs keep unknown fields as plain dicts), and that must never cost telemetry.
"""

from __future__ import annotations

from typing import Any

from .labels import finite_count as count

__all__ = ["count", "field", "has_text", "index", "is_raw", "is_stream", "items"]


def field(obj: Any, key: str) -> Any:
    """`obj[key]` for a dict, `obj.key` otherwise; None when missing."""
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def items(value: Any) -> list[Any] | tuple[Any, ...]:
    """`value` when it is a list or tuple, else an empty tuple."""
    return value if isinstance(value, (list, tuple)) else ()


def index(value: Any) -> int:
    """A choice or block index usable as a dict key: an int, else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def has_text(value: Any) -> bool:
    """Whether `value` is a string with something other than whitespace in it."""
    return isinstance(value, str) and bool(value) and not value.isspace()


def is_stream(value: Any) -> bool:
    """Whether `value` iterates chunks (an SDK `Stream` / `AsyncStream`) rather than being a parsed object
    (pydantic models iterate their fields, so `__iter__` alone does not count)."""
    cls = type(value)
    return hasattr(cls, "__next__") or hasattr(cls, "__anext__")


def is_raw(value: Any) -> bool:
    """Whether `value` is a raw-response wrapper (`with_raw_response`): an `http_response` and `parse()`."""
    return getattr(value, "http_response", None) is not None and callable(getattr(value, "parse", None))
