"""The core's conformance suite on the mistralai client (1.x and 2.x/3.x layouts) against the mock."""

from __future__ import annotations

from typing import Any

from mistral_support import MAJOR, client_with_headers

from opentelemetry.instrumentation.mistralai import METHODS, MistralAIInstrumentor
from opentelemetry.semconv_ai.testing import Case, Conformance

MODEL = "mistral-small-latest"
CODESTRAL = "codestral-latest"
HI = [{"role": "user", "content": "hi there"}]  # 2 tokens; "Mock reply: hi there" is 4
LAYOUT = "mistralai.client" if MAJOR >= 2 else "mistralai"


def call(client: Any, resource: str, method: str, **kwargs: Any) -> Any:
    """`client.<resource>.<method>` in the client's form (`complete` or `complete_async`, ...)."""
    return getattr(getattr(client, resource), method + ("_async" if client.is_async else ""))(**kwargs)


class TestMistralConformance(Conformance):
    instrumentor = MistralAIInstrumentor
    provider = "mistral_ai"

    def client(self, mock: Any, *, is_async: bool, headers: dict[str, str]) -> Any:
        # One client object has both forms (`complete` / `complete_async`); mistralai 1.0 takes headers
        # only through its httpx clients (and builds async requests with the sync one).
        client = client_with_headers(mock.base_url("mistral"), headers)
        client.is_async = is_async
        http = client.sdk_configuration.async_client if is_async else client.sdk_configuration.client
        client.close = http.aclose if is_async else http.close  # what the suite calls at the end
        return client

    def patched(self) -> list[tuple[str, str, str]]:
        return [
            (f"{LAYOUT}.{module}", owner, name)
            for module, owner, method, _ in METHODS
            for name in (method, method + "_async")
        ]

    cases = [
        Case("chat", operation="chat", model=MODEL, input_tokens=2, output_tokens=4,
             call=lambda c: call(c, "chat", "complete", model=MODEL, messages=HI)),
        Case("chat_stream", operation="chat", model=MODEL, input_tokens=2, output_tokens=4, stream=True,
             call=lambda c: call(c, "chat", "stream", model=MODEL, messages=HI)),
        Case("fim", operation="text_completion", model=CODESTRAL, input_tokens=2, output_tokens=4,
             call=lambda c: call(c, "fim", "complete", model=CODESTRAL, prompt="hi there")),
        Case("fim_stream", operation="text_completion", model=CODESTRAL, input_tokens=2, output_tokens=4,
             stream=True, call=lambda c: call(c, "fim", "stream", model=CODESTRAL, prompt="hi there")),
        Case("embeddings", operation="embeddings", model="mistral-embed", input_tokens=2, output_tokens=None,
             call=lambda c: call(c, "embeddings", "create", model="mistral-embed", inputs="hi there")),
    ]  # fmt: skip
