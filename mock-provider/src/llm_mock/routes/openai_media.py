"""OpenAI's embeddings and image generation (and the mock's own image files)."""

from __future__ import annotations

import base64
import struct
import time
import zlib
from typing import Any

from .. import tokens
from ..exchange import ApiError, Call, Reply
from .openai import PROTOCOL, choice_count, is_token_ids, token_ids_text


def embeddings(call: Call) -> Reply:
    body = call.body_dict()
    model = call.require("model", str)
    raw = body.get("input")
    if isinstance(raw, str) or (is_token_ids(raw) and raw):
        inputs = [raw]
    elif isinstance(raw, list) and raw and all(isinstance(i, str) or is_token_ids(i) for i in raw):
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
        text = item if isinstance(item, str) else token_ids_text(item)
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
    n = choice_count(call)
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


PROTOCOL.add("POST", "/v1/embeddings", embeddings)
PROTOCOL.add("POST", "/v1/images/generations", images_generations)
PROTOCOL.add("GET", "/v1/mock-images/{name:path}", image_file)
