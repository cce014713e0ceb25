"""Cohere's v2 API: ``/v2/chat`` (JSON, or SSE events with ``stream: true``), ``/v2/embed``, ``/v2/rerank``.

Usage as Cohere reports it: ``usage.billed_units`` holds the billed tokens, ``usage.tokens`` the tokens
the model saw, which add Cohere's own preamble (``PREAMBLE_TOKENS``) to the input. Embed and rerank
answer with ``meta.billed_units`` (v1-shaped); rerank bills ``search_units`` (one per 100 documents), not
tokens. Errors are ``{"id", "message"}``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from .. import sse, tokens
from ..exchange import ApiError, Call, Frame, Reply, StreamReply
from ..registry import Protocol, register
from .openai import content_texts, json_format, last_user_text

PREAMBLE_TOKENS = 7
FINISH = {False: "COMPLETE", True: "MAX_TOKENS"}


def error_reply(status: int, message: str, param: str | None = None) -> Reply:
    return Reply({"id": f"err-mock-{status}", "message": message}, status=status)


def _usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "billed_units": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        "tokens": {"input_tokens": input_tokens + PREAMBLE_TOKENS, "output_tokens": output_tokens},
    }


def _meta(billed: dict[str, int]) -> dict[str, Any]:
    return {"api_version": {"version": "2"}, "billed_units": billed}


def _event(kind: str, token: bool = False, **fields: Any) -> Frame:
    return Frame(sse.encode({"type": kind, **fields}, event=kind), token)


def chat(call: Call) -> Reply | StreamReply:
    call.require("model", str)
    body = call.body_dict()
    messages = call.require("messages", list)
    input_tokens = tokens.sum_tokens(
        text for m in messages if isinstance(m, dict) for text in content_texts(m.get("content"))
    )
    last = last_user_text(messages)
    number = call.number
    tool = call.tool_call_name()
    message: dict[str, Any] = {"role": "assistant"}
    if tool:
        arguments = tokens.tool_arguments(last)
        message["tool_plan"] = f"I will call {tool}."
        message["tool_calls"] = [
            {
                "id": f"call_mock_{number}",
                "type": "function",
                "function": {"name": tool, "arguments": arguments},
            }
        ]
        text, reason = "", "TOOL_CALL"
        output = tokens.count_tokens(arguments) + tokens.count_tokens(message["tool_plan"])
    else:
        text = call.reply_text(last, json_answer=json_format(body.get("response_format")))
        text, truncated = tokens.truncate(text, call.optional_int("max_tokens"))
        reason, output = FINISH[truncated], tokens.count_tokens(text)
        message["content"] = [{"type": "text", "text": text}]
    usage = _usage(input_tokens, output)
    response_id = f"chat-mock-{number}"
    if body.get("stream") is not True:
        return Reply(
            {"id": response_id, "finish_reason": reason, "message": message, "usage": usage},
            output_tokens=output,
        )
    return StreamReply(list(_chat_events(response_id, message, text, reason, usage)))


def _chat_events(
    response_id: str, message: dict[str, Any], text: str, reason: str, usage: dict[str, Any]
) -> Iterator[Frame]:
    start = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    yield _event("message-start", id=response_id, delta={"message": start})
    if "tool_calls" in message:
        for piece in tokens.stream_pieces(message["tool_plan"]):
            yield _event("tool-plan-delta", True, delta={"message": {"tool_plan": piece}})
        call = message["tool_calls"][0]
        opening = {**call, "function": {"name": call["function"]["name"], "arguments": ""}}
        yield _event("tool-call-start", index=0, delta={"message": {"tool_calls": opening}})
        for piece in tokens.split_in_two(call["function"]["arguments"]):
            delta = {"message": {"tool_calls": {"function": {"arguments": piece}}}}
            yield _event("tool-call-delta", True, index=0, delta=delta)
        yield _event("tool-call-end", index=0)
    else:
        yield _event("content-start", index=0, delta={"message": {"content": {"type": "text", "text": ""}}})
        for piece in tokens.stream_pieces(text):
            yield _event("content-delta", True, index=0, delta={"message": {"content": {"text": piece}}})
        yield _event("content-end", index=0)
    yield _event("message-end", delta={"finish_reason": reason, "usage": usage})


def _texts(call: Call, key: str) -> list[str]:
    texts = call.require(key, list)
    if not all(isinstance(t, str) for t in texts):
        raise ApiError(400, f"invalid {key}: expected a list of strings")
    return texts


def embed(call: Call) -> Reply:
    call.require("model", str)
    texts = _texts(call, "texts")
    dimensions = call.optional_int("output_dimension") or tokens.DEFAULT_EMBEDDING_DIMENSIONS
    kinds = call.body_dict().get("embedding_types") or ["float"]
    vectors = [tokens.embedding_vector(text, dimensions) for text in texts]
    return Reply(
        {
            "id": f"embed-mock-{call.number}",
            "response_type": "embeddings_by_type",
            "embeddings": {kind: vectors for kind in kinds if kind == "float"},
            "texts": texts,
            "meta": _meta({"input_tokens": tokens.sum_tokens(texts)}),
        }
    )


def rerank(call: Call) -> Reply:
    call.require("model", str)
    query = set(call.require("query", str).lower().split())
    documents = _texts(call, "documents")
    top_n = call.optional_int("top_n") or len(documents)
    # Relevance: the share of the query's words a document contains, ties in document order.
    scores = [len(query & set(doc.lower().split())) / (len(query) or 1) for doc in documents]
    ranked = sorted(range(len(documents)), key=lambda i: (-scores[i], i))[:top_n]
    return Reply(
        {
            "id": f"rerank-mock-{call.number}",
            "results": [{"index": i, "relevance_score": scores[i]} for i in ranked],
            "meta": _meta({"search_units": max(1, math.ceil(len(documents) / 100))}),
        }
    )


def owns(path: str, headers: dict[str, str]) -> bool:
    return path.startswith("/v2/")


PROTOCOL = register(Protocol("cohere", error_reply=error_reply, owns=owns))
PROTOCOL.add("POST", "/v2/chat", chat)
PROTOCOL.add("POST", "/v2/embed", embed)
PROTOCOL.add("POST", "/v2/rerank", rerank)
