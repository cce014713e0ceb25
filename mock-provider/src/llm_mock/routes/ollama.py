"""Ollama's native API: ``/api/chat``, ``/api/generate``, ``/api/embed`` and ``/api/embeddings``.

Streams are NDJSON (one JSON object per line, ``stream`` defaults to true as in Ollama); the last
object has ``done: true``, the done reason and the counts. ``prompt_eval_count`` is left out when the
prompt counts as cached (``x-mock-cache: read``), as Ollama does when it evaluated nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .. import tokens
from ..exchange import ApiError, Call, Frame, Reply, StreamReply
from ..registry import Protocol, register
from .openai import content_texts, last_user_text

NDJSON = "application/x-ndjson"
CREATED_AT = "2026-01-01T00:00:00Z"
# Nanosecond durations every final object reports (fixed, so responses are deterministic).
_DURATIONS = {"total_duration": 5_000_000, "load_duration": 1_000_000, "prompt_eval_duration": 1_000_000}


def error_reply(status: int, message: str, param: str | None = None) -> Reply:
    return Reply({"error": message}, status=status)


def _line(obj: dict[str, Any], token: bool = False) -> Frame:
    return Frame((json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode(), token)


def _options(call: Call) -> dict[str, Any]:
    options = call.body_dict().get("options")
    return options if isinstance(options, dict) else {}


def _json_format(body: dict[str, Any]) -> bool:
    fmt = body.get("format")
    return fmt == "json" or isinstance(fmt, dict)


def _final(call: Call, model: str, input_tokens: int, output_tokens: int, reason: str) -> dict[str, Any]:
    final: dict[str, Any] = {"model": model, "created_at": CREATED_AT, "done": True, "done_reason": reason}
    final.update(_DURATIONS)
    if (call.header("x-mock-cache") or "").strip().lower() != "read":
        final["prompt_eval_count"] = input_tokens
    final["eval_count"] = output_tokens
    final["eval_duration"] = 2_000_000
    return final


def _reply(call: Call, last_text: str) -> tuple[str, str]:
    limit = _options(call).get("num_predict")
    text = call.reply_text(last_text, json_answer=_json_format(call.body_dict()))
    text, truncated = tokens.truncate(text, limit if isinstance(limit, int) and limit >= 0 else None)
    return text, "length" if truncated else "stop"


def _streams(call: Call) -> bool:
    return call.body_dict().get("stream", True) is not False


def chat(call: Call) -> Reply | StreamReply:
    model = call.require("model", str)
    messages = call.body_dict().get("messages") or []
    if not isinstance(messages, list):
        raise ApiError(400, "invalid messages")
    input_tokens = tokens.sum_tokens(
        text for m in messages if isinstance(m, dict) for text in content_texts(m.get("content"))
    )
    last = last_user_text(messages)
    tool = call.tool_call_name()
    thinking = tokens.thinking_text(last) if call.body_dict().get("think") else ""
    message: dict[str, Any] = {"role": "assistant", "content": ""}
    if tool:
        arguments = tokens.tool_arguments(last)
        message["tool_calls"] = [{"function": {"name": tool, "arguments": json.loads(arguments)}}]
        text, reason, output = "", "stop", tokens.count_tokens(arguments)
    else:
        text, reason = _reply(call, last)
        output = tokens.count_tokens(text)
    output += tokens.count_tokens(thinking)
    final = _final(call, model, input_tokens, output, reason)
    if not _streams(call):
        message["content"] = text
        if thinking:
            message["thinking"] = thinking
        return Reply(
            {"model": model, "created_at": CREATED_AT, "message": message, **final}, output_tokens=output
        )

    def frames() -> Iterator[Frame]:
        head = {"model": model, "created_at": CREATED_AT}
        for piece in tokens.stream_pieces(thinking):
            yield _line(
                {**head, "message": {"role": "assistant", "content": "", "thinking": piece}, "done": False},
                True,
            )
        if tool:
            yield _line({**head, "message": message, "done": False}, True)
        for piece in tokens.stream_pieces(text):
            yield _line({**head, "message": {"role": "assistant", "content": piece}, "done": False}, True)
        yield _line({**final, "message": {"role": "assistant", "content": ""}})

    return StreamReply(list(frames()), content_type=NDJSON)


def generate(call: Call) -> Reply | StreamReply:
    model = call.require("model", str)
    body = call.body_dict()
    prompt = body.get("prompt") if isinstance(body.get("prompt"), str) else ""
    system = body.get("system") if isinstance(body.get("system"), str) else ""
    text, reason = _reply(call, prompt)
    output = tokens.count_tokens(text)
    final = _final(call, model, tokens.count_tokens(prompt) + tokens.count_tokens(system), output, reason)
    if not _streams(call):
        return Reply({"response": text, **final, "context": [1, 2, 3]}, output_tokens=output)
    head = {"model": model, "created_at": CREATED_AT, "done": False}
    frames = [_line({**head, "response": piece}, True) for piece in tokens.stream_pieces(text)]
    frames.append(_line({**final, "response": "", "context": [1, 2, 3]}))
    return StreamReply(frames, content_type=NDJSON)


def _inputs(call: Call, key: str) -> list[str]:
    value = call.body_dict().get(key)
    texts = [value] if isinstance(value, str) else value if isinstance(value, list) else None
    if texts is None or not all(isinstance(t, str) for t in texts):
        raise ApiError(400, f"invalid {key}")
    return texts


def _dimensions(call: Call) -> int:
    value = call.body_dict().get("dimensions")
    return value if isinstance(value, int) and value > 0 else tokens.DEFAULT_EMBEDDING_DIMENSIONS


def embed(call: Call) -> Reply:
    model = call.require("model", str)
    texts = _inputs(call, "input")
    vectors = [tokens.embedding_vector(text, _dimensions(call)) for text in texts]
    body: dict[str, Any] = {"model": model, "embeddings": vectors, **_DURATIONS}
    body["prompt_eval_count"] = tokens.sum_tokens(texts)
    return Reply(body)


def embeddings(call: Call) -> Reply:
    call.require("model", str)
    (prompt,) = _inputs(call, "prompt")
    return Reply({"embedding": tokens.embedding_vector(prompt, tokens.DEFAULT_EMBEDDING_DIMENSIONS)})


def owns(path: str, headers: dict[str, str]) -> bool:
    return path.startswith("/api/")


PROTOCOL = register(Protocol("ollama", error_reply=error_reply, owns=owns))
PROTOCOL.add("POST", "/api/chat", chat)
PROTOCOL.add("POST", "/api/generate", generate)
PROTOCOL.add("POST", "/api/embed", embed)
PROTOCOL.add("POST", "/api/embeddings", embeddings)
