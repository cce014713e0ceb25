"""Canned responses for the Cohere v2 and Ollama rows: one chat each, answered by an in-process transport.

Imported by `canned` (which dispatches these workloads here); imports the SDKs only when a row runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

COHERE_MODEL = "command-r"
OLLAMA_MODEL = "llama3.2"
# workload -> the provider it needs (as the setups name them)
PROVIDER = {"cohere_chat": "cohere", "ollama_chat": "ollama"}


def cohere_chat_body(reply: str) -> bytes:
    usage = {"input_tokens": 31, "output_tokens": 16}
    body = {
        "id": "chat-bench",
        "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [{"type": "text", "text": reply}]},
        "usage": {"billed_units": usage, "tokens": {"input_tokens": 38, "output_tokens": 16}},
    }
    return json.dumps(body).encode()


def ollama_chat_body(reply: str) -> bytes:
    body = {
        "model": OLLAMA_MODEL,
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": reply},
        "done": True,
        "done_reason": "stop",
        "total_duration": 5_000_000,
        "prompt_eval_count": 31,
        "eval_count": 16,
    }
    return json.dumps(body).encode()


def _transport(body: bytes) -> Any:
    import httpx

    headers = {"content-type": "application/json", "x-request-id": "req_bench"}
    return httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, content=body))


def make_call(workload: str, messages: list[dict[str, str]], reply: str) -> Callable[[], Any]:
    """A function making one `workload` call on a fresh client."""
    import httpx

    if workload == "cohere_chat":
        import cohere

        client = cohere.ClientV2(
            api_key="bench", base_url="https://api.cohere.com",
            httpx_client=httpx.Client(transport=_transport(cohere_chat_body(reply))),
        )  # fmt: skip
        # Through the class: ClientV2 binds `chat` to each instance when it is made, which would keep the
        # bench's bare rounds instrumented (toggle.py swaps class attributes).
        cls = type(client)
        return lambda: cls.chat(client, model=COHERE_MODEL, messages=messages)
    if workload == "ollama_chat":
        import ollama

        local = ollama.Client(host="http://127.0.0.1:11434", transport=_transport(ollama_chat_body(reply)))
        return lambda: local.chat(OLLAMA_MODEL, messages)
    raise ValueError(f"unknown workload {workload!r}")
