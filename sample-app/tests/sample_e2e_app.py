"""The instrumented application that test_prometheus_e2e.py runs as a subprocess.

It serves /metrics on OTEL_EXPORTER_PROMETHEUS_PORT and talks to its own mock provider. Protocol on
stdout/stdin: it makes one warm-up call per series (so every series exists before Prometheus first
scrapes it), prints "ready", waits for "go", runs WORKLOAD rounds of the sample apps, prints "done",
and exits when stdin closes.
"""

from __future__ import annotations

import asyncio
import sys
import time

import openllmetry
from llm_mock import MockProvider
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from sample_app import anthropic_cache, assistant, backends, fanout, retrieval, streaming

LATENCY_MS = 50
ROUNDS = 10
PAUSE_S = 0.1
ASSISTANT_QUESTION = "How do I read a p95 latency panel?"
STREAM_PROMPT = "Explain time to first token in one paragraph."
CACHE_QUESTION = "Where do I see refund errors?"
RAG_QUESTION = "What should I do when the indexer queue grows?"
UNPRICED_MODEL = "acme-llm-1"
FANOUT_TICKETS = fanout.TICKETS[:2]


def assistant_fails(round_: int) -> str | None:
    return "500" if round_ % 5 == 4 else None


def anthropic_fails(round_: int) -> str | None:
    return "429" if round_ == 3 else None


def run_round(round_: int | None) -> None:
    """One round of the workload; None is the warm-up (no failures, one fan-out ticket)."""
    openai_client = backends.openai_client(max_retries=0)
    anthropic_client = backends.anthropic_client(max_retries=0)
    fail_openai = assistant_fails(round_) if round_ is not None else None
    fail_anthropic = anthropic_fails(round_) if round_ is not None else None
    try:
        headers = {"x-mock-fail": fail_openai} if fail_openai else {}
        assistant.run_assistant(openai_client, ASSISTANT_QUESTION, extra_headers=headers)
    except Exception:
        assert fail_openai, "only the injected failures may fail"
    streaming.stream_openai(openai_client, STREAM_PROMPT, model="gpt-4.1-nano")
    try:
        headers = {"x-mock-fail": fail_anthropic} if fail_anthropic else {}
        anthropic_cache.ask(anthropic_client, CACHE_QUESTION, model="claude-haiku-4-5", extra_headers=headers)
    except Exception:
        assert fail_anthropic, "only the injected failures may fail"
    if round_ is None or round_ % 2 == 0:
        retrieval.answer(openai_client, RAG_QUESTION, model="gpt-4o")
    if round_ is None or round_ % 2 == 1:
        tickets = FANOUT_TICKETS[:1] if round_ is None else FANOUT_TICKETS
        for result in asyncio.run(fanout.run(tickets, model=UNPRICED_MODEL)):
            assert isinstance(result, str), result


def main() -> None:
    with MockProvider(latency_ms=LATENCY_MS) as mock:
        backends.use_mock_server(mock)
        openllmetry.init("e2e-app", metric_readers=[PrometheusMetricReader()])
        try:
            run_round(None)
            print("ready", flush=True)
            if sys.stdin.readline().strip() != "go":
                return
            for round_ in range(ROUNDS):
                run_round(round_)
                if round_ < ROUNDS - 1:
                    time.sleep(PAUSE_S)
            print("done", flush=True)
            sys.stdin.read()
        finally:
            openllmetry.shutdown()


if __name__ == "__main__":
    main()
