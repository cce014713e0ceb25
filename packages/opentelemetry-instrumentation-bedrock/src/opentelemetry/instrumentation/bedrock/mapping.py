"""Bedrock bodies and events onto the core: parameters, usage, finish reasons, content, by their shape.

A model family is told by the shape of its body, never by the model id (an inference-profile ARN or
a cross-region id names no family). Each table lists a field's name in every family that has it.
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.semconv_ai import Operation
from opentelemetry.semconv_ai.content import message, plain, reasoning_part, text_part, tool_call_part
from opentelemetry.semconv_ai.content import tool_response_part as tool_response
from opentelemetry.semconv_ai.safe import count, field, items

STOP_REASON = "aws.bedrock.stop_reason"
GUARDRAIL_ID = "aws.bedrock.guardrail.id"
REQUEST_ID = "aws.request_id"
METRICS = "amazon-bedrock-invocationMetrics"
FINISH_REASONS = {
    **dict.fromkeys(("end_turn", "stop_sequence", "stop", "FINISH", "COMPLETE"), "stop"),
    **dict.fromkeys(("max_tokens", "length", "LENGTH", "MAX_TOKENS"), "length"),
    **dict.fromkeys(("tool_use", "tool_calls"), "tool_call"),
    **dict.fromkeys(("guardrail_intervened", "content_filtered", "CONTENT_FILTERED"), "content_filter"),
    "model_context_window_exceeded": "length",
    "ERROR_TOXIC": "content_filter",
}
# Usage: fresh input, output, cache read, cache write (Claude, Converse/Nova, OpenAI-shaped, Titan, Llama,
# a stream's invocation metrics), then the InvokeModel headers in the same order.
_INPUT = ("input_tokens", "inputTokens", "prompt_tokens", "inputTextTokenCount", "prompt_token_count")
_INPUT += ("inputTokenCount",)
_OUTPUT = ("output_tokens", "outputTokens", "completion_tokens", "generation_token_count", "outputTokenCount")
_CACHE_READ = ("cache_read_input_tokens", "cacheReadInputTokens", "cacheReadInputTokenCount")
_CACHE_WRITE = ("cache_creation_input_tokens", "cacheWriteInputTokens", "cacheWriteInputTokenCount")
_COUNTED = ("input", "output", "cache-read-input", "cache-write-input")
_HEADERS = tuple(f"x-amzn-bedrock-{k}-token-count" for k in _COUNTED)
# Where an answer is: text fields, lists of candidates, nested objects (bodies and stream events alike).
_TEXTS = ("text", "outputText", "generation", "completion", "content")
_LISTS = ("content", "results", "outputs", "generations", "choices")
_NESTED = ("output", "message", "delta", "messageStop", "contentBlockDelta", "contentBlockStart", "start")
_MARKERS = (b"Metrics", b"stop", b"Reason", b"usage", b"message_", b"finish")  # chunks worth parsing


def record_usage(op: Operation, found: Any) -> bool:
    """Usage from a dict with any family's keys; input counts cache read and write in."""
    if not isinstance(found, dict):
        return False
    fresh, output, read, write = (
        next((v for v in (count(found.get(k)) for k in keys) if v is not None), None)
        for keys in (_INPUT, _OUTPUT, _CACHE_READ, _CACHE_WRITE)
    )
    if output is None and isinstance(found.get("results"), list):  # Titan text
        output = sum(count(field(r, "tokenCount")) or 0 for r in found["results"])
    if fresh is None and output is None:
        return False
    total = None if fresh is None else fresh + (read or 0) + (write or 0)
    op.set_usage(
        input_tokens=total, output_tokens=output, cache_read=read or None, cache_creation=write or None
    )
    return True


def record_headers(op: Operation, headers: dict[str, Any]) -> None:
    values = [int(v) if isinstance(v, str) and v.isdigit() else None for v in map(headers.get, _HEADERS)]
    keys = (_INPUT[0], _OUTPUT[0], _CACHE_READ[0], _CACHE_WRITE[0])
    record_usage(op, dict(zip(keys, values, strict=True)))


def stop_reason(obj: Any, depth: int = 0) -> str | None:
    if not isinstance(obj, dict) or depth > 3:
        return None
    for key in ("stopReason", "stop_reason", "completionReason", "finish_reason"):
        if isinstance(obj.get(key), str):
            return obj[key]
    firsts = [items(obj.get(k))[:1] for k in _LISTS[1:]]
    nested = [obj.get(k) for k in _NESTED] + [c[0] for c in firsts if c]
    return next((r for r in (stop_reason(n, depth + 1) for n in nested) if r), None)


def record_stop(op: Operation, raw: str | None, body: Any = None) -> str | None:
    if (
        field(body, "amazon-bedrock-guardrailAction") == "INTERVENED"
        and FINISH_REASONS.get(raw) != "content_filter"
    ):
        raw = "guardrail_intervened"
    if raw is None:
        return None
    op.set_response(finish_reasons=(FINISH_REASONS.get(raw, raw),))
    op.set_attributes({STOP_REASON: raw})
    return FINISH_REASONS.get(raw, raw)


