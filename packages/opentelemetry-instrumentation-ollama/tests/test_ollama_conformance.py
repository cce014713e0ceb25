"""The core's provider conformance suite, on the ollama client against the mock's Ollama routes."""

from __future__ import annotations

from typing import Any

import ollama

from opentelemetry.instrumentation.ollama import OllamaInstrumentor
from opentelemetry.semconv_ai import names
from opentelemetry.semconv_ai.testing import Case, Conformance

MODEL = "llama3.2"
HI = [{"role": "user", "content": "hi there"}]
EMBEDDER = "nomic-embed-text"


class TestOllamaConformance(Conformance):
    instrumentor = OllamaInstrumentor
    provider = "ollama"
    cases = [
        Case("chat", names.CHAT, MODEL, lambda c: c.chat(MODEL, HI), 2, 4),
        Case("chat_stream", names.CHAT, MODEL, lambda c: c.chat(MODEL, HI, stream=True), 2, 4, stream=True),
        Case("generate", names.TEXT_COMPLETION, MODEL, lambda c: c.generate(MODEL, "hi there"), 2, 4),
        Case(
            "generate_stream",
            names.TEXT_COMPLETION,
            MODEL,
            lambda c: c.generate(MODEL, "hi there", stream=True),
            2,
            4,
            stream=True,
        ),
        Case(
            "embed",
            names.EMBEDDINGS,
            EMBEDDER,
            lambda c: c.embed(EMBEDDER, "hi there"),
            2,
            None,
            captures_input=False,
        ),
        Case(
            "embeddings",
            names.EMBEDDINGS,
            EMBEDDER,
            lambda c: c.embeddings(EMBEDDER, "hi there"),
            None,
            None,
            captures_input=False,
        ),
    ]

    def client(self, mock: Any, *, is_async: bool, headers: dict[str, str]) -> Any:
        return (ollama.AsyncClient if is_async else ollama.Client)(host=mock.url, headers=dict(headers))
