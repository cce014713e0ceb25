"""Shared by this package's tests (a unique module name: every package's tests run in one session)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import anthropic

from llm_mock import MockProvider
from opentelemetry.semconv_ai.testing import Capture

# anthropic 2.x traces its own calls; the tests point that tracing at the same in-memory provider.
NATIVE_TRACING = "open_telemetry" in inspect.signature(anthropic.Anthropic.__init__).parameters
MODEL = "claude-test"
USER = [
    {"role": "user", "content": "hello there world"}
]  # 3 tokens; the reply "Mock reply: hello there world" is 5


def client_options(mock: MockProvider, capture: Capture | None) -> dict[str, Any]:
    options: dict[str, Any] = {
        "base_url": mock.anthropic_base_url,
        "api_key": "sk-ant-test-key",
        "max_retries": 0,
    }
    if NATIVE_TRACING and capture is not None:
        options["open_telemetry"] = {"tracer_provider": capture.tracer_provider}
    return options


def llm(operation: str = "chat", model: str = MODEL, provider: str = "anthropic") -> dict[str, str]:
    """The `llm_*` label set of an operation outside any workflow."""
    return {"model": model, "provider": provider, "operation": operation, "workflow": ""}


def tokens(capture: Capture, token_type: str, operation: str = "chat") -> float:
    name = "llm.tokens.usage" if token_type in ("input", "output") else "llm.tokens.details"
    return capture.value(name, {**llm(operation), "token_type": token_type})


def one_span(capture: Capture) -> Any:
    spans = capture.spans()
    assert [s.name for s in spans] == [spans[0].name], [s.name for s in spans]
    return spans[0]


def method(client: Any, path: str) -> Any:
    """`client.messages.create` for the path "messages.create"."""
    target = client
    for name in path.split("."):
        target = getattr(target, name)
    return target


def has(path: str) -> bool:
    """Whether the installed SDK has this method (the oldest supported SDK lacks some)."""
    target: Any = anthropic.Anthropic(api_key="unused", base_url="http://127.0.0.1:9")
    for name in path.split("."):
        target = getattr(target, name, None)
        if target is None:
            return False
    return True


def run_async(options: dict[str, Any], fn: Callable[[anthropic.AsyncAnthropic], Awaitable[Any]]) -> Any:
    """Runs `fn` with an async client made in a fresh event loop."""

    async def main() -> Any:
        async with anthropic.AsyncAnthropic(**options) as client:
            return await fn(client)

    return asyncio.run(main())