# -- content -----------------------------------------------------------------------------------


def part(block: Any) -> dict[str, Any]:
    """A Converse, Nova or Claude content block as a conventions message part."""
    kind = field(block, "type")
    if isinstance(block, str) or (kind in (None, "text") and isinstance(field(block, "text"), str)):
        return text_part(block if isinstance(block, str) else block["text"])
    use = field(block, "toolUse") or (block if kind == "tool_use" else None)
    if use is not None:
        return tool_call_part(
            field(use, "toolUseId") or field(use, "id"), field(use, "name"), plain(field(use, "input"))
        )
    result = field(block, "toolResult") or (block if kind == "tool_result" else None)
    if result is not None:
        return tool_response(
            field(result, "toolUseId") or field(result, "tool_use_id"), plain(field(result, "content"))
        )
    thought = field(field(field(block, "reasoningContent"), "reasoningText"), "text") or field(
        block, "thinking"
    )
    other = reasoning_part(thought) if thought is not None else plain(block)
    return other if isinstance(other, dict) else {"type": str(kind)}


def parts(content: Any) -> list[dict[str, Any]]:
    return [text_part(content)] if isinstance(content, str) else [part(b) for b in items(content)]


def messages(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The input messages of a Converse or InvokeModel request body, of any family."""
    if isinstance(body.get("messages"), list):
        return [message(field(m, "role"), parts(field(m, "content"))) for m in body["messages"]]
    prompt = next((body[k] for k in ("prompt", "inputText", "message", "texts") if k in body), None)
    return None if prompt is None else [message("user", [text_part(prompt)])]


def answer(body: Any) -> list[dict[str, Any]]:
    """The answer in a response body or stream event of any family, as message parts."""
    if not isinstance(body, dict):
        return []
    text = next((body[k] for k in _TEXTS if isinstance(body.get(k), str)), None)
    if text is not None:
        return [text_part(text)]
    found = [part(body)] if "toolUse" in body or "reasoningContent" in body else []
    for key in _LISTS:
        for candidate in items(body.get(key)):
            found.extend([part(candidate)] if key == "content" else answer(candidate))
    return found + [p for key in _NESTED for p in answer(body.get(key))]


def joined(pieces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Streamed pieces as parts: text pieces joined, a tool call's argument pieces joined and parsed."""
    out: list[dict[str, Any]] = []
    for piece in pieces:
        last = out[-1] if out else {}
        if piece["type"] == last.get("type") == "text":
            out[-1] = text_part(f"{last['content']}{piece['content']}")
        elif piece["type"] == last.get("type") == "tool_call" and piece.get("id") is None:
            arguments = (
                piece["arguments"] if isinstance(piece["arguments"], str) else json.dumps(piece["arguments"])
            )
            last["arguments"] = f"{last['arguments'] or ''}{arguments}"
        else:
            out.append(dict(piece))
    return [
        tool_call_part(p["id"], p["name"], p["arguments"]) if p["type"] == "tool_call" else p for p in out
    ]


def record_output(op: Operation, found: list[dict[str, Any]], reason: str | None) -> None:
    if op.collect_output:  # else the core infers `answered` from the output tokens
        op.set_output([message("assistant", found, reason)])


class Events:
    """A stream's events: ConverseStream's, or InvokeModel's chunks (each the model's own JSON)."""

    __slots__ = ("chunks", "claude", "found", "op", "stop", "usage")

    def __init__(self, op: Operation, chunks: bool) -> None:
        self.op, self.chunks, self.stop = op, chunks, None
        self.claude: dict[str, Any] = {}  # Claude's message_start usage, updated by message_delta
        self.usage: list[Any] = []  # invocation metrics, Converse/Nova metadata usage
        self.found: list[dict[str, Any]] = []

    def on_chunk(self, event: Any) -> None:
        if self.chunks:
            data = field(event.get("chunk"), "bytes")
            if not isinstance(data, bytes):
                return
            if not self.op.collect_output and not any(m in data for m in _MARKERS):
                return  # only chunks that may hold usage or a stop reason are parsed
            event = json.loads(data)
            if not isinstance(event, dict):
                return
        elif "contentBlockDelta" in event and not self.op.collect_output:
            return  # most of a Converse stream: nothing in it to read unless the output is kept
        kind = event.get("type")
        if kind == "message_start":
            self.claude.update(field(event.get("message"), "usage") or {}, output_tokens=None)
        elif kind == "message_delta":
            self.claude.update({k: v for k, v in (event.get("usage") or {}).items() if v is not None})
        self.usage += [u for u in (event.get(METRICS), field(event.get("metadata"), "usage")) if u]
        self.stop = stop_reason(event) or self.stop
        if self.op.collect_output:
            self.found += answer(event)

    def on_end(self) -> None:
        for usage in (self.claude, *reversed(self.usage)):  # Claude's events, else the last metrics
            if usage and record_usage(self.op, usage):
                break
        reason = record_stop(self.op, self.stop)
        record_output(self.op, joined(self.found), reason)
