"""Prebuilt provider responses behind an in-process transport: the SDKs do all their usual work, no network.

Runs in the workspace venv and in the peers' throwaway venvs, so it needs nothing but the SDKs and
whichever of `httpx` / `httpx2` each SDK uses. Every workload gets its own client whose transport
always answers the same bytes, so no routing cost lands inside the measurement.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from collections.abc import Callable
from typing import Any

import canned_native

CHAT_MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
CLAUDE_MODEL = "claude-3-5-haiku-20241022"
GEMINI_MODEL = "gemini-2.5-flash"
EMBEDDING_DIMENSIONS = 1536

SYSTEM = "You are a concise assistant for a site reliability team. Answer in two sentences."
QUESTION = "Why did the p99 latency of the checkout service double after the last deploy?"
MESSAGES = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}]
ANTHROPIC_MESSAGES = [{"role": "user", "content": QUESTION}]
REPLY = "Mock reply: " + QUESTION

# Chunks an SDK stream yields in total (role, content pieces, finish, usage), per stream workload.
STREAM_CHUNKS = {"openai_stream_20": 20, "openai_stream_200": 200}
ANTHROPIC_STREAM_EVENTS = 20
GEMINI_STREAM_CHUNKS = 20


def _sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"{head}data: {payload}\n\n".encode()


def _words(n: int) -> list[str]:
    words = REPLY.split()
    return [words[i % len(words)] + " " for i in range(n)]


_CHAT_HEAD = {
    "id": "chatcmpl-bench",
    "created": 1_700_000_000,
    "model": CHAT_MODEL,
    "system_fingerprint": "fp_b",
}
_OPENAI_USAGE = {
    "prompt_tokens": 31,
    "completion_tokens": 16,
    "total_tokens": 47,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
}


def openai_chat_body() -> bytes:
    message = {"role": "assistant", "content": REPLY, "refusal": None, "annotations": []}
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
    body = {**_CHAT_HEAD, "object": "chat.completion", "choices": [choice], "usage": _OPENAI_USAGE}
    return json.dumps(body).encode()


def openai_stream_body(chunks: int) -> bytes:
    """`chunks` SDK chunks: the role chunk, chunks - 3 content pieces, the finish and the usage chunk."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _sse({**_CHAT_HEAD, "object": "chat.completion.chunk", "choices": [choice], "usage": None})

    parts = [chunk({"role": "assistant", "content": "", "refusal": None})]
    parts += [chunk({"content": word}) for word in _words(chunks - 3)]
    parts.append(chunk({}, "stop"))
    usage = {**_OPENAI_USAGE, "completion_tokens": chunks - 3, "total_tokens": 31 + chunks - 3}
    parts.append(_sse({**_CHAT_HEAD, "object": "chat.completion.chunk", "choices": [], "usage": usage}))
    parts.append(_sse("[DONE]"))
    return b"".join(parts)


def embeddings_body(base64_encoded: bool) -> bytes:
    vector = [((i * 7919) % 1000) / 1000.0 - 0.5 for i in range(EMBEDDING_DIMENSIONS)]
    if base64_encoded:
        embedding: Any = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    else:
        embedding = vector
    body = {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": embedding}],
        "model": EMBEDDING_MODEL,
        "usage": {"prompt_tokens": 15, "total_tokens": 15},
    }
    return json.dumps(body).encode()


_ANTHROPIC_USAGE = {
    "input_tokens": 15,
    "output_tokens": 16,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
}


def anthropic_message_body() -> bytes:
    body = {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": CLAUDE_MODEL,
        "content": [{"type": "text", "text": REPLY}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": _ANTHROPIC_USAGE,
    }
    return json.dumps(body).encode()


def anthropic_stream_body(events: int) -> bytes:
    """`events` SDK events: message_start, a text block of events - 5 deltas, message_delta, message_stop."""
    start = {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": CLAUDE_MODEL,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**_ANTHROPIC_USAGE, "output_tokens": 1},
    }
    parts = [
        _sse({"type": "message_start", "message": start}, "message_start"),
        _sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
             "content_block_start"),
    ]  # fmt: skip
    for word in _words(events - 5):
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": word}}
        parts.append(_sse(delta, "content_block_delta"))
    parts.append(_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
    message_delta = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": events - 5},
    }
    parts.append(_sse(message_delta, "message_delta"))
    parts.append(_sse({"type": "message_stop"}, "message_stop"))
    return b"".join(parts)


