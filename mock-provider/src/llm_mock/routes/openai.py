"""OpenAI's wire protocol: chat completions and legacy completions, and the readers other
OpenAI-shaped protocols reuse (message texts, usage, ``n``). Responses, embeddings and images are in
``openai_responses`` and ``openai_media``.

``openai_compatible(name, base_path)`` registers the same chat, completions and embeddings routes
for an OpenAI-compatible provider under its own path (Groq serves them under ``/openai/v1``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from .. import sse, tokens
from ..exchange import ApiError, Call, Frame, Reply, StreamReply
from ..registry import Protocol, register

SYSTEM_FINGERPRINT = "fp_mock"

# status -> (type, code); types follow the contract of this package's README.
_ERRORS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "unknown_url"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", "service_unavailable"),
}


def error_reply(status: int, message: str, param: str | None = None) -> Reply:
    kind, code = _ERRORS.get(status, ("invalid_request_error" if status < 500 else "server_error", None))
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return Reply(body, status=status)


def content_texts(content: Any) -> list[str]:
    """Texts of a message content: a string, or the ``text`` of each part of a list."""
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [
            part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
    return []


def last_user_text(items: list[Any]) -> str:
    for item in reversed(items):
        if isinstance(item, dict) and item.get("role") == "user":
            return " ".join(content_texts(item.get("content")))
    return ""


def token_ids_text(ids: list[Any]) -> str:
    """A token-id prompt is treated as the text of its ids joined by spaces (one token per id)."""
    return " ".join(str(i) for i in ids)


def is_token_ids(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in value)


def json_format(fmt: Any) -> bool:
    return isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema")


def chat_usage(prompt: int, completion: int, call: Call) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {
            "cached_tokens": call.int_header("x-mock-cached-tokens"),
            "audio_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": call.int_header("x-mock-reasoning-tokens"),
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def wants_stream_usage(call: Call) -> bool:
    options = call.body_dict().get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def choice_count(call: Call) -> int:
    n = call.optional_int("n")
    if n is None:
        return 1
    if n < 1 or n > 128:
        raise ApiError(400, f"{n} is not a valid value for 'n': expected 1..128.", param="n")
    return n


# --- chat completions -------------------------------------------------------------------------------------


def chat_completions(call: Call) -> Reply | StreamReply:
    body = call.body_dict()
    model = call.require("model", str)
    messages = call.require("messages", list)
    n = choice_count(call)
    prompt_tokens = tokens.sum_tokens(
        t for m in messages if isinstance(m, dict) for t in content_texts(m.get("content"))
    )
    last_user = last_user_text(messages)
    tool = call.tool_call_name()
    completion_id = f"chatcmpl-mock-{call.number}"
    tool_call_id = f"call_mock_{call.number}"
    if tool:
        text = tokens.tool_arguments(last_user)
        finish = "tool_calls"
    else:
        text = call.reply_text(last_user, json_answer=json_format(body.get("response_format")))
        text, truncated = tokens.truncate(text, call.optional_int("max_completion_tokens", "max_tokens"))
        finish = "length" if truncated else "stop"
    per_choice = tokens.count_tokens(text)
    usage = chat_usage(prompt_tokens, per_choice * n + call.int_header("x-mock-reasoning-tokens"), call)
    header = {
        "id": completion_id,
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "service_tier": body.get("service_tier") or "default",
    }

    if body.get("stream") is True:
        return StreamReply(list(_chat_frames(header, text, tool, tool_call_id, finish, n, usage, call)))

    message: dict[str, Any] = {"role": "assistant", "content": None if tool else text, "refusal": None}
    message["annotations"] = []
    if tool:
        message["tool_calls"] = [
            {"id": tool_call_id, "type": "function", "function": {"name": tool, "arguments": text}}
        ]
    choices = [{"index": i, "message": message, "logprobs": None, "finish_reason": finish} for i in range(n)]
    result = {**header, "object": "chat.completion", "choices": choices, "usage": usage}
    return Reply(result, output_tokens=per_choice)


def _chat_frames(
    header: dict[str, Any],
    text: str,
    tool: str | None,
    tool_call_id: str,
    finish: str,
    n: int,
    usage: dict[str, Any],
    call: Call,
) -> Iterator[Frame]:
    include_usage = wants_stream_usage(call)

    def chunk(index: int, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        data: dict[str, Any] = {**header, "object": "chat.completion.chunk"}
        data["choices"] = [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
        if include_usage:
            data["usage"] = None
        return sse.encode(data)

    if tool:
        for i in range(n):
            first = {
                "index": 0,
                "id": tool_call_id,
                "type": "function",
                "function": {"name": tool, "arguments": ""},
            }
            yield Frame(chunk(i, {"role": "assistant", "content": None, "tool_calls": [first]}))
        for piece in tokens.split_in_two(text):
            for i in range(n):
                delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
                yield Frame(chunk(i, delta), token=True)
    else:
        for i in range(n):
            yield Frame(chunk(i, {"role": "assistant", "content": "", "refusal": None}))
        for piece in tokens.stream_pieces(text):
            for i in range(n):
                yield Frame(chunk(i, {"content": piece}), token=True)
    for i in range(n):
        yield Frame(chunk(i, {}, finish))
    if include_usage:
        yield Frame(sse.encode({**header, "object": "chat.completion.chunk", "choices": [], "usage": usage}))
    yield Frame(sse.DONE)


# --- legacy completions -----------------------------------------------------------------------------------


def completions(call: Call) -> Reply | StreamReply:
    body = call.body_dict()
    model = call.require("model", str)
    prompt = body.get("prompt")
    if isinstance(prompt, str) or is_token_ids(prompt):
        prompts = [prompt]
    elif isinstance(prompt, list) and prompt and all(isinstance(p, str) or is_token_ids(p) for p in prompt):
        prompts = prompt
    else:
        raise ApiError(400, "'prompt' must be a string, a list of strings or token arrays.", param="prompt")
    texts = [p if isinstance(p, str) else token_ids_text(p) for p in prompts]
    n = choice_count(call)
    limit = call.optional_int("max_tokens")
    replies = []
    for text in texts:
        reply, truncated = tokens.truncate(call.reply_text(text), limit)
        replies.append((reply, "length" if truncated else "stop"))
    choices = [(reply, finish) for reply, finish in replies for _ in range(n)]
    completion_tokens = sum(tokens.count_tokens(r) for r, _ in choices) + call.int_header(
        "x-mock-reasoning-tokens"
    )
    usage = chat_usage(tokens.sum_tokens(texts), completion_tokens, call)
    header = {
        "id": f"cmpl-mock-{call.number}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    if body.get("stream") is True:
        return StreamReply(list(_completion_frames(header, choices, usage, wants_stream_usage(call))))
    result = {
        **header,
        "choices": [
            {"index": i, "text": reply, "logprobs": None, "finish_reason": finish}
            for i, (reply, finish) in enumerate(choices)
        ],
        "usage": usage,
    }
    return Reply(result, output_tokens=max(tokens.count_tokens(r) for r, _ in choices))


def _completion_frames(
    header: dict[str, Any], choices: list[tuple[str, str]], usage: dict[str, Any], include_usage: bool
) -> Iterator[Frame]:
    def chunk(index: int, text: str, finish: str | None) -> bytes:
        choice = {"index": index, "text": text, "logprobs": None, "finish_reason": finish}
        data = {**header, "choices": [choice]}
        if include_usage:
            data["usage"] = None
        return sse.encode(data)

    for index, (reply, _) in enumerate(choices):
        for piece in tokens.stream_pieces(reply):
            yield Frame(chunk(index, piece, None), token=True)
    for index, (_, finish) in enumerate(choices):
        yield Frame(chunk(index, "", finish))
    if include_usage:
        yield Frame(sse.encode({**header, "choices": [], "usage": usage}))
    yield Frame(sse.DONE)


def health(call: Call) -> Reply:
    return Reply({"status": "ok"})


PROTOCOL = register(
    Protocol("openai", error_reply=error_reply, request_id_header="x-request-id", base_path="/v1")
)
PROTOCOL.add("POST", "/v1/chat/completions", chat_completions)
PROTOCOL.add("POST", "/v1/completions", completions)
PROTOCOL.add("GET", "/health", health)


def openai_compatible(name: str, base_path: str, *, request_id_header: str = "x-request-id") -> Protocol:
    """A protocol answering OpenAI's chat, completions and embeddings under ``base_path``."""
    from .openai_media import embeddings

    compatible = register(
        Protocol(name, error_reply=error_reply, request_id_header=request_id_header, base_path=base_path)
    )
    compatible.add("POST", base_path + "/chat/completions", chat_completions)
    compatible.add("POST", base_path + "/completions", completions)
    compatible.add("POST", base_path + "/embeddings", embeddings)
    return compatible
