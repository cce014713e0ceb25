"""The core's conformance suite, through LiteLLM's OpenAI route (the openai SDK underneath)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import litellm
import pytest
from litellm_support import stop_litellm_worker

from opentelemetry.instrumentation.litellm import LiteLLMInstrumentor
from opentelemetry.semconv_ai.testing import Case, Conformance

USER = [{"role": "user", "content": "hi there"}]  # 2 input tokens; the reply has 4


class Client:
    """LiteLLM has no client: this one calls its functions against the mock with fixed headers."""

    def __init__(self, mock: Any, is_async: bool, headers: dict[str, str]) -> None:
        self.base, self.is_async, self.headers = mock.openai_base_url, is_async, headers

    def call(self, name: str, **kwargs: Any) -> Any:
        function = getattr(litellm, ("a" if self.is_async else "") + name)
        return function(
            api_base=self.base, api_key="sk-test", extra_headers=self.headers, num_retries=0, **kwargs
        )

    def close(self) -> None:
        pass


class TestLiteLLMConformance(Conformance):
    instrumentor = LiteLLMInstrumentor
    provider = "openai"
    cases = [
        Case("chat", operation="chat", model="gpt-4o-mini", input_tokens=2, output_tokens=4,
             call=lambda c: c.call("completion", model="openai/gpt-4o-mini", messages=USER)),
        Case("chat_stream", operation="chat", model="gpt-4o-mini", input_tokens=2, output_tokens=4,
             stream=True,
             call=lambda c: c.call("completion", model="openai/gpt-4o-mini", messages=USER, stream=True,
                                   stream_options={"include_usage": True})),
        Case("embeddings", operation="embeddings", model="text-embedding-3-small", input_tokens=2,
             output_tokens=None, call=lambda c: c.call("embedding", model="openai/text-embedding-3-small",
                                                       input="hi there")),
    ]  # fmt: skip

    def client(self, mock: Any, *, is_async: bool, headers: dict[str, str]) -> Any:
        return Client(mock, is_async, headers)

    @pytest.fixture(autouse=True)
    def _stop_litellm_worker(self) -> Iterator[None]:
        yield
        loop = self._state().loop
        if not loop.is_closed():
            loop.run_until_complete(stop_litellm_worker())

    def test_stream_closed(self, mock_provider: Any, capture: Any, case: Case, mode: str) -> None:
        if not hasattr(litellm.CustomStreamWrapper, "close"):
            pytest.skip("older LiteLLM streams have no close()")
        super().test_stream_closed(mock_provider, capture, case, mode)

    def patched(self) -> list[tuple[str, str, str]]:
        return [("litellm", "main", "completion"), ("litellm", "main", "embedding")]