def gemini_body(words: str = REPLY, finish: bool = True, candidates: int = 16) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": words}]}, "index": 0}
    if finish:
        candidate["finishReason"] = "STOP"
    usage = {"promptTokenCount": 31, "candidatesTokenCount": candidates, "totalTokenCount": 31 + candidates}
    return {
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": GEMINI_MODEL,
        "responseId": "r",
    }


def gemini_stream_body(chunks: int) -> bytes:
    """`chunks` SDK chunks, each with the usage so far (Gemini's usage is cumulative); the last finishes."""
    words = _words(chunks)
    return b"".join(_sse(gemini_body(word, i == chunks, i)) for i, word in enumerate(words, 1))


def _gemini_client(body: bytes, content_type: str) -> Any:
    from google import genai

    try:  # google-genai 3.x is built on httpx2, earlier releases on httpx
        import httpx2 as http
    except ImportError:
        import httpx as http

    transport = _transport(http, body, content_type)
    options = {
        "base_url": "https://generativelanguage.googleapis.com",
        "client_args": {"transport": transport},
    }
    return genai.Client(api_key="bench-key", http_options=options)


def _http_module(sdk: Any) -> Any:
    """The HTTP library the SDK's client is built on: httpx2 for openai 3.x / anthropic 2.x, else httpx."""
    base = __import__(f"{sdk.__name__}._base_client", fromlist=["_"])
    if hasattr(base, "httpx2"):
        import httpx2

        return httpx2
    import httpx

    return httpx


def http_library(sdk: Any) -> str:
    module = _http_module(sdk)
    return f"{module.__name__} {module.__version__}"


def _transport(http: Any, body: bytes, content_type: str, alternate: bytes | None = None) -> Any:
    headers = {"content-type": content_type, "x-request-id": "req_bench", "request-id": "req_bench"}

    def handle(request: Any) -> Any:
        # Only embeddings have an alternate body: the float form, for clients that do not ask for base64.
        if alternate is not None and b'"base64"' not in request.content:
            return http.Response(200, headers=headers, content=alternate)
        return http.Response(200, headers=headers, content=body)

    return http.MockTransport(handle)


def _openai_client(body: bytes, content_type: str, alternate: bytes | None = None) -> Any:
    import openai

    http = _http_module(openai)
    transport = _transport(http, body, content_type, alternate)
    return openai.OpenAI(
        api_key="sk-bench", base_url="https://api.openai.com/v1", max_retries=0,
        http_client=http.Client(transport=transport),
    )  # fmt: skip


def _anthropic_client(body: bytes, content_type: str) -> Any:
    import anthropic

    http = _http_module(anthropic)
    return anthropic.Anthropic(
        api_key="sk-ant-bench", base_url="https://api.anthropic.com", max_retries=0,
        http_client=http.Client(transport=_transport(http, body, content_type)),
    )  # fmt: skip


def _compat_client(workload: str, body: bytes) -> Any:
    """Groq, Together and Mistral clients, each answering an OpenAI-shaped body (all three read it as is)."""
    import httpx

    http_client = httpx.Client(transport=_transport(httpx, body, JSON))
    if workload.startswith("groq"):
        import groq

        return groq.Groq(api_key="gsk-bench", max_retries=0, http_client=http_client)
    if workload.startswith("together"):
        import together

        return together.Together(api_key="bench", max_retries=0, http_client=http_client)
    try:
        from mistralai.client import Mistral
    except ImportError:  # mistralai 1.x
        from mistralai import Mistral  # type: ignore[no-redef,attr-defined]
    return Mistral(api_key="bench", client=http_client)


JSON = "application/json"
SSE = "text/event-stream"

# workload -> the provider it needs
PROVIDER = {
    "openai_chat": "openai",
    "openai_stream_20": "openai",
    "openai_stream_200": "openai",
    "openai_embeddings": "openai",
    "anthropic_message": "anthropic",
    "anthropic_stream": "anthropic",
    "gemini_generate": "google_genai",
    "gemini_stream_20": "google_genai",
    "groq_chat": "groq",
    "together_chat": "together",
    "mistral_chat": "mistralai",
    **canned_native.PROVIDER,
    "bedrock_converse": "bedrock",
    "bedrock_stream_20": "bedrock",
    "litellm_chat": "litellm",
}
COMPAT_MODELS = {
    "groq_chat": "llama-3.1-8b-instant",
    "together_chat": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
}
COMPAT_MODELS["mistral_chat"] = "mistral-small-latest"
WORKLOADS = tuple(PROVIDER)


