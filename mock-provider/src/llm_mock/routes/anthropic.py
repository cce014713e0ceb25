"""Anthropic's wire protocol: messages (prompt caching, thinking, tool use), count_tokens, complete."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .. import sse, tokens
from ..exchange import ApiError, Call, Frame, Reply, StreamReply
from ..registry import Protocol, register

_ERRORS: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


def error_reply(status: int, message: str, param: str | None = None) -> Reply:
    kind = _ERRORS.get(status, "invalid_request_error" if status < 500 else "api_error")
    return Reply({"type": "error", "error": {"type": kind, "message": message}}, status=status)


class PromptCache:
    """Texts of ``cache_control`` blocks this server has seen; the first sighting writes, later ones read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def touch(self, text: str) -> bool:
        """Marks ``text`` as cached; returns whether it already was."""
        with self._lock:
            hit = text in self._seen
            self._seen.add(text)
            return hit

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


@dataclass
class _InputText:
    text: str
    cacheable: bool


def _block_texts(content: Any, inherited_cache: bool = False) -> Iterator[_InputText]:
    if isinstance(content, str):
        yield _InputText(content, inherited_cache)
        return
    if not isinstance(content, list):
        return
    for block in content:
        if not isinstance(block, dict):
            continue
        cacheable = inherited_cache or isinstance(block.get("cache_control"), dict)
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            yield _InputText(block["text"], cacheable)
        elif block.get("type") == "tool_result":
            yield from _block_texts(block.get("content"), cacheable)


