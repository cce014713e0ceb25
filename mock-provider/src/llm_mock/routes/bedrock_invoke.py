"""Bedrock InvokeModel and InvokeModelWithResponseStream: each model family's own body format.

The family comes from the request body's shape (Claude messages, Nova, Titan text and embeddings,
Cohere embed and chat), and for a bare ``prompt`` from the family named in the model id (Llama,
Mistral, Cohere, Claude text completions). Every answer also carries the
``x-amzn-bedrock-*-token-count`` headers; streams end with ``amazon-bedrock-invocationMetrics``.
"""

from __future__ import annotations

from typing import Any

from .. import tokens
from ..exchange import Call, Reply, StreamReply
from .bedrock import (
    EVENT_STREAM,
    PROTOCOL,
    answer,
    cache_split,
    chunk,
    error_reply,
    forced_exception,
    guarded,
    last_user_text,
    with_stream_exception,
)

# --- InvokeModel: one body format per model family ------------------------------------------------------


def _family(call: Call, body: dict[str, Any]) -> str:
    if "anthropic_version" in body:
        return "claude"
    if "messages" in body:
        return "nova"
    if "textGenerationConfig" in body:
        return "titan"
    if "inputText" in body:
        return "titan-embed"
    if "texts" in body:
        return "cohere-embed"
    if "message" in body:
        return "cohere-chat"
    model = call.params.get("model", "").lower()
    return next((f for f in ("mistral", "cohere", "anthropic") if f in model), "llama")


_LIMITS = ("max_tokens", "max_gen_len", "max_tokens_to_sample")
_STOPS = {  # family -> our stop reason -> theirs
    "claude": {"guardrail_intervened": "end_turn"},
    "titan": {"end_turn": "FINISH", "max_tokens": "LENGTH", "guardrail_intervened": "CONTENT_FILTERED"},
    "llama": {"end_turn": "stop", "max_tokens": "length"},
    "mistral": {"end_turn": "stop", "max_tokens": "length"},
    "cohere": {"end_turn": "COMPLETE", "max_tokens": "MAX_TOKENS", "guardrail_intervened": "COMPLETE"},
    "cohere-chat": {"end_turn": "COMPLETE", "max_tokens": "MAX_TOKENS", "guardrail_intervened": "COMPLETE"},
    "anthropic": {"end_turn": "stop_sequence", "guardrail_intervened": "stop_sequence"},
}


def _invoke_input(call: Call, family: str, body: dict[str, Any]) -> tuple[str, int, int, int]:
    """(last user text, input tokens, cache read, cache write)."""
    if family in ("claude", "nova"):
        system = body.get("system")
        blocks = [{"text": system}] if isinstance(system, str) else list(system or [])
        cacheable, fresh = "", []
        for message in body.get("messages") or ():
            content = message.get("content") if isinstance(message, dict) else None
            blocks.extend([{"text": content}] if isinstance(content, str) else content or [])
        for block in blocks:
            text = block.get("text") if isinstance(block, dict) else None
            if isinstance(text, str):
                fresh.append(text)
            if isinstance(block, dict) and ("cache_control" in block or "cachePoint" in block):
                cacheable, fresh = " ".join([cacheable, *fresh]).strip(), []
        return (last_user_text(body.get("messages")), *cache_split(call, cacheable, tokens.sum_tokens(fresh)))
    if family == "cohere-embed":
        texts = [t for t in body.get("texts") or () if isinstance(t, str)]
        return "", tokens.sum_tokens(texts), 0, 0
    text = body.get("inputText") or body.get("prompt") or body.get("message") or ""
    text = text if isinstance(text, str) else ""
    return text, tokens.count_tokens(text), 0, 0


