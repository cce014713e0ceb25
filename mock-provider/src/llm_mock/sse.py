"""Server-sent event framing."""

from __future__ import annotations

import json
from typing import Any


def encode(data: Any, event: str | None = None) -> bytes:
    """One SSE frame. ``data`` that is not a string is JSON-encoded; multi-line strings use one ``data:``
    line per line, so a client's decoder re-joins them to the original string."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    lines = [] if event is None else [f"event: {event}"]
    lines.extend(f"data: {line}" for line in payload.split("\n"))
    return ("\n".join(lines) + "\n\n").encode()


DONE = encode("[DONE]")
