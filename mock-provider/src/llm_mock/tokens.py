"""Deterministic token counting and canned reply text.

Every number the mock server reports follows from the rules below, so tests can assert exact values.

Tokens
    ``count_tokens(text) == len(text.split())``: one token per whitespace-separated word.

Input tokens (the sum of ``count_tokens`` over these texts; nothing else counts, so tool definitions,
function names, roles, images and tool-call arguments sent back to the model are free)
    OpenAI chat completions: every message's ``content`` when it is a string, or the ``text`` of each of its
        content parts when it is a list.
    OpenAI legacy completions: each prompt string; a token-id list counts its length.
    OpenAI embeddings: each input string; a token-id list counts its length.
    OpenAI responses: ``instructions``; ``input`` when it is a string, else for each input item its
        ``content`` string or the ``text`` of its content parts, and the ``output`` string of
        ``function_call_output`` items.
    OpenAI images: the ``prompt``.
    Anthropic messages and count_tokens: ``system`` (string or text blocks), then for every message its
        string content or the ``text`` of its text blocks and the text of ``tool_result`` blocks (their string
        content or their text blocks). For messages, the text of a block carrying ``cache_control`` is moved
        out of ``input_tokens``: into ``cache_creation_input_tokens`` the first time this server sees that
        exact text, into ``cache_read_input_tokens`` afterwards (``x-mock-cache: read|write|none`` forces it;
        ``none`` counts it as plain input). count_tokens counts everything as input.
    Anthropic legacy complete: the ``prompt``.

Reply text
    ``"Mock reply: " + <last user text>``, whitespace-normalised (words joined by single spaces) so that a
    stream of words re-joins to the exact reply. The last user text is the text (parts joined by a space) of
    the last message whose role is ``user`` (responses: a string ``input``; legacy completions: each prompt,
    a token-id prompt reading as its ids joined by spaces; Anthropic legacy complete: the text after the last
    ``Human:`` turn).
    With a JSON response format (chat ``response_format`` json_object/json_schema, responses ``text.format``
    json_object/json_schema, Anthropic ``output_format``/``output_config.format``) the reply becomes
    ``json.dumps({"answer": <reply>})``.
    The ``x-mock-reply`` header replaces all of this: its value (whitespace-normalised, never JSON-wrapped)
    is the reply.
    A word limit (``max_tokens``, ``max_completion_tokens``, ``max_output_tokens``,
    ``max_tokens_to_sample``) then keeps the first N words and marks the result truncated.

Output tokens
    ``count_tokens(reply)`` per choice (times ``n`` for OpenAI ``n`` > 1), plus ``x-mock-reasoning-tokens``.
    A tool call (header ``x-mock-tool-call: NAME``) replies with arguments
    ``json.dumps({"query": <last user text>})`` and its output tokens are ``count_tokens(arguments)``.
    An Anthropic ``thinking`` block holds ``"Mock thinking: " + <last user text>``; its words add to the
    output tokens too.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Iterable

REPLY_PREFIX = "Mock reply: "
THINKING_PREFIX = "Mock thinking: "
DEFAULT_EMBEDDING_DIMENSIONS = 8


def count_tokens(text: str) -> int:
    """Number of whitespace-separated words in ``text``."""
    return len(text.split())


def sum_tokens(texts: Iterable[str]) -> int:
    return sum(count_tokens(t) for t in texts)


def normalize(text: str) -> str:
    """Collapse all whitespace runs to single spaces and strip the ends."""
    return " ".join(text.split())


def default_reply(last_user_text: str) -> str:
    return normalize(REPLY_PREFIX + last_user_text)


def thinking_text(last_user_text: str) -> str:
    return normalize(THINKING_PREFIX + last_user_text)


def as_json_answer(reply: str) -> str:
    return json.dumps({"answer": reply}, ensure_ascii=False)


def tool_arguments(last_user_text: str) -> str:
    return json.dumps({"query": last_user_text}, ensure_ascii=False)


def truncate(text: str, max_words: int | None) -> tuple[str, bool]:
    """Keep the first ``max_words`` words; returns (text, truncated)."""
    words = text.split()
    if max_words is None or max_words < 0 or len(words) <= max_words:
        return text, False
    return " ".join(words[:max_words]), True


def stream_pieces(text: str) -> list[str]:
    """Split a normalised text into per-word stream deltas whose concatenation equals ``text``."""
    words = text.split()
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def split_in_two(text: str) -> list[str]:
    """Two pieces (for streamed tool arguments); concatenation equals ``text``."""
    middle = len(text) // 2
    return [text[:middle], text[middle:]]


def embedding_vector(key: str, dimensions: int) -> list[float]:
    """Unit-length vector derived from a SHA-256 stream of ``key``, rounded to float32 values.

    Rounding to float32 makes the float and base64 encodings decode to identical numbers.
    """
    raw: list[float] = []
    block = 0
    while len(raw) < dimensions:
        digest = hashlib.sha256(f"{block}:{key}".encode()).digest()
        for (value,) in struct.iter_unpack("<H", digest):
            raw.append(value / 32767.5 - 1.0)
        block += 1
    raw = raw[:dimensions]
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    return [struct.unpack("<f", struct.pack("<f", v / norm))[0] for v in raw]
