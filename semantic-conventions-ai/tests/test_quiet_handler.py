"""A chunk handler that goes quiet (`on_chunk` returns True) sees the rest of the stream's tail at the end."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from opentelemetry.semconv_ai import Request, Telemetry, names, observe
from opentelemetry.semconv_ai.testing import Capture


class Quiet:
    """Quiet after `after` chunks; records what it is shown and when."""

    def __init__(self, op: Any, after: int) -> None:
        self.op, self.after = op, after
        self.seen: list[int] = []
        self.ended_with: list[int] | None = None

    def on_chunk(self, chunk: int) -> bool:
        self.seen.append(chunk)
        return len(self.seen) >= self.after

    def on_end(self) -> None:
        self.ended_with = list(self.seen)
        self.op.set_usage(input_tokens=1, output_tokens=self.seen[-1])


def run(capture: Capture, chunks: int, after: int, *, close_after: int | None = None) -> Quiet:
    op = Telemetry("t", capture.tracer_provider, capture.meter_provider).start(
        names.CHAT, Request("m-1", "acme", stream=True)
    )
    op.detach()
    handler = Quiet(op, after)
    stream = op.stream((n for n in range(1, chunks + 1)), handler)
    for got, _ in enumerate(stream, 1):
        if got == close_after:
            stream.close()
            break
    return handler


@pytest.mark.parametrize(
    ("chunks", "after", "shown"),
    [
        (10, 2, [1, 2, 8, 9, 10]),  # the middle skipped, the last three shown at the end
        (4, 2, [1, 2, 3, 4]),  # fewer than three after going quiet: each shown once
        (2, 1, [1, 2]),
        (1, 1, [1]),
        (5, 9, [1, 2, 3, 4, 5]),  # never quiet: every chunk, once
    ],
)
def test_a_quiet_handler_sees_the_last_chunks_once_and_in_order(
    capture: Capture, chunks: int, after: int, shown: list[int]
) -> None:
    handler = run(capture, chunks, after)
    assert handler.ended_with == shown
    (span,) = capture.spans()
    assert span.attributes["gen_ai.usage.output_tokens"] == chunks
    assert capture.count("gen_ai.client.operation.time_to_first_chunk") == 1
    assert capture.count("gen_ai.client.operation.time_per_output_chunk") == (1 if chunks > 1 else 0)


def test_closing_a_quiet_stream_early_shows_the_chunks_read_so_far(capture: Capture) -> None:
    handler = run(capture, 100, 1, close_after=6)
    assert handler.ended_with == [1, 4, 5, 6]


def test_a_quiet_observed_iterator_and_an_async_stream_alike(capture: Capture) -> None:
    telemetry = Telemetry("t", capture.tracer_provider, capture.meter_provider)
    op = telemetry.start(names.CHAT, Request("m-1", "acme", stream=True))
    op.detach()
    handler = Quiet(op, 1)
    assert sum(observe(iter(range(1, 8)), op.observer(handler))) == 28
    assert handler.ended_with == [1, 5, 6, 7]

    async def numbers() -> Any:
        for n in range(1, 8):
            yield n

    async def read() -> list[int]:
        op2 = telemetry.start(names.CHAT, Request("m-1", "acme", stream=True))
        op2.detach()
        async_handler = Quiet(op2, 3)
        assert [n async for n in op2.stream(numbers(), async_handler)] == list(range(1, 8))
        return async_handler.ended_with or []

    assert asyncio.run(read()) == [1, 2, 3, 5, 6, 7]
    assert [s.attributes["gen_ai.usage.output_tokens"] for s in capture.spans()] == [7, 7]


def test_a_stream_without_a_handler_is_still_counted_and_timed(capture: Capture) -> None:
    op = Telemetry("t", capture.tracer_provider, capture.meter_provider).start(
        names.CHAT, Request("m-1", "acme", stream=True)
    )
    op.detach()
    assert list(op.stream(iter([1, 2, 3]))) == [1, 2, 3]
    assert capture.count("gen_ai.client.operation.time_to_first_chunk") == 1
    assert capture.count("gen_ai.client.operation.time_per_output_chunk") == 1
