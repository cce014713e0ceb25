"""Google Gemini REST routes, for both the Gemini API and Vertex AI paths.

Paths: ``/{version}/models/{model}:{method}`` (Gemini API),
``/{version}/publishers/{publisher}/models/{model}:{method}`` (Vertex express mode) and
``/{version}/projects/{p}/locations/{l}/publishers/{publisher}/models/{model}:{method}`` (Vertex).
Methods: ``generateContent``, ``streamGenerateContent`` (``?alt=sse``), ``countTokens``,
``embedContent``, ``batchEmbedContents`` and ``predict`` (Vertex text embeddings).
Errors use Google's shape ``{"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .. import sse, tokens
from ..exchange import ApiError, Call, Frame, Reply, StreamReply
from ..registry import Protocol, register

_PATH = re.compile(r"^/v[0-9a-z]+/.*(?:models|tunedModels)/[^/:]+:[A-Za-z]+$")
# The model's resource name under each API: Gemini, Vertex express mode, Vertex.
_PREFIXES = (
    "/{version}/models/",
    "/{version}/tunedModels/",
    "/{version}/publishers/{publisher}/models/",
    "/{version}/projects/{project}/locations/{location}/publishers/{publisher}/models/",
)

_STATUS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def owns(path: str, headers: dict[str, str]) -> bool:
    """Whether errors for this request should use Google's format."""
    return _PATH.match(path) is not None or "x-goog-api-client" in headers


def error_reply(status: int, message: str, param: str | None = None) -> Reply:
    code = _STATUS.get(status, "INVALID_ARGUMENT" if status < 500 else "INTERNAL")
    return Reply({"error": {"code": status, "message": message, "status": code}}, status=status)


# --- reading a request ----------------------------------------------------------------------------------


def _texts(content: Any) -> list[str]:
    """The text parts of one Content (``{"role", "parts": [...]}``)."""
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list):
        return []
    return [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]


def _has_function_response(content: Any) -> bool:
    parts = content.get("parts") if isinstance(content, dict) else None
    return isinstance(parts, list) and any(isinstance(p, dict) and "functionResponse" in p for p in parts)


def _contents(body: dict[str, Any]) -> list[Any]:
    contents = body.get("contents")
    if contents is None and isinstance(body.get("generateContentRequest"), dict):
        contents = body["generateContentRequest"].get("contents")
    if not isinstance(contents, list):
        raise ApiError(400, "* GenerateContentRequest.contents: contents is not specified")
    return contents


def _prompt_words(body: dict[str, Any], contents: list[Any]) -> int:
    texts = _texts(body.get("systemInstruction") or body.get("system_instruction"))
    for content in contents:
        texts.extend(_texts(content))
    return tokens.sum_tokens(texts)


def _last_user_text(contents: list[Any]) -> str:
    for content in reversed(contents):
        if isinstance(content, dict) and content.get("role", "user") == "user" and _texts(content):
            return " ".join(_texts(content))
    return ""


def _usage(call: Call, prompt: int, candidates: int) -> dict[str, int]:
    cached = call.int_header("x-mock-cached-tokens")
    thoughts = call.int_header("x-mock-reasoning-tokens")
    tool_use = call.int_header("x-mock-tool-use-prompt-tokens")
    usage = {"promptTokenCount": prompt + cached, "candidatesTokenCount": candidates}
    if cached:
        usage["cachedContentTokenCount"] = cached
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    if tool_use:
        usage["toolUsePromptTokenCount"] = tool_use
    usage["totalTokenCount"] = prompt + cached + candidates + thoughts + tool_use
    return usage


# --- generateContent ------------------------------------------------------------------------------------


