"""The core's conformance suite on the together client (1.x, 2.x and 3.x) against the mock."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import together

from opentelemetry.instrumentation.together import TogetherInstrumentor
from opentelemetry.semconv_ai.testing import Case, Conformance

MAJOR = int(importlib.metadata.version("together").split(".")[0])
MODEL = "meta-llama/Llama-3.3-70B-Instruct-Turbo"
HI_TEXT = "hi there"
HI = [{"role": "user", "content": HI_TEXT}]  # 2 tokens; "Mock reply: hi there" is 4


class TestTogetherConformance(Conformance):
    instrumentor = TogetherInstrumentor
    provider = "together"

    def client(self, mock: Any, *, is_async: bool, headers: dict[str, str]) -> Any:
        cls = together.AsyncTogether if is_async else together.Together
        base_url = mock.base_url("together") + ("" if MAJOR >= 3 else "/v1")  # 3.x adds /v1 itself
        headers_option = "supplied_headers" if MAJOR < 2 else "default_headers"
        return cls(base_url=base_url, api_key="test-key", max_retries=0, **{headers_option: headers})

    cases = [
        Case("chat", operation="chat", model=MODEL, input_tokens=2, output_tokens=4,
             call=lambda c: c.chat.completions.create(model=MODEL, messages=HI)),
        Case("chat_stream", operation="chat", model=MODEL, input_tokens=2, output_tokens=4, stream=True,
             call=lambda c: c.chat.completions.create(model=MODEL, messages=HI, stream=True)),
        Case("text", operation="text_completion", model="m-base", input_tokens=2, output_tokens=4,
             call=lambda c: c.completions.create(model="m-base", prompt="hi there")),
        Case("text_stream", operation="text_completion", model="m-base", input_tokens=2, output_tokens=4,
             stream=True, call=lambda c: c.completions.create(model="m-base", prompt=HI_TEXT, stream=True)),
        Case("embeddings", operation="embeddings", model="m-embed", input_tokens=2, output_tokens=None,
             captures_input=False, call=lambda c: c.embeddings.create(model="m-embed", input="hi there")),
    ]  # fmt: skip
