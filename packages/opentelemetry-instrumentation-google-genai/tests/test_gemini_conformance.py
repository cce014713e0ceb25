"""The core's provider conformance suite, on google-genai against the mock's Gemini routes."""

from __future__ import annotations

import asyncio
from typing import Any

from google import genai

from opentelemetry.instrumentation.google_genai import GoogleGenAIInstrumentor
from opentelemetry.semconv_ai import names
from opentelemetry.semconv_ai.testing import Capture, Case, Conformance
from opentelemetry.trace import StatusCode

MODEL = "gemini-2.5-flash"
HI = {"model": "models/gemini-2.5-flash", "contents": "hi there"}  # 2 tokens; the reply 4


class _Models:
    """`client.models` or `client.aio.models`, keeping the client alive (a dropped one closes its HTTP)."""

    def __init__(self, client: genai.Client, is_async: bool) -> None:
        self.client = client
        self.models = client.aio.models if is_async else client.models

    def close(self) -> None:
        close = getattr(self.client, "close", None)  # google-genai 1.0 has none
        if callable(close):
            close()


class TestGeminiConformance(Conformance):
    instrumentor = GoogleGenAIInstrumentor
    provider = names.GCP_GEMINI
    cases = [
        Case("generate", names.GENERATE_CONTENT, MODEL, lambda c: c.models.generate_content(**HI), 2, 4),
        Case(
            "stream",
            names.GENERATE_CONTENT,
            MODEL,
            lambda c: c.models.generate_content_stream(**HI),
            2,
            4,
            stream=True,
        ),
    ]

    def client(self, mock: Any, *, is_async: bool, headers: dict[str, str]) -> Any:
        options = {"base_url": mock.url, "headers": headers}
        return _Models(genai.Client(api_key="test-key", http_options=options), is_async)

    def test_stream_closed(self, mock_provider: Any, capture: Capture, case: Case, mode: str) -> None:
        """An async stream closed after its first chunk: `aclose()` closes the SDK's outer generator, and
        asyncio closes the inner ones (the instrumented request among them) on a later turn of the loop,
        so the operation ends then; here when `asyncio.run()` finalizes the loop's generators."""
        if mode == "sync":
            super().test_stream_closed(mock_provider, capture, case, mode)
            return

        async def main() -> None:
            client = self.client(mock_provider, is_async=True, headers={})  # kept: a dropped one closes
            stream = await case.call(client)
            async for _ in stream:
                await stream.aclose()
                break

        asyncio.run(main())
        span = self.one_span(capture, case)
        assert span.status.status_code is not StatusCode.ERROR
        self.assert_counted(capture, case)
