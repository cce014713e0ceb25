"""Test helpers: real openai clients over loopback against the mock provider, in-memory providers."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import openai

from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture

API_KEY = "sk-test-0123456789abcdefghij"


def has(module: str, name: str, method: str | None = None) -> bool:
    """Whether this openai version has a surface (tests of missing ones are skipped)."""
    try:
        owner = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return False
    return method is None or method in owner.__dict__


HAS_RESPONSES = has("openai.resources.responses", "Responses", "create")
HAS_RESPONSES_PARSE = has("openai.resources.responses", "Responses", "parse")
HAS_CHAT_PARSE = has("openai.resources.chat.completions", "Completions", "parse")
HAS_BETA_PARSE = has("openai.resources.beta.chat.completions", "Completions", "parse")
HAS_CHAT_HELPER = has("openai.resources.chat.completions", "Completions", "stream") or HAS_BETA_PARSE
HAS_STREAMING_RESPONSE = has("openai.resources.chat.completions", "Completions", "with_streaming_response")


def accepted(owner: type, method: str, **kwargs: Any) -> dict[str, Any]:
    """The keyword arguments this openai version's method takes (old ones lack newer parameters)."""
    parameters = inspect.signature(getattr(owner, method)).parameters
    return {key: value for key, value in kwargs.items() if key in parameters}


CHAT = importlib.import_module("openai.resources.chat.completions").Completions
HAS_TOOLS = bool(accepted(CHAT, "create", tools=[]))


def with_usage(include: bool = True) -> dict[str, Any]:
    """Ask a stream for usage, as a parameter where the SDK has it, else through extra_body."""
    option = {"include_usage": include}
    return accepted(CHAT, "create", stream_options=option) or {"extra_body": {"stream_options": option}}


def status_error_type(exc: Any, code: str) -> str:
    """openai < 1.4 keeps no error body on the exception: error.type is then the HTTP status."""
    return code if getattr(exc, "body", None) is not None else str(exc.status_code)


def instrument(**kwargs: Any) -> Iterator[Capture]:
    capture = Capture()
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider, **kwargs
    )
    try:
        yield capture
    finally:
        instrumentor.uninstrument()
        capture.shutdown()
        config.reset()


def make_client(base_url: str, is_async: bool, **kwargs: Any) -> Any:
    cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    return cls(base_url=base_url, api_key=API_KEY, max_retries=kwargs.pop("max_retries", 0), **kwargs)


def run(client: Any, body: Callable[[], Awaitable[Any]]) -> Any:
    """Run a test body written once for both clients; async clients are closed in the same loop."""

    async def main() -> Any:
        try:
            return await body()
        finally:
            if isinstance(client, openai.AsyncOpenAI):
                await client.close()

    return asyncio.run(main())


async def call(value: Any) -> Any:
    """The result of an SDK call, sync or async."""
    return await value if inspect.isawaitable(value) else value


async def drain(stream: Any, limit: int | None = None) -> list[Any]:
    items: list[Any] = []
    if hasattr(stream, "__aiter__"):
        async for item in stream:
            items.append(item)
            if limit is not None and len(items) >= limit:
                break
    else:
        for item in stream:
            items.append(item)
            if limit is not None and len(items) >= limit:
                break
    return items


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


only_span = Capture.one_span  # only_span(capture): the one span exported


def llm(operation: str = "chat", model: str = "gpt-4o", provider: str = "openai") -> dict[str, str]:
    return {"model": model, "provider": provider, "operation": operation, "workflow": ""}


def tokens(capture: Capture, token_type: str, **labels: Any) -> float:
    return capture.value("llm.tokens.usage", {**llm(**labels), "token_type": token_type})


def no_tokens(capture: Capture) -> bool:
    return not capture.metrics().get("llm.tokens.usage") and not capture.metrics().get(
        "gen_ai.client.token.usage"
    )
