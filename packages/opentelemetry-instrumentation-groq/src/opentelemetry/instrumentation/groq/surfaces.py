"""Groq's surfaces: the core's OpenAI-compatible ones, reading a stream's usage where Groq puts it."""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv_ai import names
from opentelemetry.semconv_ai.openai_compat import ChatCompletions, Embeddings
from opentelemetry.semconv_ai.safe import field


class Chat(ChatCompletions):
    def usage_of(self, chunk: Any) -> Any:
        """Groq sends a stream's usage in the last chunk's `x_groq.usage`; `usage` (a usage chunk of its
        own) only with `stream_options`."""
        return field(chunk, "usage") or field(field(chunk, "x_groq"), "usage")


CHAT = Chat(names.GROQ)
EMBEDDINGS = Embeddings(names.GROQ)
