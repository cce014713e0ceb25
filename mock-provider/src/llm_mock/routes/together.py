"""Together's OpenAI-shaped protocol, served under `/together/v1` here (api.together.ai serves `/v1`).

together 3.x adds `/v1` to its base URL itself (`base_url("together")`); 1.x and 2.x are given the
`/v1` too. A stream's last chunk carries `usage` without `stream_options`; legacy completions are
`object: text.completion` / `completion.chunk`; usage has no token details.
"""

from __future__ import annotations

from typing import Any

from ..exchange import Call
from ..registry import Protocol, register
from .openai import chat_completions, completions, error_reply
from .openai_media import embeddings
from .openai_variants import plain_usage, variant


def _together(call: Call, data: dict[str, Any], final: bool) -> None:
    if data.get("object") == "text_completion":  # Together's own names
        data["object"] = "completion.chunk" if call.body_dict().get("stream") is True else "text.completion"
    data.pop("system_fingerprint", None)
    data.pop("service_tier", None)
    plain_usage(data)


PROTOCOL = register(Protocol("together", error_reply=error_reply, base_path="/together"))
PROTOCOL.add("POST", "/together/v1/chat/completions", variant(chat_completions, _together))
PROTOCOL.add("POST", "/together/v1/completions", variant(completions, _together))
PROTOCOL.add("POST", "/together/v1/embeddings", embeddings)