def _invoke_body(
    call: Call, family: str, body: dict[str, Any], text: str, stop: str, usage: tuple[int, ...]
) -> dict[str, Any]:
    fresh, read, write, output = usage
    theirs = _STOPS.get(family, {}).get(stop, stop)
    if family == "claude":
        claude_usage = {"input_tokens": fresh, "output_tokens": output}
        claude_usage |= {"cache_read_input_tokens": read, "cache_creation_input_tokens": write}
        return {
            "id": f"msg_bdrk_mock_{call.number}",
            "type": "message",
            "role": "assistant",
            "model": call.params.get("model"),
            "content": [{"type": "text", "text": text}],
            "stop_reason": theirs,
            "stop_sequence": None,
            "usage": claude_usage,
        }
    if family == "nova":
        nova_usage = {
            "inputTokens": fresh,
            "outputTokens": output,
            "totalTokens": fresh + output + read + write,
        }
        nova_usage |= {"cacheReadInputTokenCount": read, "cacheWriteInputTokenCount": write}
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": theirs,
            "usage": nova_usage,
        }
    if family == "titan":
        result = {"tokenCount": output, "outputText": text, "completionReason": theirs}
        return {"inputTextTokenCount": fresh, "results": [result]}
    if family == "titan-embed":
        return {
            "embedding": tokens.embedding_vector(text, tokens.DEFAULT_EMBEDDING_DIMENSIONS),
            "inputTextTokenCount": fresh,
        }
    if family == "cohere-embed":
        vectors = [tokens.embedding_vector(t, tokens.DEFAULT_EMBEDDING_DIMENSIONS) for t in body["texts"]]
        return {
            "id": f"emb-mock-{call.number}",
            "embeddings": vectors,
            "response_type": "embeddings_floats",
            "texts": body["texts"],
        }
    if family == "llama":
        return {
            "generation": text,
            "prompt_token_count": fresh,
            "generation_token_count": output,
            "stop_reason": theirs,
        }
    if family == "mistral":
        return {"outputs": [{"text": text, "stop_reason": theirs}]}
    if family == "cohere-chat":
        return {
            "response_id": f"resp-mock-{call.number}",
            "text": text,
            "generation_id": f"gen-mock-{call.number}",
            "finish_reason": theirs,
        }
    if family == "cohere":
        return {
            "id": f"gen-mock-{call.number}",
            "generations": [{"id": "0", "text": text, "finish_reason": theirs}],
            "prompt": body.get("prompt"),
        }
    return {"completion": " " + text, "stop_reason": theirs, "stop": None}


def _invoke(call: Call) -> tuple[str, dict[str, Any], str, str, tuple[int, int, int, int]]:
    body = call.body_dict()
    family = _family(call, body)
    last_user, fresh, read, write = _invoke_input(call, family, body)
    if family.endswith("embed"):
        return family, body, "", "", (fresh, 0, 0, 0)
    config = body.get("inferenceConfig") or body.get("textGenerationConfig") or body
    limit = next(
        (config[k] for k in (*_LIMITS, "maxTokens", "max_new_tokens", "maxTokenCount") if k in config), None
    )
    text, stop = answer(call, last_user, limit)
    return family, body, text, stop, (fresh, read, write, tokens.count_tokens(text))


def _token_headers(usage: tuple[int, int, int, int]) -> dict[str, str]:
    fresh, read, write, output = usage
    headers = {
        "x-amzn-bedrock-input-token-count": str(fresh),
        "x-amzn-bedrock-output-token-count": str(output),
        "x-amzn-bedrock-invocation-latency": "1",
    }
    if read or write:
        headers["x-amzn-bedrock-cache-read-input-token-count"] = str(read)
        headers["x-amzn-bedrock-cache-write-input-token-count"] = str(write)
    return headers


def invoke(call: Call) -> Reply:
    family, body, text, stop, usage = _invoke(call)
    forced = forced_exception(call)
    if forced is not None:
        return forced
    answer = _invoke_body(call, family, body, text, stop, usage)
    if guarded(call):
        answer["amazon-bedrock-guardrailAction"] = "INTERVENED"
    return Reply(answer, headers=_token_headers(usage), output_tokens=usage[3])


