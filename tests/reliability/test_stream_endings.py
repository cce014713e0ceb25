"""Every way a stream can end ends the operation exactly once, and the caller's exception is untouched."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from typing import Any

import anthropic
import openai
import pytest
from reliability_support import API_KEY

from opentelemetry.semconv_ai.testing import Capture

MSG = [{"role": "user", "content": "one two three four five six"}]
CUT = {"x-mock-fail": "cut", "x-mock-cut-after": "2"}


def oa(mock: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=mock.openai_base_url, api_key=API_KEY, max_retries=0)


def an(mock: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=mock.anthropic_base_url, api_key=API_KEY, max_retries=0)


def requests(capture: Capture, **labels: Any) -> int:
    return int(capture.value("llm.requests", **labels))


def errors(capture: Capture, **labels: Any) -> int:
    return int(capture.value("llm.operation.errors", **labels))


def test_openai_broken_mid_stream(instrumented: Capture, mock_provider: Any) -> None:
    stream = oa(mock_provider).chat.completions.create(
        model="gpt-4o", messages=MSG, stream=True, extra_headers=CUT
    )
    seen = []
    with pytest.raises(openai.APIConnectionError) as caught:
        for chunk in stream:
            seen.append(chunk)
    assert caught.type is openai.APIConnectionError
    stream.close()
    assert len(seen) >= 2
    assert requests(instrumented, model="gpt-4o") == 1
    assert errors(instrumented, model="gpt-4o") == 1
    (span,) = instrumented.spans()
    assert span.attributes["error.type"] == "APIConnectionError"


def test_anthropic_broken_mid_stream(instrumented: Capture, mock_provider: Any) -> None:
    stream = an(mock_provider).messages.create(
        model="claude-x", max_tokens=50, messages=MSG, stream=True, extra_headers=CUT
    )
    with pytest.raises(Exception) as caught:
        for _ in stream:
            pass
    assert not isinstance(caught.value, AssertionError)
    assert requests(instrumented, model="claude-x") == 1
    assert errors(instrumented, model="claude-x") == 1


def test_closed_twice_and_iterated_after_close(instrumented: Capture, mock_provider: Any) -> None:
    stream = oa(mock_provider).chat.completions.create(model="gpt-4o", messages=MSG, stream=True)
    next(iter(stream))
    stream.close()
    stream.close()
    # What iterating a closed stream gives depends on how much of the body had arrived, with or
    # without instrumentation: the rest of the buffered chunks, or the SDK's own connection error.
    try:
        list(stream)
    except openai.APIConnectionError:
        pass
    assert requests(instrumented, model="gpt-4o") == 1
    assert errors(instrumented, model="gpt-4o") == 0
    assert len(instrumented.spans()) == 1


def test_abandoned_unreferenced_streams_are_finalised_silently(
    instrumented: Capture, mock_provider: Any
) -> None:
    def abandon() -> None:
        stream = oa(mock_provider).chat.completions.create(model="gpt-4o", messages=MSG, stream=True)
        next(iter(stream))
        stream2 = an(mock_provider).messages.create(model="claude-x", max_tokens=9, messages=MSG, stream=True)
        next(iter(stream2))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        abandon()
        gc.collect()
    ours = [w for w in caught if "opentelemetry" in str(w.filename) or "semconv" in str(w.message)]
    assert ours == []
    assert requests(instrumented, model="gpt-4o") == 1
    assert requests(instrumented, model="claude-x") == 1


def test_streams_from_threads_each_end_once(instrumented: Capture, mock_provider: Any) -> None:
    client = oa(mock_provider)

    def worker(i: int) -> None:
        stream = client.chat.completions.create(model="gpt-4o", messages=MSG, stream=True)
        for n, _ in enumerate(stream):
            if i % 3 == 0 and n == 1:
                break  # abandoned
        if i % 2 == 0:
            stream.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gc.collect()
    assert requests(instrumented, model="gpt-4o") == 24
    assert len(instrumented.spans()) == 24


def test_async_streams_every_ending(instrumented: Capture, mock_provider: Any) -> None:
    async def main() -> None:
        client = openai.AsyncOpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)
        full = await client.chat.completions.create(model="gpt-4o", messages=MSG, stream=True)
        assert len([c async for c in full]) > 2
        early = await client.chat.completions.create(model="gpt-4o", messages=MSG, stream=True)
        async for _ in early:
            break
        await early.close()
        await early.close()
        cut = await client.chat.completions.create(
            model="gpt-4o", messages=MSG, stream=True, extra_headers=CUT
        )
        with pytest.raises(openai.APIConnectionError):
            async for _ in cut:
                pass
        async with anthropic.AsyncAnthropic(
            base_url=mock_provider.anthropic_base_url, api_key=API_KEY, max_retries=0
        ).messages.stream(model="claude-x", max_tokens=20, messages=MSG) as stream:
            async for _ in stream.text_stream:
                break
        await client.close()

    asyncio.run(main())
    assert requests(instrumented, model="gpt-4o") == 3
    assert errors(instrumented, model="gpt-4o") == 1
    assert requests(instrumented, model="claude-x") == 1
    assert len(instrumented.spans()) == 4
