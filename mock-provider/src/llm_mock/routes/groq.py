"""Groq's OpenAI-shaped protocol under `/openai/v1` (the groq SDK's base URL is the host root).

Every response carries `x_groq.id`, and usage has Groq's timing fields. A stream's last chunk (the
one with `finish_reason`) carries the usage in `x_groq.usage` and has no top-level `usage`;
`stream_options.include_usage` (sent through `extra_body`) adds OpenAI's usage chunk as well.
"""

from __future__ import annotations

from typing import Any

from ..exchange import Call
from ..registry import Protocol, register
from .openai import chat_completions, error_reply
from .openai_media import embeddings
from .openai_variants import variant

TIMES = {"queue_time": 0.001, "prompt_time": 0.002, "completion_time": 0.003, "total_time": 0.006}


def _groq(call: Call, data: dict[str, Any], final: bool) -> None:
    data.pop("service_tier", None)
    usage = data.get("usage")
    if isinstance(usage, dict):
        usage.update(TIMES)
    is_chunk = data.get("object") == "chat.completion.chunk"
    if not is_chunk or final:
        data["x_groq"] = {"id": f"req_mock_{call.number}"}
    if is_chunk and final:
        data["x_groq"]["usage"] = data.pop("usage", None)


PROTOCOL = register(Protocol("groq", error_reply=error_reply, base_path=""))
PROTOCOL.add("POST", "/openai/v1/chat/completions", variant(chat_completions, _groq))
PROTOCOL.add("POST", "/openai/v1/embeddings", variant(embeddings, _groq))
