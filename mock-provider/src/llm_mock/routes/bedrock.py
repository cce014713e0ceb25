"""Amazon Bedrock Runtime's wire protocol: Converse, ConverseStream, InvokeModel and its stream.

Converse and InvokeModel answer JSON; both stream operations answer the AWS event-stream binary
framing (``application/vnd.amazon.eventstream``), which botocore decodes itself. Errors are what
botocore raises: the code in ``x-amzn-errortype`` and ``{"message": ...}`` as the body.

Token counts follow ``llm_mock.tokens``. Converse counts the ``text`` of system and message blocks
(and of ``toolResult`` content); text before a ``cachePoint`` block is cacheable, written on its first
sighting and read afterwards (``x-mock-cache: read|write|none`` forces it). InvokeModel answers in the
body format of the model family its request body has (Claude messages, Nova, Titan text and
embeddings, Llama, Mistral, Cohere), a ``prompt`` body by the family named in the model id, and always
with the ``x-amzn-bedrock-*-token-count`` headers. ``x-mock-guardrail: intervene`` makes the answer a
guardrail intervention; ``x-mock-bedrock-exception: <Code>`` answers that error (``ModelNotReadyException``,
say); ``x-mock-stream-exception: <member>`` ends a stream with that exception event after its first
token.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

from .. import tokens
from ..exchange import ApiError, Call, Frame, Reply, StreamReply
from ..registry import Protocol, register
from .anthropic import PromptCache  # the same first-sighting-writes rule

EVENT_STREAM = "application/vnd.amazon.eventstream"
GUARDRAIL_TEXT = "Sorry, the model cannot answer this question."

ERROR_CODES: dict[int, str] = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
STATUS_OF = {code: status for status, code in ERROR_CODES.items()} | {"ModelNotReadyException": 429}


def error_reply(status: int, message: str, param: str | None = None, code: str | None = None) -> Reply:
    code = code or ERROR_CODES.get(
        status, "ValidationException" if status < 500 else "InternalServerException"
    )
    return Reply({"message": message}, status=status, headers={"x-amzn-errortype": code})


# --- the event-stream framing ---------------------------------------------------------------------------


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack("B", len(raw_name)) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value
    )


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude (lengths and their CRC), headers (strings), payload, CRC."""
    raw_headers = b"".join(_header(name, value) for name, value in headers.items())
    prelude = struct.pack(">II", 16 + len(raw_headers) + len(payload), len(raw_headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + raw_headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event(kind: str, body: dict[str, Any], token: bool = False) -> Frame:
    headers = {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
    return Frame(encode_message(headers, json.dumps(body).encode()), token)


def exception_event(member: str, message: str) -> Frame:
    headers = {":exception-type": member, ":content-type": "application/json", ":message-type": "exception"}
    return Frame(encode_message(headers, json.dumps({"message": message}).encode()))


def chunk(body: dict[str, Any], token: bool = False) -> Frame:
    return event("chunk", {"bytes": base64.b64encode(json.dumps(body).encode()).decode()}, token)


# --- shared -------------------------------------------------------------------------------------------


def cache_split(call: Call, cacheable: str, fresh: int) -> tuple[int, int, int]:
    """(input, cache read, cache write) tokens for a cacheable prefix and the fresh remainder."""
    mode = (call.header("x-mock-cache") or "").strip().lower()
    if mode not in ("", "read", "write", "none"):
        raise ApiError(400, f"x-mock-cache must be read, write or none, got {mode!r}")
    count = tokens.count_tokens(cacheable)
    if not count or mode == "none":
        return fresh + count, 0, 0
    hit = call.state.bedrock_cache.touch(cacheable)
    if mode == "read" or (mode == "" and hit):
        return fresh, count, 0
    return fresh, 0, count


def guarded(call: Call) -> bool:
    return (call.header("x-mock-guardrail") or "").strip().lower() == "intervene"


def forced_exception(call: Call) -> Reply | None:
    code = (call.header("x-mock-bedrock-exception") or "").strip()
    if not code:
        return None
    return error_reply(STATUS_OF.get(code, 400), f"{code} (injected by llm-mock).", code=code)


def answer(call: Call, last_user: str, limit: Any) -> tuple[str, str]:
    """(reply text, stop reason) before any family's own vocabulary."""
    if guarded(call):
        return GUARDRAIL_TEXT, "guardrail_intervened"
    text, truncated = tokens.truncate(call.reply_text(last_user), limit if isinstance(limit, int) else None)
    return text, "max_tokens" if truncated else "end_turn"


# --- Converse -----------------------------------------------------------------------------------------


def _block_texts(blocks: Any) -> list[tuple[str, bool]]:
    """(text, is a cache point) of Converse content blocks; toolResult content counts as text."""
    out: list[tuple[str, bool]] = []
    for block in blocks if isinstance(blocks, list) else ():
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            out.append((block["text"], False))
        elif "cachePoint" in block:
            out.append(("", True))
        elif isinstance(block.get("toolResult"), dict):
            out.extend(_block_texts(block["toolResult"].get("content")))
    return out


def _converse_input(call: Call, body: dict[str, Any]) -> dict[str, int]:
    texts = _block_texts(body.get("system"))
    for message in body.get("messages") or ():
        if isinstance(message, dict):
            texts.extend(_block_texts(message.get("content")))
    last_point = max((i for i, (_, point) in enumerate(texts) if point), default=-1)
    cacheable = " ".join(t for t, _ in texts[:last_point])
    fresh = tokens.sum_tokens(t for t, _ in texts[last_point + 1 :])
    fresh, read, write = cache_split(call, cacheable, fresh)
    usage = {"inputTokens": fresh}
    if last_point >= 0:
        usage |= {"cacheReadInputTokens": read, "cacheWriteInputTokens": write}
    return usage


def last_user_text(messages: Any, key: str = "text") -> str:
    for message in reversed(messages if isinstance(messages, list) else ()):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            parts = [b.get(key) for b in content or () if isinstance(b, dict)]
            return " ".join(p for p in parts if isinstance(p, str))
    return ""


def _converse_message(call: Call) -> dict[str, Any]:
    body = call.body_dict()
    messages = call.require("messages", list)
    usage = _converse_input(call, body)
    last_user = last_user_text(messages)
    tool = call.tool_call_name()
    if tool and not guarded(call):
        arguments = tokens.tool_arguments(last_user)
        content = [
            {
                "toolUse": {
                    "toolUseId": f"tooluse_mock_{call.number}",
                    "name": tool,
                    "input": {"query": last_user},
                }
            }
        ]
        output, stop = tokens.count_tokens(arguments), "tool_use"
    else:
        text, stop = answer(call, last_user, (body.get("inferenceConfig") or {}).get("maxTokens"))
        content, output = [{"text": text}], tokens.count_tokens(text)
    usage["outputTokens"] = output
    usage["totalTokens"] = sum(usage.values())
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": usage,
        "metrics": {"latencyMs": 1},
    }


def converse(call: Call) -> Reply:
    answer = _converse_message(call)
    return forced_exception(call) or Reply(answer, output_tokens=answer["usage"]["outputTokens"])


def converse_stream(call: Call) -> Reply | StreamReply:
    answer = _converse_message(call)
    forced = forced_exception(call)
    if forced is not None:
        return forced
    frames = [event("messageStart", {"role": "assistant"})]
    block = answer["output"]["message"]["content"][0]
    if "toolUse" in block:
        use = block["toolUse"]
        start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
        frames.append(event("contentBlockStart", {"start": start, "contentBlockIndex": 0}))
        pieces = [{"toolUse": {"input": p}} for p in tokens.split_in_two(json.dumps(use["input"]))]
    else:
        pieces = [{"text": p} for p in tokens.stream_pieces(block["text"])]
    for piece in pieces:
        frames.append(event("contentBlockDelta", {"delta": piece, "contentBlockIndex": 0}, token=True))
    frames.append(event("contentBlockStop", {"contentBlockIndex": 0}))
    frames.append(event("messageStop", {"stopReason": answer["stopReason"]}))
    frames.append(event("metadata", {"usage": answer["usage"], "metrics": {"latencyMs": 1}}))
    return StreamReply(with_stream_exception(call, frames), content_type=EVENT_STREAM)


def with_stream_exception(call: Call, frames: list[Frame]) -> list[Frame]:
    member = (call.header("x-mock-stream-exception") or "").strip()
    if not member:
        return frames
    first = next((i for i, f in enumerate(frames) if f.token), len(frames) - 1)
    return [*frames[: first + 1], exception_event(member, f"{member} (injected by llm-mock).")]


PROTOCOL = register(
    Protocol(
        "bedrock",
        error_reply=error_reply,
        request_id_header="x-amzn-requestid",
        owns=lambda path, headers: path.startswith("/model/"),
        state={"bedrock_cache": PromptCache},
    )
)
PROTOCOL.add("POST", "/model/{model}/converse", converse)
PROTOCOL.add("POST", "/model/{model}/converse-stream", converse_stream)
