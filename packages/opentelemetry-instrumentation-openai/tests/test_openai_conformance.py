"""The core's provider conformance suite, on the openai SDK against the mock's OpenAI routes."""

from __future__ import annotations

import inspect
from typing import Any

import openai

from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.semconv_ai import names
from opentelemetry.semconv_ai.testing import Case, Conformance

HI = [{"role": "user", "content": "hi there"}]  # 2 tokens; the reply "Mock reply: hi there" is 4
USAGE = {"include_usage": True}
# openai before 1.26 has no `stream_options` argument: the same request body goes through `extra_body`.
_ACCEPTS = inspect.signature(openai.resources.chat.Completions.create).parameters
STREAM_USAGE: dict[str, Any] = (
    {"stream_options": USAGE} if "stream_options" in _ACCEPTS else {"extra_body": {"stream_options": USAGE}}
)


class TestOpenAIConformance(Conformance):
    instrumentor = OpenAIInstrumentor
    provider = names.OPENAI
    cases = [
        Case(
            "chat",
            names.CHAT,
            "gpt-4o-mini",
            lambda c: c.chat.completions.create(model="gpt-4o-mini", messages=HI),
            2,
            4,
        ),
        Case(
            "chat_stream",
            names.CHAT,
            "gpt-4o-mini",
            lambda c: c.chat.completions.create(
                model="gpt-4o-mini", messages=HI, stream=True, **STREAM_USAGE
            ),
            2,
            4,
            stream=True,
        ),
        Case(
            "completion",
            names.TEXT_COMPLETION,
            "gpt-3.5-turbo-instruct",
            lambda c: c.completions.create(model="gpt-3.5-turbo-instruct", prompt="hi there"),
            2,
            4,
        ),
        Case(
            "embeddings",
            names.EMBEDDINGS,
            "text-embedding-3-small",
            lambda c: c.embeddings.create(model="text-embedding-3-small", input="hi there"),
            2,
            None,
            captures_input=False,
        ),
    ]

    def client(self, mock: Any, *, is_async: bool, headers: dict[str, str]) -> Any:
        cls = openai.AsyncOpenAI if is_async else openai.OpenAI
        return cls(base_url=mock.openai_base_url, api_key="test", max_retries=0, default_headers=headers)

    def patched(self) -> list[tuple[str, str, str]]:
        return [
            (module, prefix + owner, method)
            for module, owner, method in (
                ("openai.resources.chat.completions", "Completions", "create"),
                ("openai.resources.completions", "Completions", "create"),
                ("openai.resources.embeddings", "Embeddings", "create"),
            )
            for prefix in ("", "Async")
        ]