def _metrics(usage: tuple[int, int, int, int]) -> dict[str, int]:
    fresh, read, write, output = usage
    metrics = {
        "inputTokenCount": fresh,
        "outputTokenCount": output,
        "invocationLatency": 1,
        "firstByteLatency": 1,
    }
    if read or write:
        metrics |= {"cacheReadInputTokenCount": read, "cacheWriteInputTokenCount": write}
    return metrics


def invoke_stream(call: Call) -> Reply | StreamReply:
    family, body, text, stop, usage = _invoke(call)
    forced = forced_exception(call) or (
        error_reply(400, "This model does not stream embeddings.") if family.endswith("embed") else None
    )
    if forced is not None:
        return forced
    fresh, read, write, output = usage
    theirs = _STOPS.get(family, {}).get(stop, stop)
    pieces = tokens.stream_pieces(text)
    last = {"amazon-bedrock-invocationMetrics": _metrics(usage)}
    if family == "claude":
        message = _invoke_body(call, family, body, "", stop, (fresh, read, write, 1))
        frames = [
            chunk({"type": "message_start", "message": {**message, "content": [], "stop_reason": None}}),
            chunk({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ]
        frames += [
            chunk(
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}, True
            )
            for p in pieces
        ]
        frames += [
            chunk({"type": "content_block_stop", "index": 0}),
            chunk(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": theirs, "stop_sequence": None},
                    "usage": {"output_tokens": output},
                }
            ),
            chunk({"type": "message_stop", **last}),
        ]
    elif family == "nova":
        frames = [chunk({"messageStart": {"role": "assistant"}})]
        frames += [
            chunk({"contentBlockDelta": {"delta": {"text": p}, "contentBlockIndex": 0}}, True) for p in pieces
        ]
        frames += [
            chunk({"contentBlockStop": {"contentBlockIndex": 0}}),
            chunk({"messageStop": {"stopReason": theirs}}),
            chunk({"metadata": {"usage": {"inputTokens": fresh, "outputTokens": output}}, **last}),
        ]
    else:

        def piece(p: str, i: int) -> dict[str, Any]:
            if family == "titan":
                return {
                    "outputText": p,
                    "index": 0,
                    "totalOutputTextTokenCount": i,
                    "completionReason": None,
                    "inputTextTokenCount": fresh if i == 1 else None,
                }
            if family == "llama":
                return {
                    "generation": p,
                    "prompt_token_count": fresh if i == 1 else None,
                    "generation_token_count": i,
                    "stop_reason": None,
                }
            if family == "mistral":
                return {"outputs": [{"text": p, "stop_reason": None}]}
            if family == "cohere-chat":
                return {"event_type": "text-generation", "text": p, "is_finished": False}
            if family == "cohere":
                return {"generations": [{"text": p}], "is_finished": False}
            return {"completion": p, "stop_reason": None}

        frames = [chunk(piece(p, i), True) for i, p in enumerate(pieces, 1)]
        final = {
            "titan": {
                "outputText": "",
                "index": 0,
                "totalOutputTextTokenCount": output,
                "completionReason": theirs,
            },
            "llama": {
                "generation": "",
                "prompt_token_count": None,
                "generation_token_count": output,
                "stop_reason": theirs,
            },
            "mistral": {"outputs": [{"text": "", "stop_reason": theirs}]},
            "cohere-chat": {"event_type": "stream-end", "is_finished": True, "finish_reason": theirs},
            "cohere": {
                "generations": [{"text": "", "finish_reason": theirs}],
                "is_finished": True,
                "finish_reason": theirs,
            },
        }.get(family, {"completion": "", "stop_reason": theirs})
        frames.append(chunk({**final, **last}))
    return StreamReply(with_stream_exception(call, frames), content_type=EVENT_STREAM)


PROTOCOL.add("POST", "/model/{model}/invoke", invoke)
PROTOCOL.add("POST", "/model/{model}/invoke-with-response-stream", invoke_stream)
