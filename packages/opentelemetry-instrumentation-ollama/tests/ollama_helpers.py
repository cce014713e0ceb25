"""Shared by this package's tests (a unique module name: every package's tests run in one session)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import ollama

from llm_mock import MockProvider
from opentelemetry.semconv_ai.testing import Capture, llm_labels

MODEL = "llama3.2"
# Parameters the oldest supported client (0.3) lacks.
THINKS = "think" in inspect.signature(ollama.Client.chat).parameters
HAS_DIMENSIONS = "dimensions" in inspect.signature(ollama.Client.embed).parameters
USER = [{"role": "user", "content": "hello there world"}]  # 3 tokens; "Mock reply: hello there world" is 5


def llm(operation: str = "chat", model: str = MODEL) -> dict[str, str]:
    return llm_labels("ollama", operation, model)


def tokens(capture: Capture, token_type: str, operation: str = "chat", model: str = MODEL) -> float:
    return capture.value("llm.tokens.usage", {**llm(operation, model), "token_type": token_type})


def genai_tokens(capture: Capture, token_type: str) -> tuple[int, float]:
    """(count, sum) of `gen_ai.client.token.usage` for one token type."""
    return capture.token_usage(token_type, "ollama")


one_span = Capture.one_span  # one_span(capture): the one span exported


def attributes(capture: Capture) -> dict[str, Any]:
    return dict(one_span(capture).attributes or {})


def call(mode: str, mock: MockProvider, method: str, *args: Any, headers: dict[str, str] | None = None,
         **kwargs: Any) -> Any:  # fmt: skip
    """`Client(host=mock).<method>(...)`, or awaited on an `AsyncClient` in its own event loop.

    A streamed call is read to the end; the chunks are returned as a list.
    """
    options: dict[str, Any] = {"host": mock.url}
    if headers:
        options["headers"] = headers
    if mode == "sync":
        result = getattr(ollama.Client(**options), method)(*args, **kwargs)
        return list(result) if kwargs.get("stream") else result

    async def main() -> Any:
        result = await getattr(ollama.AsyncClient(**options), method)(*args, **kwargs)
        return [chunk async for chunk in result] if kwargs.get("stream") else result

    return asyncio.run(main())


def read_until(
    mode: str, mock: MockProvider, stop: Callable[[list[Any]], bool], *args: Any, **kwargs: Any
) -> list[Any]:
    """Streams `chat(*args, stream=True)` until `stop(chunks)`, then closes the stream."""
    chunks: list[Any] = []
    if mode == "sync":
        stream = ollama.Client(host=mock.url).chat(*args, stream=True, **kwargs)
        for chunk in stream:
            chunks.append(chunk)
            if stop(chunks):
                stream.close()
                break
        return chunks

    async def main() -> None:
        stream = await ollama.AsyncClient(host=mock.url).chat(*args, stream=True, **kwargs)
        async for chunk in stream:
            chunks.append(chunk)
            if stop(chunks):
                await stream.aclose()
                break

    asyncio.run(main())
    return chunks