def client_for(workload: str) -> Any:
    """A fresh SDK client whose transport always answers `workload`'s canned response."""
    if workload == "openai_chat":
        return _openai_client(openai_chat_body(), JSON)
    if workload in STREAM_CHUNKS:
        return _openai_client(openai_stream_body(STREAM_CHUNKS[workload]), SSE)
    if workload == "openai_embeddings":
        return _openai_client(embeddings_body(True), JSON, alternate=embeddings_body(False))
    if workload == "anthropic_message":
        return _anthropic_client(anthropic_message_body(), JSON)
    if workload == "anthropic_stream":
        return _anthropic_client(anthropic_stream_body(ANTHROPIC_STREAM_EVENTS), SSE)
    if workload == "gemini_generate":
        return _gemini_client(json.dumps(gemini_body()).encode(), JSON)
    if workload == "gemini_stream_20":
        return _gemini_client(gemini_stream_body(GEMINI_STREAM_CHUNKS), SSE)
    if workload in COMPAT_MODELS:
        return _compat_client(workload, openai_chat_body())
    if workload == "litellm_chat":  # LiteLLM calls the openai SDK client it is given
        return _openai_client(openai_chat_body(), JSON)
    raise ValueError(f"unknown workload {workload!r}")


def make_call(workload: str) -> Callable[[], Any]:
    """A function making one complete `workload` call (a stream is read to its end) on a fresh client."""
    if workload in canned_native.PROVIDER:
        return canned_native.make_call(workload, MESSAGES, REPLY)
    if workload.startswith("bedrock_"):  # one client per patch state: see canned_bedrock
        import canned_bedrock

        return canned_bedrock.make_call(workload, ANTHROPIC_MESSAGES, SYSTEM, REPLY)
    client = client_for(workload)
    if workload == "openai_chat":
        return lambda: client.chat.completions.create(model=CHAT_MODEL, messages=MESSAGES)
    if workload in STREAM_CHUNKS:
        options = {"include_usage": True}

        def stream() -> int:
            chunks = client.chat.completions.create(
                model=CHAT_MODEL, messages=MESSAGES, stream=True, stream_options=options
            )
            return sum(1 for _ in chunks)

        return stream
    if workload == "openai_embeddings":
        return lambda: client.embeddings.create(model=EMBEDDING_MODEL, input=QUESTION)
    if workload == "mistral_chat":
        return lambda: client.chat.complete(model=COMPAT_MODELS[workload], messages=MESSAGES)
    if workload in COMPAT_MODELS:
        return lambda: client.chat.completions.create(model=COMPAT_MODELS[workload], messages=MESSAGES)
    if workload == "litellm_chat":
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no download at import
        import litellm

        model = "openai/" + CHAT_MODEL
        return lambda: litellm.completion(model=model, messages=MESSAGES, client=client, api_key="sk-bench")
    if workload == "anthropic_message":
        return lambda: client.messages.create(
            model=CLAUDE_MODEL, max_tokens=256, system=SYSTEM, messages=ANTHROPIC_MESSAGES
        )
    if workload == "gemini_generate":
        config = {"system_instruction": SYSTEM, "max_output_tokens": 256}
        return lambda: client.models.generate_content(model=GEMINI_MODEL, contents=QUESTION, config=config)
    if workload == "gemini_stream_20":

        def gemini_stream() -> int:
            config = {"system_instruction": SYSTEM, "max_output_tokens": 256}
            chunks = client.models.generate_content_stream(
                model=GEMINI_MODEL, contents=QUESTION, config=config
            )
            return sum(1 for _ in chunks)

        return gemini_stream

    def events() -> int:
        stream = client.messages.create(
            model=CLAUDE_MODEL, max_tokens=256, system=SYSTEM, messages=ANTHROPIC_MESSAGES, stream=True
        )
        return sum(1 for _ in stream)

    return events


def expected_chunks(workload: str) -> int | None:
    if workload in STREAM_CHUNKS:
        return STREAM_CHUNKS[workload]
    if workload == "anthropic_stream":
        return ANTHROPIC_STREAM_EVENTS
    if workload == "gemini_stream_20":
        return GEMINI_STREAM_CHUNKS
    if workload == "bedrock_stream_20":
        return 20
    return None
