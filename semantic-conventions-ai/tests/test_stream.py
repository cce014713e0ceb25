from __future__ import annotations

import asyncio
import gc
import threading

import pytest
from core_fakes import FakeClient, FakeStream, FakeSurface, Handler

from opentelemetry.semconv_ai import Patcher, Request, Surface, Telemetry, names, observe
from opentelemetry.semconv_ai.testing import Capture

LLM = {"model": "m-1", "provider": "acme", "operation": "chat", "workflow": ""}


def ended(cap: Capture) -> int:
    return int(cap.value("llm.requests", LLM))


def test_exhausted_stream_ends_once_with_chunk_timings(instrumented: Capture) -> None:
    stream = FakeClient().create(stream=True, chunks=5)
    assert list(stream) == [0, 1, 2, 3, 4]
    assert list(stream) == []
    stream.close()
    assert ended(instrumented) == 1
    (span,) = instrumented.spans()
    assert span.attributes["gen_ai.usage.output_tokens"] == 5
    assert instrumented.count("gen_ai.client.operation.time_to_first_chunk") == 1
    assert instrumented.count("gen_ai.client.operation.time_per_output_chunk") == 1
    assert instrumented.value("llm.tokens.usage", LLM, token_type="output") == 5


def test_abandoned_stream_closed_early_keeps_usage_so_far(instrumented: Capture) -> None:
    stream = FakeClient().create(stream=True, chunks=5)
    for _ in stream:
        break
    stream.close()
    stream.close()
    assert ended(instrumented) == 1
    assert instrumented.spans()[0].attributes["gen_ai.usage.output_tokens"] == 1
    assert instrumented.value("llm.operation.errors", LLM) == 0


def test_context_manager_exit_ends_the_operation(instrumented: Capture) -> None:
    with FakeClient().create(stream=True, chunks=5) as stream:
        next(iter(stream))
        assert stream.response == "http-response"  # the SDK object's attributes still work
        assert isinstance(stream, FakeStream)
    assert ended(instrumented) == 1


def test_error_mid_stream_fails_once_and_propagates(capture: Capture) -> None:
    class CutSurface(Surface):
        def request(self, instance, args, kwargs):  # type: ignore[no-untyped-def]
            return Request("m-1", "acme")

        def response(self, op, result):  # type: ignore[no-untyped-def]
            return op.stream(FakeStream(5, fail_at=2), Handler(op))

    patcher = Patcher(Telemetry("t", capture.tracer_provider, capture.meter_provider))
    patcher.patch(FakeClient, "create", CutSurface())
    try:
        stream = FakeClient().create(stream=True)
        with pytest.raises(ConnectionError):
            list(stream)
        stream.close()
    finally:
        patcher.restore()
    (span,) = capture.spans()
    assert span.attributes["error.type"] == "ConnectionError"
    assert capture.value("llm.operation.errors", {**LLM, "model": "m-1"}) == 1


def test_garbage_collected_stream_is_finalised_without_warnings(
    instrumented: Capture, recwarn: pytest.WarningsRecorder
) -> None:
    stream = FakeClient().create(stream=True, chunks=5)
    next(stream)
    del stream
    gc.collect()
    assert ended(instrumented) == 1
    assert len(recwarn) == 0


def test_never_iterated_stream_ends_on_close(instrumented: Capture) -> None:
    FakeClient().create(stream=True).close()
    assert ended(instrumented) == 1
    assert instrumented.count("gen_ai.client.operation.time_to_first_chunk") == 0


def test_async_stream_all_endings(instrumented: Capture) -> None:
    async def main() -> None:
        stream = await FakeClient().acreate(stream=True, chunks=4)
        assert [c async for c in stream] == [0, 1, 2, 3]
        stream = await FakeClient().acreate(stream=True, chunks=4)
        async for _ in stream:
            break
        await stream.close()
        await stream.close()

    asyncio.run(main())
    assert ended(instrumented) == 2


def test_concurrent_close_from_threads_ends_once(instrumented: Capture) -> None:
    stream = FakeClient().create(stream=True, chunks=5)
    next(stream)
    threads = [threading.Thread(target=stream.close) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ended(instrumented) == 1
    assert len(instrumented.spans()) == 1


def test_observe_for_sdk_objects_that_iterate_internally(capture: Capture) -> None:
    telemetry = Telemetry("t", capture.tracer_provider, capture.meter_provider)
    op = telemetry.start(names.CHAT, Request("m-1", "acme"))
    op.detach()
    source = observe(iter([1, 2, 3]), op.observer(Handler(op)))
    assert sum(source) == 6
    assert ended(capture) == 1
    assert capture.spans()[0].attributes["gen_ai.usage.output_tokens"] == 3


def test_an_async_generator_method_is_not_awaited(capture: Capture) -> None:
    """`async def` with `yield` (cohere's AsyncV2Client.chat_stream): calling it returns the stream."""

    class Generating:
        async def stream(self, **kwargs: object) -> object:
            for chunk in range(3):
                yield chunk

    patcher = Patcher(Telemetry("test.scope", capture.tracer_provider, capture.meter_provider))
    assert patcher.patch(Generating, "stream", FakeSurface(), is_async=True)

    async def main() -> list[object]:
        return [chunk async for chunk in Generating().stream(model="m-1")]

    try:
        assert asyncio.run(main()) == [0, 1, 2]
    finally:
        patcher.restore()
    assert ended(capture) == 1
    assert capture.count("gen_ai.client.operation.time_to_first_chunk") == 1