def _input_texts(body: dict[str, Any]) -> list[_InputText]:
    system = body.get("system")
    # A plain-string system prompt cannot carry cache_control.
    texts = [_InputText(system, False)] if isinstance(system, str) else list(_block_texts(system))
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            texts.extend(_block_texts(message.get("content")))
    return texts


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                parts = [b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text"]
                return " ".join(p for p in parts if isinstance(p, str))
    return ""


def _account_input(call: Call, texts: list[_InputText]) -> dict[str, int]:
    mode = (call.header("x-mock-cache") or "").strip().lower()
    if mode not in ("", "read", "write", "none"):
        raise ApiError(400, f"x-mock-cache must be read, write or none, got {mode!r}")
    cache: PromptCache = call.state.prompt_cache
    usage = {"input_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    for item in texts:
        count = tokens.count_tokens(item.text)
        if not item.cacheable or mode == "none":
            usage["input_tokens"] += count
            continue
        hit = cache.touch(item.text)
        if mode == "read" or (mode == "" and hit):
            usage["cache_read_input_tokens"] += count
        else:
            usage["cache_creation_input_tokens"] += count
    return usage


def _validate(call: Call) -> tuple[dict[str, Any], str, list[Any]]:
    body = call.body_dict()
    model = call.require("model", str)
    messages = call.require("messages", list)
    call.require("max_tokens", int)
    return body, model, messages


def _thinking_enabled(body: dict[str, Any]) -> bool:
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") not in (None, "disabled")


def messages(call: Call) -> Reply | StreamReply:
    body, model, history = _validate(call)
    usage = _account_input(call, _input_texts(body))
    last_user = _last_user_text(history)
    blocks: list[dict[str, Any]] = []
    output_tokens = 0
    if _thinking_enabled(body):
        thought = tokens.thinking_text(last_user)
        blocks.append({"type": "thinking", "thinking": thought, "signature": f"sig_mock_{call.number}"})
        output_tokens += tokens.count_tokens(thought)
    tool = call.tool_call_name()
    if tool:
        arguments = tokens.tool_arguments(last_user)
        blocks.append(
            {
                "type": "tool_use",
                "id": f"toolu_mock_{call.number}",
                "name": tool,
                "input": {"query": last_user},
            }
        )
        output_tokens += tokens.count_tokens(arguments)
        stop_reason = "tool_use"
    else:
        output_format = body.get("output_format") or (body.get("output_config") or {}).get("format")
        text = call.reply_text(last_user, json_answer=isinstance(output_format, dict))
        text, truncated = tokens.truncate(text, body["max_tokens"])
        blocks.append({"type": "text", "text": text})
        output_tokens += tokens.count_tokens(text)
        stop_reason = "max_tokens" if truncated else "end_turn"
    usage["output_tokens"] = output_tokens
    usage["cache_creation"] = {
        "ephemeral_5m_input_tokens": usage["cache_creation_input_tokens"],
        "ephemeral_1h_input_tokens": 0,
    }
    usage["service_tier"] = "standard"
    message = {
        "id": f"msg_mock_{call.number}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }
    if body.get("stream") is True:
        return StreamReply(list(_message_frames(message)))
    return Reply(message, output_tokens=output_tokens)


def _message_frames(message: dict[str, Any]) -> Iterator[Frame]:
    def event(kind: str, token: bool = False, **fields: Any) -> Frame:
        return Frame(sse.encode({"type": kind, **fields}, event=kind), token)

    usage = message["usage"]
    start_usage = {**usage, "output_tokens": 1}
    yield event(
        "message_start", message={**message, "content": [], "stop_reason": None, "usage": start_usage}
    )
    yield event("ping")
    for index, block in enumerate(message["content"]):
        kind = block["type"]
        if kind == "thinking":
            yield event(
                "content_block_start", index=index, content_block={**block, "thinking": "", "signature": ""}
            )
            for piece in tokens.stream_pieces(block["thinking"]):
                yield event(
                    "content_block_delta",
                    True,
                    index=index,
                    delta={"type": "thinking_delta", "thinking": piece},
                )
            signature = {"type": "signature_delta", "signature": block["signature"]}
            yield event("content_block_delta", index=index, delta=signature)
        elif kind == "tool_use":
            yield event("content_block_start", index=index, content_block={**block, "input": {}})
            for piece in tokens.split_in_two(tokens.tool_arguments(block["input"]["query"])):
                delta = {"type": "input_json_delta", "partial_json": piece}
                yield event("content_block_delta", True, index=index, delta=delta)
        else:
            yield event("content_block_start", index=index, content_block={**block, "text": ""})
            for piece in tokens.stream_pieces(block["text"]):
                yield event(
                    "content_block_delta", True, index=index, delta={"type": "text_delta", "text": piece}
                )
        yield event("content_block_stop", index=index)
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    yield event("message_delta", delta=delta, usage={"output_tokens": usage["output_tokens"]})
    yield event("message_stop")


def count_tokens(call: Call) -> Reply:
    call.require("messages", list)
    return Reply({"input_tokens": tokens.sum_tokens(t.text for t in _input_texts(call.body_dict()))})


# --- legacy text completions ------------------------------------------------------------------------------

HUMAN_PROMPT = "\n\nHuman:"
AI_PROMPT = "\n\nAssistant:"


def complete(call: Call) -> Reply | StreamReply:
    body = call.body_dict()
    model = call.require("model", str)
    prompt = call.require("prompt", str)
    limit = call.require("max_tokens_to_sample", int)
    human = prompt.rsplit(HUMAN_PROMPT, 1)[-1].split(AI_PROMPT, 1)[0]
    text, truncated = tokens.truncate(call.reply_text(human), limit)
    stop_reason = "max_tokens" if truncated else "stop_sequence"
    stop = None if truncated else HUMAN_PROMPT
    header = {"type": "completion", "id": f"compl_mock_{call.number}", "model": model}
    if body.get("stream") is True:
        frames = [
            Frame(
                sse.encode({**header, "completion": " " + word, "stop_reason": None}, event="completion"),
                True,
            )
            for word in text.split()
        ]
        final = {**header, "completion": "", "stop_reason": stop_reason, "stop": stop}
        frames.append(Frame(sse.encode(final, event="completion")))
        return StreamReply(frames)
    completion = " " + text if text else ""
    result = {
        **header,
        "completion": completion,
        "stop_reason": stop_reason,
        "stop": stop,
        "log_id": header["id"],
    }
    return Reply(result, output_tokens=tokens.count_tokens(text))


def owns(path: str, headers: dict[str, str]) -> bool:
    """Unrouted requests that get errors in the Anthropic format."""
    return path.startswith(("/v1/messages", "/v1/complete")) or "anthropic-version" in headers


PROTOCOL = register(
    Protocol(
        "anthropic",
        error_reply=error_reply,
        request_id_header="request-id",
        owns=owns,
        state={"prompt_cache": PromptCache},
    )
)
PROTOCOL.add("POST", "/v1/messages", messages)
PROTOCOL.add("POST", "/v1/messages/count_tokens", count_tokens)
PROTOCOL.add("POST", "/v1/complete", complete)
