"""Faults: streams dropped half-read, copied or pickled behave as they do bare, and an exporter's
SystemExit (or any BaseException but the caller's own interrupt) never escapes into the LLM call."""

from __future__ import annotations

import asyncio
import copy
import gc
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import openai
import pytest
from reliability_support import API_KEY, Toggle

from opentelemetry import trace
from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.semconv_ai.testing import Capture

MSG = [{"role": "user", "content": "one two three four five six seven eight"}]


def dropped_half_read(mock: Any, kind: str) -> tuple[list[str], bool]:
    """Read one chunk of an async stream, drop it; what asyncio reports, and whether its response closed."""
    reported: list[str] = []

    async def main() -> bool:
        asyncio.get_running_loop().set_exception_handler(
            lambda loop, ctx: reported.append(f"{ctx['message']}: {ctx.get('exception')!r}")
        )
        if kind == "openai":
            client: Any = openai.AsyncOpenAI(base_url=mock.openai_base_url, api_key=API_KEY, max_retries=0)
            stream = await client.chat.completions.create(model="gpt-4o", messages=MSG, stream=True)
        else:
            client = anthropic.AsyncAnthropic(
                base_url=mock.anthropic_base_url, api_key=API_KEY, max_retries=0
            )
            stream = await client.messages.create(model="claude-x", max_tokens=50, messages=MSG, stream=True)
        async for _ in stream:
            break
        response = stream.response
        del stream
        gc.collect()
        for _ in range(20):
            await asyncio.sleep(0.005)
        return response.is_closed

    closed = asyncio.run(main())
    gc.collect()
    return reported, closed


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_an_async_stream_dropped_half_read_closes_quietly(
    toggle: Toggle, mock_provider: Any, kind: str
) -> None:
    """main: asyncio reported "aclose(): asynchronous generator is already running" at loop shutdown in
    every run, and the response stayed open until a later collection."""
    toggle.on()
    try:
        for _ in range(3):
            reported, closed = dropped_half_read(mock_provider, kind)
            assert reported == []
            assert closed
    finally:
        toggle.off()
    assert toggle.capture.value("llm.requests") == 3


def copied_and_pickled(mock: Any, kind: str) -> tuple[str, str]:
    if kind == "openai":
        client: Any = openai.OpenAI(base_url=mock.openai_base_url, api_key=API_KEY, max_retries=0)
        stream = client.chat.completions.create(model="gpt-4o", messages=MSG, stream=True)
    else:
        client = anthropic.Anthropic(base_url=mock.anthropic_base_url, api_key=API_KEY, max_retries=0)
        stream = client.messages.create(model="claude-x", max_tokens=50, messages=MSG, stream=True)

    def attempt(fn: Callable[[], Any]) -> str:
        try:
            return type(fn()).__name__
        except BaseException as exc:  # RecursionError on main, so catch everything
            return type(exc).__name__

    outcomes = (
        attempt(lambda: copy.copy(stream)),
        attempt(lambda: pickle.dumps(stream)),
    )
    for _ in stream:
        pass
    stream.close()
    return outcomes


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_copying_or_pickling_a_stream_behaves_as_bare(toggle: Toggle, mock_provider: Any, kind: str) -> None:
    bare = copied_and_pickled(mock_provider, kind)
    toggle.on()
    try:
        instrumented = copied_and_pickled(mock_provider, kind)
    finally:
        toggle.off()
    assert instrumented == bare
    assert "RecursionError" not in instrumented


class Raising(SpanExporter):
    """Raises a new instance each time: a kept one would keep its traceback's frames alive."""

    def __init__(self, exc: type[BaseException]) -> None:
        self.exc = exc

    def export(self, spans: Any) -> SpanExportResult:
        raise self.exc()

    def shutdown(self) -> None:
        pass


class Custom(BaseException):
    pass


@pytest.fixture
def raising_provider() -> Iterator[Callable[[type[BaseException]], TracerProvider]]:
    made: list[TracerProvider] = []
    instrumentor = OpenAIInstrumentor()
    capture = Capture()
    saved = trace._TRACER_PROVIDER

    def make(exc: type[BaseException]) -> TracerProvider:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(Raising(exc)))  # disable_batch=True
        instrumentor.instrument(tracer_provider=provider, meter_provider=capture.meter_provider)
        trace._TRACER_PROVIDER = provider  # the decorators use the global provider
        made.append(provider)
        return provider

    yield make
    instrumentor.uninstrument()
    trace._TRACER_PROVIDER = saved
    capture.shutdown()


@pytest.mark.parametrize("exc", [SystemExit, Custom, GeneratorExit])
def test_an_exporters_base_exception_never_escapes_into_the_call(
    raising_provider: Callable[[type[BaseException]], TracerProvider],
    mock_provider: Any,
    exc: type[BaseException],
) -> None:
    from openllmetry import workflow

    raising_provider(exc)
    client = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)

    @workflow(name="w")
    def run() -> str:
        reply = client.chat.completions.create(model="gpt-4o", messages=MSG)
        stream = client.chat.completions.create(model="gpt-4o", messages=MSG, stream=True)
        return reply.choices[0].message.content + "".join(
            c.choices[0].delta.content or "" for c in stream if c.choices
        )

    assert run().startswith("Mock reply")


def test_the_callers_own_interrupt_still_propagates(
    raising_provider: Callable[[type[BaseException]], TracerProvider], mock_provider: Any
) -> None:
    raising_provider(KeyboardInterrupt)
    client = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)
    with pytest.raises(KeyboardInterrupt):
        client.chat.completions.create(model="gpt-4o", messages=MSG)