def generate(call: Call, stream: bool = False) -> Reply | StreamReply:
    model = call.params["model"]
    body = call.body_dict()
    contents = _contents(body)
    config = body.get("generationConfig") or {}
    last_user = _last_user_text(contents)
    tool = call.tool_call_name()
    # A function's result sent back (automatic function calling) is answered with text, ending the loop.
    if tool and contents and not _has_function_response(contents[-1]):
        part: dict[str, Any] = {"functionCall": {"name": tool, "args": {"query": last_user}}}
        output = tokens.count_tokens(tokens.tool_arguments(last_user))
        pieces: list[str] = []
        finish = "STOP"
    else:
        json_answer = config.get("responseMimeType") == "application/json"
        text = call.reply_text(last_user, json_answer=json_answer)
        limit = config.get("maxOutputTokens")
        text, truncated = tokens.truncate(text, limit if isinstance(limit, int) else None)
        part = {"text": text}
        output = tokens.count_tokens(text)
        pieces = tokens.stream_pieces(text)
        finish = "MAX_TOKENS" if truncated else "STOP"
    prompt = _prompt_words(body, contents)
    header = {"modelVersion": model, "responseId": f"gemini-mock-{call.number}"}
    if stream:
        return StreamReply(list(_frames(call, header, part, pieces, prompt, output, finish)))
    candidate = {"content": {"role": "model", "parts": [part]}, "finishReason": finish, "index": 0}
    result = {"candidates": [candidate], "usageMetadata": _usage(call, prompt, output), **header}
    return Reply(result, output_tokens=output)


def _frames(
    call: Call,
    header: dict[str, Any],
    part: dict[str, Any],
    pieces: list[str],
    prompt: int,
    output: int,
    finish: str,
) -> Iterator[Frame]:
    """One chunk per word, each with the usage so far (cumulative, as Gemini sends it)."""
    if not pieces:  # a function call arrives whole
        candidate = {"content": {"role": "model", "parts": [part]}, "finishReason": finish, "index": 0}
        yield Frame(
            sse.encode({"candidates": [candidate], "usageMetadata": _usage(call, prompt, output), **header})
        )
        return
    for i, piece in enumerate(pieces, 1):
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": piece}]}, "index": 0}
        if i == len(pieces):
            candidate["finishReason"] = finish
            usage = _usage(call, prompt, output)
        else:
            usage = {"promptTokenCount": prompt, "candidatesTokenCount": i, "totalTokenCount": prompt + i}
        yield Frame(sse.encode({"candidates": [candidate], "usageMetadata": usage, **header}), token=True)


# --- countTokens and embeddings -------------------------------------------------------------------------


def count(call: Call) -> Reply:
    body = call.body_dict()
    inner = body.get("generateContentRequest")
    source = inner if isinstance(inner, dict) else body
    return Reply({"totalTokens": _prompt_words(source, _contents(body))})


def _dimensions(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else tokens.DEFAULT_EMBEDDING_DIMENSIONS


def _embedding(text: str, dimensions: int) -> list[float]:
    return tokens.embedding_vector(text, dimensions)


def embed_one(call: Call) -> Reply:
    body = call.body_dict()
    text = " ".join(_texts(body.get("content")))
    values = _embedding(text, _dimensions(body.get("outputDimensionality")))
    words = tokens.count_tokens(text)
    return Reply({"embedding": {"values": values}, "usageMetadata": {"promptTokenCount": words}})


def embed_batch(call: Call) -> Reply:
    requests = call.require("requests", list)
    embeddings = []
    for request in requests:
        request = request if isinstance(request, dict) else {}
        text = " ".join(_texts(request.get("content")))
        embeddings.append({"values": _embedding(text, _dimensions(request.get("outputDimensionality")))})
    return Reply({"embeddings": embeddings})


def predict(call: Call) -> Reply:
    """Vertex text-embedding models: ``instances[].content``, token counts in each prediction's statistics."""
    instances = call.require("instances", list)
    dimensions = _dimensions((call.body_dict().get("parameters") or {}).get("outputDimensionality"))
    predictions, characters = [], 0
    for instance in instances:
        text = instance.get("content") if isinstance(instance, dict) else None
        text = text if isinstance(text, str) else ""
        characters += len(text)
        statistics = {"token_count": tokens.count_tokens(text), "truncated": False}
        predictions.append({"embeddings": {"values": _embedding(text, dimensions), "statistics": statistics}})
    return Reply({"predictions": predictions, "metadata": {"billableCharacterCount": characters}})


def _stream(call: Call) -> StreamReply | Reply:
    return generate(call, True)


PROTOCOL = register(Protocol("gemini", error_reply=error_reply, owns=owns))
for _prefix in _PREFIXES:
    for _method, _handler in (
        ("generateContent", generate),
        ("streamGenerateContent", _stream),
        ("countTokens", count),
        ("embedContent", embed_one),
        ("batchEmbedContents", embed_batch),
        ("predict", predict),
    ):
        PROTOCOL.add("POST", _prefix + "{model}:" + _method, _handler)
