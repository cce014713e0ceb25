"""OpenAI-compatible routes: chat completions, legacy completions, embeddings, responses, images."""

from __future__ import annotations

import base64
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from . import sse, tokens
from .exchange import ApiError, Call, Frame, Reply, StreamReply

REQUEST_ID_HEADER = "x-request-id"
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


def _content_texts(content: Any) -> list[str]:
    """Texts of a message content: a string, or the ``text`` of each part of a list."""
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [
            part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
    return []


def _last_user_text(items: list[Any]) -> str:
    for item in reversed(items):
        if isinstance(item, dict) and item.get("role") == "user":
            return " ".join(_content_texts(item.get("content")))
    return ""


def _token_ids_text(ids: list[Any]) -> str:
    """A token-id prompt is treated as the text of its ids joined by spaces (one token per id)."""
    return " ".join(str(i) for i in ids)


def _is_token_ids(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in value)


def _json_format(fmt: Any) -> bool:
    return isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema")


def _usage(prompt: int, completion: int, call: Call) -> dict[str, Any]:
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


def _stream_options(call: Call) -> bool:
    options = call.body_dict().get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _n(call: Call) -> int:
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
    n = _n(call)
    prompt_tokens = tokens.sum_tokens(
        t for m in messages if isinstance(m, dict) for t in _content_texts(m.get("content"))
    )
    last_user = _last_user_text(messages)
    tool = call.tool_call_name()
    completion_id = f"chatcmpl-mock-{call.number}"
    tool_call_id = f"call_mock_{call.number}"
    if tool:
        text = tokens.tool_arguments(last_user)
        finish = "tool_calls"
    else:
        text = call.reply_text(last_user, json_answer=_json_format(body.get("response_format")))
        text, truncated = tokens.truncate(text, call.optional_int("max_completion_tokens", "max_tokens"))
        finish = "length" if truncated else "stop"
    per_choice = tokens.count_tokens(text)
    usage = _usage(prompt_tokens, per_choice * n + call.int_header("x-mock-reasoning-tokens"), call)
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
    include_usage = _stream_options(call)

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
    if isinstance(prompt, str) or _is_token_ids(prompt):
        prompts = [prompt]
    elif isinstance(prompt, list) and prompt and all(isinstance(p, str) or _is_token_ids(p) for p in prompt):
        prompts = prompt
    else:
        raise ApiError(400, "'prompt' must be a string, a list of strings or token arrays.", param="prompt")
    texts = [p if isinstance(p, str) else _token_ids_text(p) for p in prompts]
    n = _n(call)
    limit = call.optional_int("max_tokens")
    replies = []
    for text in texts:
        reply, truncated = tokens.truncate(call.reply_text(text), limit)
        replies.append((reply, "length" if truncated else "stop"))
    choices = [(reply, finish) for reply, finish in replies for _ in range(n)]
    completion_tokens = sum(tokens.count_tokens(r) for r, _ in choices) + call.int_header(
        "x-mock-reasoning-tokens"
    )
    usage = _usage(tokens.sum_tokens(texts), completion_tokens, call)
    header = {
        "id": f"cmpl-mock-{call.number}",
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    if body.get("stream") is True:
        return StreamReply(list(_completion_frames(header, choices, usage, _stream_options(call))))
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


# --- embeddings -------------------------------------------------------------------------------------------


def embeddings(call: Call) -> Reply:
    body = call.body_dict()
    model = call.require("model", str)
    raw = body.get("input")
    if isinstance(raw, str) or (_is_token_ids(raw) and raw):
        inputs = [raw]
    elif isinstance(raw, list) and raw and all(isinstance(i, str) or _is_token_ids(i) for i in raw):
        inputs = raw
    else:
        raise ApiError(
            400, "'input' must be a non-empty string, list of strings or token arrays.", param="input"
        )
    dimensions = call.optional_int("dimensions")
    if dimensions is None:
        dimensions = tokens.DEFAULT_EMBEDDING_DIMENSIONS
    if dimensions < 1 or dimensions > 4096:
        raise ApiError(400, "'dimensions' must be between 1 and 4096.", param="dimensions")
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise ApiError(400, f"Invalid encoding_format {encoding!r}.", param="encoding_format")
    data = []
    texts = []
    for index, item in enumerate(inputs):
        text = item if isinstance(item, str) else _token_ids_text(item)
        texts.append(text)
        vector = tokens.embedding_vector(text, dimensions)
        encoded: Any = vector
        if encoding == "base64":
            encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    used = tokens.sum_tokens(texts)
    return Reply(
        {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": used, "total_tokens": used},
        }
    )


# --- responses --------------------------------------------------------------------------------------------


def _responses_input(body: dict[str, Any]) -> tuple[list[str], str]:
    """(texts that count as input tokens, last user text)."""
    texts: list[str] = []
    instructions = body.get("instructions")
    if isinstance(instructions, str):
        texts.append(instructions)
    raw = body.get("input")
    if isinstance(raw, str):
        texts.append(raw)
        return texts, raw
    if not isinstance(raw, list):
        raise ApiError(400, "'input' must be a string or a list of input items.", param="input")
    for item in raw:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "function_call_output" and isinstance(item.get("output"), str):
            texts.append(item["output"])
        else:
            texts.extend(_content_texts(item.get("content")))
    return texts, _last_user_text(raw)


def _response_object(call: Call, status: str, output: list[Any], usage: Any) -> dict[str, Any]:
    body = call.body_dict()
    incomplete = {"reason": "max_output_tokens"} if status == "incomplete" else None
    return {
        "id": f"resp_mock_{call.number}",
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": incomplete,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "metadata": body.get("metadata") or {},
        "model": body["model"],
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": body.get("service_tier") or "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": usage,
        "user": body.get("user"),
    }


def responses(call: Call) -> Reply | StreamReply:
    body = call.body_dict()
    call.require("model", str)
    texts, last_user = _responses_input(body)
    input_tokens = tokens.sum_tokens(texts)
    tool = call.tool_call_name()
    text_config = body.get("text")
    json_answer = isinstance(text_config, dict) and _json_format(text_config.get("format"))
    status = "completed"
    if tool:
        text = tokens.tool_arguments(last_user)
        item: dict[str, Any] = {
            "id": f"fc_mock_{call.number}",
            "type": "function_call",
            "status": "completed",
            "call_id": f"call_mock_{call.number}",
            "name": tool,
            "arguments": text,
        }
    else:
        text = call.reply_text(last_user, json_answer=json_answer)
        text, truncated = tokens.truncate(text, call.optional_int("max_output_tokens"))
        status = "incomplete" if truncated else "completed"
        part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
        item = {
            "id": f"msg_mock_{call.number}",
            "type": "message",
            "status": status,
            "role": "assistant",
            "content": [part],
        }
    reasoning = call.int_header("x-mock-reasoning-tokens")
    output_tokens = tokens.count_tokens(text) + reasoning
    usage = {
        "input_tokens": input_tokens,
        "input_tokens_details": {
            "cached_tokens": call.int_header("x-mock-cached-tokens"),
            "cache_write_tokens": 0,
        },
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    }
    final = _response_object(call, status, [item], usage)
    if body.get("stream") is True:
        return StreamReply(list(_responses_frames(call, final, item, text)))
    return Reply(final, output_tokens=tokens.count_tokens(text))


def _responses_frames(call: Call, final: dict[str, Any], item: dict[str, Any], text: str) -> Iterator[Frame]:
    sequence = 0

    def event(kind: str, token: bool = False, **fields: Any) -> Frame:
        nonlocal sequence
        frame = Frame(sse.encode({"type": kind, "sequence_number": sequence, **fields}, event=kind), token)
        sequence += 1
        return frame

    pending = _response_object(call, "in_progress", [], None)
    yield event("response.created", response=pending)
    yield event("response.in_progress", response=pending)
    where = {"item_id": item["id"], "output_index": 0}
    if item["type"] == "function_call":
        yield event(
            "response.output_item.added",
            output_index=0,
            item={**item, "arguments": "", "status": "in_progress"},
        )
        for piece in tokens.split_in_two(text):
            yield event("response.function_call_arguments.delta", token=True, delta=piece, **where)
        yield event("response.function_call_arguments.done", arguments=text, name=item["name"], **where)
    else:
        part = item["content"][0]
        yield event(
            "response.output_item.added",
            output_index=0,
            item={**item, "status": "in_progress", "content": []},
        )
        empty_part = {**part, "text": ""}
        yield event("response.content_part.added", content_index=0, part=empty_part, **where)
        for piece in tokens.stream_pieces(text):
            yield event(
                "response.output_text.delta", token=True, content_index=0, delta=piece, logprobs=[], **where
            )
        yield event("response.output_text.done", content_index=0, text=text, logprobs=[], **where)
        yield event("response.content_part.done", content_index=0, part=part, **where)
    yield event("response.output_item.done", output_index=0, item=item)
    yield event(f"response.{final['status']}", response=final)


# --- images -----------------------------------------------------------------------------------------------

IMAGE_OUTPUT_TOKENS = 16
"""Output tokens reported per generated image."""


def _tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\x7f\x7f\x7f")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


TINY_PNG = _tiny_png()
TINY_PNG_B64 = base64.b64encode(TINY_PNG).decode()


def images_generations(call: Call) -> Reply:
    body = call.body_dict()
    prompt = call.require("prompt", str)
    n = _n(call)
    url_format = body.get("response_format") == "url"
    data = [
        {"url": f"{call.base_url}/v1/mock-images/{call.number}-{i}.png"}
        if url_format
        else {"b64_json": TINY_PNG_B64}
        for i in range(n)
    ]
    for entry in data:
        entry["revised_prompt"] = prompt
    prompt_tokens = tokens.count_tokens(prompt)
    output_tokens = IMAGE_OUTPUT_TOKENS * n
    usage = {
        "input_tokens": prompt_tokens,
        "input_tokens_details": {"text_tokens": prompt_tokens, "image_tokens": 0},
        "output_tokens": output_tokens,
        "total_tokens": prompt_tokens + output_tokens,
    }
    return Reply({"created": int(time.time()), "data": data, "usage": usage})


def image_file(call: Call) -> Reply:
    return Reply(TINY_PNG, content_type="image/png")


def health(call: Call) -> Reply:
    return Reply({"status": "ok"})


ROUTES: dict[tuple[str, str], Callable[[Call], Reply | StreamReply]] = {
    ("POST", "/v1/chat/completions"): chat_completions,
    ("POST", "/v1/completions"): completions,
    ("POST", "/v1/embeddings"): embeddings,
    ("POST", "/v1/responses"): responses,
    ("POST", "/v1/images/generations"): images_generations,
    ("GET", "/health"): health,
}
PREFIX_ROUTES: dict[tuple[str, str], Callable[[Call], Reply | StreamReply]] = {
    ("GET", "/v1/mock-images/"): image_file,
}
