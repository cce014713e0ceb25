"""The core's conformance suite on the groq client against the mock's Groq protocol."""

from __future__ import annotations

from typing import Any

import groq

from opentelemetry.instrumentation.groq import GroqInstrumentor
from opentelemetry.semconv_ai.testing import Case, Conformance

MODEL = "llama-3.1-8b-instant"
EMBED = "nomic-embed-text-v1.5"
HI = [{"role": "user", "content": "hi there"}]  # 2 tokens; "Mock reply: hi there" is 4


class TestGroqConformance(Conformance):
    instrumentor = GroqInstrumentor
    provider = "groq"

    def client(self, mock: Any, *, is_async: bool, headers: dict[str, str]) -> Any:
        cls = groq.AsyncGroq if is_async else groq.Groq
        return cls(base_url=mock.base_url("groq"), api_key="gsk-test", max_retries=0, default_headers=headers)

    cases = [
        Case("chat", operation="chat", model=MODEL, input_tokens=2, output_tokens=4,
             call=lambda c: c.chat.completions.create(model=MODEL, messages=HI)),
        Case("chat_stream", operation="chat", model=MODEL, input_tokens=2, output_tokens=4, stream=True,
             call=lambda c: c.chat.completions.create(model=MODEL, messages=HI, stream=True)),
        Case("embeddings", operation="embeddings", model=EMBED, input_tokens=2, output_tokens=None,
             captures_input=False, call=lambda c: c.embeddings.create(model=EMBED, input="hi there")),
    ]  # fmt: skip
