"""The instrumentation's own time per stream chunk, timed in place inside real SDK streams.

    uv run python bench/chunk_path.py [--streams 50]

`make bench` measures the added CPU per chunk in real SDK streams (`chunk_pairs.py`). This diagnostic
instead times the core's per-chunk hook (`Observer.chunk`: the clock, the count, the provider's chunk
handler until it goes quiet) with the thread CPU clock around each call, minus the clock's own cost,
averaged over every chunk (the sync proxy does a quiet handler's part inline, without the hook).
The second number is the whole proxy path: the same real chunks (parsed by the SDK once, then hot in
the CPU caches) stepped through the core's stream proxy and chunk handler, minus stepping through them
bare; SDK parsing and the stream's end are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import canned
from setups import SETUPS
from worker import MARKER


def clock_cost(samples: int = 200_000) -> float:
    """Nanoseconds that one timing (two clock reads) adds."""
    clock = time.thread_time_ns
    start = clock()
    for _ in range(samples):
        clock()
        clock()
    return (clock() - start) / samples / 2


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--content", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("OTEL_EXPORTER_PROMETHEUS_PORT", "0")
    SETUPS["ours"](args.content)
    from opentelemetry.semconv_ai import stream

    spent = [0, 0]
    hook = stream.Observer.chunk
    clock = time.thread_time_ns

    def timed(self: stream.Observer, chunk: object) -> None:
        start = clock()
        hook(self, chunk)
        spent[0] += clock() - start
        spent[1] += 1

    stream.Observer.chunk = timed  # type: ignore[method-assign]
    call = canned.make_call("openai_stream_200")
    for _ in range(10):
        call()
    overhead = clock_cost()
    results = []
    for rounds in range(3):
        spent[:] = [0, 0]
        for _ in range(args.streams):
            call()
        # Over every chunk: once a handler is quiet, the sync proxy does the observer's part inline.
        chunks = args.streams * canned.STREAM_CHUNKS["openai_stream_200"]
        per_chunk = (spent[0] - spent[1] * overhead) / chunks
        results.append(per_chunk / 1000)
        print(f"round {rounds + 1}: {per_chunk / 1000:.2f} µs per chunk in Observer.chunk ({spent[1]} calls)")
    path = proxy_path()
    print(f"whole proxy path: {min(path):.2f} µs per chunk (best of {len(path)} rounds)")
    result = {"status": "ok", "per_chunk_us": results, "proxy_path_us": path, "content": args.content}
    print(MARKER + json.dumps(result))


def proxy_path(rounds: int = 3, streams: int = 500) -> list[float]:
    """µs per chunk that the stream proxy, the observer and the chunk handler add, on real chunks."""
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor, adapter
    from opentelemetry.semconv_ai import Request, names

    client = canned.client_for("openai_stream_200")
    options = {"include_usage": True}
    create = client.chat.completions.create
    chunks = list(
        create(model=canned.CHAT_MODEL, messages=canned.MESSAGES, stream=True, stream_options=options)
    )
    count = range(len(chunks))
    telemetry = OpenAIInstrumentor().telemetry
    surface = adapter.ChatCompletions()
    clock = time.thread_time_ns

    class Stream:  # stands in for the SDK's stream object: iterating it costs next to nothing
        def __iter__(self) -> object:
            return iter(chunks)

        def close(self) -> None:
            pass

    def instrumented() -> int:
        op = telemetry.start(names.CHAT, Request(canned.CHAT_MODEL, names.OPENAI, stream=True))
        op.detach()
        proxy = op.stream(Stream(), surface.chunks(op))
        step = proxy.__next__
        start = clock()
        for _ in count:
            step()
        spent = clock() - start
        for _ in proxy:  # the end (span, metrics) is not per chunk: left out of the timing
            pass
        return spent

    def bare() -> int:
        step = iter(Stream()).__next__
        start = clock()
        for _ in count:
            step()
        return clock() - start

    out = []
    for _ in range(rounds):
        on = min(instrumented() for _ in range(streams))
        off = min(bare() for _ in range(streams))
        out.append((on - off) / len(chunks) / 1000)
    return out


if __name__ == "__main__":
    main()
