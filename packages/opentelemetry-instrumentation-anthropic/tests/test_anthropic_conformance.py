"""The core's provider conformance suite, on the anthropic SDK against the mock's Anthropic routes."""

from __future__ import annotations

from typing import Any

import anthropic

from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
from opentelemetry.semconv_ai import names
from opentelemetry.semconv_ai.testing import Case, Conformance

MODEL = "claude-test"
HI = {"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": "hi there"}]}


class TestAnthropicConformance(Conformance):
    instrumentor = AnthropicInstrumentor
    provider = names.ANTHROPIC
    cases = [
        Case("messages", names.CHAT, MODEL, lambda c: c.messages.create(**HI), 2, 4),
        Case(
            "messages_stream",
            names.CHAT,
            MODEL,
            lambda c: c.messages.create(**HI, stream=True),
            2,
            4,
            stream=True,
        ),
        Case("stream_manager", names.CHAT, MODEL, lambda c: c.messages.stream(**HI), 2, 4, stream=True),
    ]

    def client(self, mock: Any, *, is_async: bool, headers: dict[str, str]) -> Any:
        cls = anthropic.AsyncAnthropic if is_async else anthropic.Anthropic
        return cls(base_url=mock.anthropic_base_url, api_key="test", max_retries=0, default_headers=headers)
