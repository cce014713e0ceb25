"""Rows that only concern this project: the /metrics scrape at high cardinality, and memory over many calls.

    python bench/core_rows.py scrape
    python bench/core_rows.py memory [--real] [--calls 200000]

Each runs `openllmetry.init()` with a Prometheus reader and a counting no-op span exporter, and prints
one `BENCH_RESULT {json}` line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import traceback
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

from setups import INIT_KWARGS_ENV, CountingExporter, drain_evaluators
from worker import background_ready, emit, rss_bytes

MODELS = 50
PROVIDERS = ("openai", "anthropic")
OPERATIONS = ("chat", "text_completion", "embeddings", "generate_content")
# Calls go far faster than real LLM calls; flushing like an exporter that keeps up stops the span
# queue's high-water mark from showing up as resident memory.
FLUSH_EVERY = 512


def _init() -> tuple[Any, CountingExporter]:
    import openllmetry
    from opentelemetry.exporter.prometheus import PrometheusMetricReader

    reader = PrometheusMetricReader()
    exporter = CountingExporter()
    extra = json.loads(os.environ.get(INIT_KWARGS_ENV) or "{}")
    openllmetry.init(app_name="bench", metric_readers=[reader], exporter=exporter, **extra)
    return reader, exporter


class _EveryModelPriced:
    """Prices every model, so the cost series exist for every label set (the scrape's worst case)."""

    def cost(self, provider: str, model: str, usage: Any, on_ready: Any) -> float:
        return 0.000123


def _fill(telemetry: Any) -> None:
    """One label set per provider x operation x model, each with a priced, streamed and a failed call."""
    from opentelemetry.semconv_ai import Request

    for provider in PROVIDERS:
        host = f"api.{provider}.com"
        for operation in OPERATIONS:
            for index in range(MODELS):
                model = f"{provider}-model-{index:02d}"
                request = Request(model, provider, server_address=host, server_port=443)
                op = telemetry.start(operation, request)
                op.set_response(model=model, response_id="r", finish_reasons=["stop"])
                op.streaming = True
                observer = op.observer(None)
                for _ in range(3):
                    observer.chunk(None)
                op.set_usage(input_tokens=120, output_tokens=40, cache_read=20, reasoning=5)
                observer.end(None)
                failed = telemetry.start(operation, request)
                failed.fail(RuntimeError("rate limited"), "rate_limit_exceeded")


def scrape(rounds: int) -> dict[str, Any]:
    """/metrics at 400 label sets: the exposition rendered from the core's store, and over HTTP."""
    from openllmetry import endpoint
    from opentelemetry.semconv_ai import Telemetry, set_pricer
    from opentelemetry.semconv_ai.exposition import Renderer
    from opentelemetry.semconv_ai.metrics import global_store

    _init()
    set_pricer(_EveryModelPriced())
    _fill(Telemetry("bench.scrape"))
    drain_evaluators()  # their quality-score series belong in the scrape too
    store = global_store()
    renderer = Renderer()
    started = time.process_time()
    body = renderer.render(store.entries())
    cold = time.process_time() - started
    families: dict[str, list[int]] = {}
    for line in body.splitlines():
        if line and not line.startswith(b"#"):
            counted = families.setdefault("gen_ai" if line.startswith(b"gen_ai") else "llm", [0, 0])
            counted[0] += 1
            counted[1] += len(line) + 1
    series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    cpu, wall = [], []
    for _ in range(rounds):
        gc.collect()
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        renderer.render(store.entries())
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    http, http_cpu = [], []
    server = endpoint.current_server()
    if server is not None:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        for _ in range(rounds):
            time.sleep(1.0)  # the server spaces renders; a scrape every second is Prometheus-like
            start, start_cpu = time.perf_counter(), time.process_time()
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()
            http.append(time.perf_counter() - start)
            http_cpu.append(time.process_time() - start_cpu)
    label_sets = MODELS * len(OPERATIONS) * len(PROVIDERS)
    return {"status": "ok", "label_sets": label_sets, "series": series, "bytes": len(body),
            "cpu": cpu, "wall": wall, "http": http, "http_cpu": http_cpu, "cold_cpu": cold,
            "families": families}  # fmt: skip


# -- memory ----------------------------------------------------------------------------------------------


class _RateLimited(Exception):
    status_code = 429


class _FakeChat:
    """An SDK-shaped method patched through the core's Patcher: the cheap path for 200,000 calls."""

    def create(self, *, model: str, stream: bool = False, fail: bool = False) -> Any:
        if fail:
            raise _RateLimited("rate limited")
        if stream:
            return iter([{"text": "a"}, {"text": "b"}, {"text": "c"}, {"text": "d"}, {"usage": (31, 4)}])
        return {"model": model, "id": "chatcmpl-1", "usage": (31, 16)}


def _fake_surface() -> Any:
    from opentelemetry.semconv_ai import Request, Surface

    class Chunks:
        __slots__ = ("op", "usage")

        def __init__(self, op: Any) -> None:
            self.op = op
            self.usage = None

        def on_chunk(self, chunk: Any) -> None:
            self.usage = chunk.get("usage", self.usage)

        def on_end(self) -> None:
            if self.usage is not None:
                self.op.set_usage(input_tokens=self.usage[0], output_tokens=self.usage[1])

    class Chat(Surface):
        operation = "chat"

        def request(self, instance: Any, args: Any, kwargs: dict[str, Any]) -> Request:
            return Request(kwargs.get("model"), "openai", server_address="api.openai.com", server_port=443)

        def response(self, op: Any, result: Any) -> Any:
            if isinstance(result, Iterator):
                return op.stream(result, Chunks(op))
            op.set_response(model=result["model"], response_id=result["id"], finish_reasons=["stop"])
            op.set_usage(input_tokens=result["usage"][0], output_tokens=result["usage"][1])
            return result

    return Chat()


def _fake_calls() -> list[Callable[[], Any]]:
    """Ten calls: six whole responses, two streams read to the end, one abandoned stream, one failure."""
    from opentelemetry.semconv_ai import Patcher, Telemetry

    Patcher(Telemetry("bench.memory")).patch(_FakeChat, "create", _fake_surface())
    client = _FakeChat()

    def whole() -> Any:
        return client.create(model="gpt-4o-mini")

    def stream() -> Any:
        return sum(1 for _ in client.create(model="gpt-4o-mini", stream=True))

    def abandoned() -> Any:
        chunks = client.create(model="gpt-4o-mini", stream=True)
        return next(chunks)

    def failure() -> Any:
        try:
            client.create(model="gpt-4o-mini", fail=True)
        except _RateLimited:
            pass

    return [whole] * 6 + [stream, stream, abandoned, failure]


def _real_calls() -> list[Callable[[], Any]]:
    """Ten calls through the real SDKs over the canned transport, one abandoned OpenAI stream among them."""
    import canned

    chat = canned.make_call("openai_chat")
    message = canned.make_call("anthropic_message")
    streaming = canned.client_for("openai_stream_20")

    def abandoned() -> Any:
        chunks = streaming.chat.completions.create(
            model=canned.CHAT_MODEL, messages=canned.MESSAGES, stream=True
        )
        return next(iter(chunks))

    rest = [canned.make_call(w) for w in ("openai_embeddings", "openai_stream_20", "anthropic_stream")]
    return [chat, chat, chat, message, message, *rest, abandoned, chat]


def _snapshot(flush: Callable[[], Any]) -> dict[str, int]:
    flush()
    gc.collect()
    return {"rss": rss_bytes(), "objects": len(gc.get_objects()), "blocks": sys.getallocatedblocks()}


def memory(total: int, checkpoint: int, real: bool) -> dict[str, Any]:
    from opentelemetry import trace

    _, exporter = _init()
    background_ready()  # the price catalog loads once, in the background: not growth
    provider = trace.get_tracer_provider()

    def flush() -> None:
        provider.force_flush()
        drain_evaluators()

    calls = _real_calls() if real else _fake_calls()
    done = 0
    points: dict[int, dict[str, int]] = {}
    started = time.perf_counter()
    # Points in between show whether any growth is a leak (steady) or warm-up (early, then flat).
    targets = sorted({1000, checkpoint, *range(checkpoint, total, max(1, (total - checkpoint) // 4)), total})
    for target in targets:
        while done < target:
            calls[done % len(calls)]()
            done += 1
            if done % FLUSH_EVERY == 0:
                flush()
        points[target] = _snapshot(flush)
    first, last = points[checkpoint], points[total]
    return {
        "status": "ok", "path": "real SDK calls" if real else "core Patcher on a fake SDK method",
        "calls": total, "checkpoint": checkpoint, "seconds": time.perf_counter() - started,
        "rss_growth": last["rss"] - first["rss"], "objects_growth": last["objects"] - first["objects"],
        "blocks_growth": last["blocks"] - first["blocks"],
        "rss_at_checkpoint": first["rss"], "rss_at_end": last["rss"], "spans": exporter.spans,
        "rss_growth_by_calls": {str(t): points[t]["rss"] - first["rss"] for t in targets if t >= checkpoint},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=("scrape", "memory"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--checkpoint", type=int, default=10_000)
    parser.add_argument("--real", action="store_true", help="memory: real SDK calls instead of the core path")
    args = parser.parse_args()
    try:
        result = (
            scrape(args.rounds) if args.mode == "scrape" else memory(args.calls, args.checkpoint, args.real)
        )
    except Exception as exc:
        traceback.print_exc()
        result = {"status": f"error: {type(exc).__name__}: {exc}"}
    result["mode"] = args.mode
    emit(result)


if __name__ == "__main__":
    main()
