"""Variants of OpenAI's routes for OpenAI-shaped providers (Groq, Together, Mistral).

`variant(route, shape)` runs an OpenAI route and reshapes what it answers the way the provider does:
a stream's usage moves onto its last chunk (the one with `finish_reason`), and `shape` edits each
response object or chunk (the provider's own fields, usage without token details, ...). Registers
no protocol of its own.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from .. import sse
from ..exchange import Call, Frame, Reply, StreamReply

Route = Callable[[Call], "Reply | StreamReply"]
Shape = Callable[[Call, dict[str, Any], bool], None]
"""Reshapes one response object or chunk: (call, data, is the chunk that carries the usage)."""


def _with_usage_requested(call: Call) -> Call:
    body = {**call.body_dict(), "stream_options": {"include_usage": True}}
    return dataclasses.replace(call, body=body)


def _decode(frame: Frame) -> dict[str, Any] | None:
    if frame.data == sse.DONE:
        return None
    return json.loads(frame.data.decode().removeprefix("data: "))


def _restream(call: Call, reply: StreamReply, shape: Shape, keep_usage_chunk: bool) -> StreamReply:
    """Copy the usage chunk's usage onto the last chunk with a finish reason, then reshape each chunk."""
    decoded = [(frame, _decode(frame)) for frame in reply.frames]
    usage = next((d["usage"] for _, d in decoded if d and d.get("usage") and not d["choices"]), None)
    last = max(
        (i for i, (_, d) in enumerate(decoded) if d and any(c.get("finish_reason") for c in d["choices"])),
        default=-1,
    )
    frames = []
    for i, (frame, data) in enumerate(decoded):
        if data is None:
            frames.append(frame)
            continue
        if not data["choices"] and not keep_usage_chunk:  # the separate usage chunk
            continue
        if i == last and usage is not None:
            data["usage"] = dict(usage)
        elif not keep_usage_chunk:
            data.pop("usage", None)
        shape(call, data, i == last)
        frames.append(Frame(sse.encode(data), token=frame.token))
    return StreamReply(frames, reply.headers)


def variant(route: Route, shape: Shape) -> Route:
    def handle(call: Call) -> Reply | StreamReply:
        body = call.body_dict()
        if body.get("stream") is not True:
            reply = route(call)
            if isinstance(reply, Reply) and isinstance(reply.body, dict) and reply.status < 400:
                shape(call, reply.body, False)
            return reply
        options = body.get("stream_options")
        asked = isinstance(options, dict) and options.get("include_usage") is True
        reply = route(_with_usage_requested(call))
        if not isinstance(reply, StreamReply):
            return reply
        return _restream(call, reply, shape, keep_usage_chunk=asked)

    return handle


PLAIN_USAGE = ("prompt_tokens", "completion_tokens", "total_tokens")


def plain_usage(data: dict[str, Any]) -> None:
    """Usage as most OpenAI-shaped providers report it: no token details."""
    usage = data.get("usage")
    if isinstance(usage, dict):
        data["usage"] = {k: usage[k] for k in PLAIN_USAGE if k in usage}
