"""OpenAI's Responses API (``POST /v1/responses``), streamed as typed events."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from .. import sse, tokens
from ..exchange import ApiError, Call, Frame, Reply, StreamReply
from .openai import PROTOCOL, content_texts, json_format, last_user_text


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
            texts.extend(content_texts(item.get("content")))
    return texts, last_user_text(raw)


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
    json_answer = isinstance(text_config, dict) and json_format(text_config.get("format"))
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


PROTOCOL.add("POST", "/v1/responses", responses)
