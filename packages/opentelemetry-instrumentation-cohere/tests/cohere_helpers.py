"""Shared by this package's tests (a unique module name: every package's tests run in one session)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import cohere
import pytest

from llm_mock import MockProvider
from opentelemetry.semconv_ai.testing import Capture, llm_labels

MODEL = "command-r"  # priced by genai-prices: $0.15 / $0.60 per million tokens
USER_TEXT = "hello there world"
USER = [{"role": "user", "content": USER_TEXT}]  # 3 tokens; "Mock reply: hello there world" is 5
PREAMBLE = 7
# The output messages of a call with `x-mock-tool-call: lookup` on USER, streamed or not (first request).
TOOL_CALL_OUTPUT = [
    {
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": "I will call lookup."},
            {
                "type": "tool_call",
                "id": "call_mock_1",
                "name": "lookup",
                "arguments": {"query": "hello there world"},
            },
        ],
        "finish_reason": "tool_call",
    }
]
HAS_OUTPUT_DIMENSION = (
    "output_dimension" in inspect.signature(cohere.ClientV2.embed).parameters
)  # the mock's usage.tokens adds these to the input, as Cohere's preamble does


def llm(operation: str = "chat", model: str = MODEL) -> dict[str, str]:
    return llm_labels("cohere", operation, model)


def tokens(capture: Capture, token_type: str, operation: str = "chat", model: str = MODEL) -> float:
    return capture.value("llm.tokens.usage", {**llm(operation, model), "token_type": token_type})


def genai_tokens(capture: Capture, token_type: str) -> tuple[int, float]:
    """(count, sum) of `gen_ai.client.token.usage` for one token type."""
    return capture.token_usage(token_type, "cohere")


one_span = Capture.one_span  # one_span(capture): the one span exported


def headers(**values: str) -> dict[str, Any]:
    """`request_options` sending mock headers, with no retries."""
    return {
        "additional_headers": {f"x-mock-{k.replace('_', '-')}": v for k, v in values.items()},
        "max_retries": 0,
    }


def error_message(exc: Exception) -> Any:
    """The `message` of a Cohere error body (a dict, or a model in older SDKs)."""
    body = getattr(exc, "body", None)
    return body.get("message") if isinstance(body, dict) else getattr(body, "message", None)


# cohere before 5.16 catches GeneratorExit in its stream generators: closing one raises, and one
# collected half-read reports "Exception ignored", with or without the instrumentation.
OLD_STREAM_CLOSE = tuple(int(p) for p in cohere.__version__.split(".")[:2]) < (5, 16)
SDK_STREAM_CLOSE_MARK = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@contextlib.contextmanager
def ignoring_generator_exit() -> Iterator[None]:
    """Older cohere streams catch GeneratorExit with a bare `except`, so closing one raises
    RuntimeError, instrumented or not; the instrumentation must still end the operation."""
    try:
        yield
    except RuntimeError as exc:
        if "ignored GeneratorExit" not in str(exc):
            raise


def call(mode: str, mock: MockProvider, method: str, **kwargs: Any) -> Any:
    """`ClientV2().<method>(**kwargs)` on a sync client, or awaited on an async one in its own loop."""
    if mode == "sync":
        return getattr(cohere.ClientV2(api_key="test-key", base_url=mock.url), method)(**kwargs)

    async def main() -> Any:
        client = cohere.AsyncClientV2(api_key="test-key", base_url=mock.url)
        return await getattr(client, method)(**kwargs)

    return asyncio.run(main())


def stream(
    mode: str, mock: MockProvider, stop: Callable[[list[Any]], bool] | None = None, **kwargs: Any
) -> list[Any]:
    """Reads `chat_stream(**kwargs)` (until `stop(events)` says so, then closes it); returns the events."""
    events: list[Any] = []
    if mode == "sync":
        generator = cohere.ClientV2(api_key="test-key", base_url=mock.url).chat_stream(**kwargs)
        for event in generator:
            events.append(event)
            if stop is not None and stop(events):
                with ignoring_generator_exit():
                    generator.close()
                break
        return events

    async def main() -> None:
        generator = cohere.AsyncClientV2(api_key="test-key", base_url=mock.url).chat_stream(**kwargs)
        async for event in generator:
            events.append(event)
            if stop is not None and stop(events):
                with ignoring_generator_exit():
                    await generator.aclose()
                break

    asyncio.run(main())
    return events
