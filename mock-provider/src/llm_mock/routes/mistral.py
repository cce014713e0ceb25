"""Mistral's OpenAI-shaped protocol, served under `/mistral/v1` here (the SDK's `server_url` is
`base_url("mistral")`; it adds `/v1` itself).

A stream's last chunk carries `usage` (no token details); no `n`. Fill in the middle counts `prompt`
and `suffix` as input and replies `Mock reply: <prompt>`; embeddings take `output_dimension`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..exchange import ApiError, Call, Reply, StreamReply
from ..registry import Protocol, register
from .openai import chat_completions, error_reply
from .openai_media import embeddings
from .openai_variants import plain_usage, variant


def _mistral(call: Call, data: dict[str, Any], final: bool) -> None:
    data.pop("system_fingerprint", None)
    data.pop("service_tier", None)
    plain_usage(data)
    for choice in data.get("choices") or ():
        choice.pop("logprobs", None)
        for part in ("message", "delta"):
            if isinstance(choice.get(part), dict):
                choice[part].pop("refusal", None)
                choice[part].pop("annotations", None)


def chat(call: Call) -> Reply | StreamReply:
    if call.body_dict().get("n") not in (None, 1):
        raise ApiError(400, "Mistral does not accept 'n'.", param="n")
    return chat_completions(call)


def fim(call: Call) -> Reply | StreamReply:
    body = call.body_dict()
    prompt = call.require("prompt", str)
    suffix = body.get("suffix")
    messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
    if isinstance(suffix, str) and suffix:
        messages.insert(0, {"role": "system", "content": suffix})  # counted, never replied to
    rest = {k: v for k, v in body.items() if k not in ("prompt", "suffix", "min_tokens")}
    return chat_completions(dataclasses.replace(call, body={**rest, "messages": messages}))


def embed(call: Call) -> Reply | StreamReply:
    body = dict(call.body_dict())
    if "output_dimension" in body:
        body["dimensions"] = body.pop("output_dimension")
    body.pop("output_dtype", None)
    reply = embeddings(dataclasses.replace(call, body=body))
    if isinstance(reply.body, dict) and reply.status < 400:
        reply.body["id"] = f"embd-mock-{call.number}"
        reply.body["usage"] = {**reply.body["usage"], "completion_tokens": 0}
    return reply


PROTOCOL = register(Protocol("mistral", error_reply=error_reply, base_path="/mistral"))
PROTOCOL.add("POST", "/mistral/v1/chat/completions", variant(chat, _mistral))
PROTOCOL.add("POST", "/mistral/v1/fim/completions", variant(fim, _mistral))
PROTOCOL.add("POST", "/mistral/v1/embeddings", embed)
