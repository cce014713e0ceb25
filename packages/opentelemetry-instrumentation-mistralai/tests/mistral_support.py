"""Shared by this package's tests (a unique module name: every package's tests run in one session)."""

from __future__ import annotations

import asyncio
import importlib.metadata
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry.semconv_ai.testing import Capture

try:  # mistralai 2.0 moved the SDK under mistralai.client
    from mistralai.client import Mistral
except ImportError:  # mistralai 1.x
    from mistralai import Mistral  # type: ignore[no-redef,attr-defined]

MAJOR = int(importlib.metadata.version("mistralai").split(".")[0])
MODEL = "mistral-small-latest"
USER = [{"role": "user", "content": "hello there world"}]  # 3 tokens; the reply "Mock reply: ..." 5
TTFC = "gen_ai.client.operation.time_to_first_chunk"

__all__ = [
    "MAJOR",
    "MODEL",
    "TTFC",
    "USER",
    "Mistral",
    "client_with_headers",
    "llm",
    "one_span",
    "run",
    "tokens",
]


def llm(operation: str = "chat", model: str = MODEL) -> dict[str, str]:
    return {"model": model, "provider": "mistral_ai", "operation": operation, "workflow": ""}


def tokens(capture: Capture, token_type: str, operation: str = "chat", model: str = MODEL) -> float:
    return capture.value("llm.tokens.usage", {**llm(operation, model), "token_type": token_type})


one_span = Capture.one_span  # one_span(capture): the one span exported


def run(body: Callable[[], Awaitable[Any]], client: Any = None) -> Any:
    """Run an async test body; `client`'s async connections are closed in the same event loop."""

    async def main() -> Any:
        try:
            return await body()
        finally:
            if client is not None:
                await client.sdk_configuration.async_client.aclose()

    return asyncio.run(main())


def client_with_headers(server_url: str, headers: dict[str, str]) -> Any:
    """A client that sends `headers` on every call (mistralai 1.0 has no per-call `http_headers`)."""
    import httpx

    return Mistral(
        api_key="test-key",
        server_url=server_url,
        client=httpx.Client(headers=headers),
        async_client=httpx.AsyncClient(headers=headers),
    )
