"""Before/after numbers for the hardening work (issue 12); not part of `make bench`.

    uv run python bench/hardening.py [all|echo|workflows-3000|workflows-12000|prices]

Run it with another checkout's interpreter (`/path/to/main/.venv/bin/python bench/hardening.py`) for
the "before" numbers: it only uses APIs that main has. Each row prints one JSON line.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from typing import Any


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def instrumented() -> tuple[Any, Any, Any]:
    from prometheus_client import CollectorRegistry

    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

    registry = CollectorRegistry()
    meter_provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    OpenAIInstrumentor().instrument(tracer_provider=TracerProvider(), meter_provider=meter_provider)
    return registry, meter_provider, OpenAIInstrumentor()


def scrape(registry: Any) -> tuple[int, float]:
    from prometheus_client import generate_latest

    started = time.perf_counter()
    size = len(generate_latest(registry))
    return size, time.perf_counter() - started


def echo() -> dict[str, Any]:
    """100 distinct 100 kB model names, echoed back as the response model."""
    import openai

    from llm_mock.server import MockProvider
    from opentelemetry.semconv_ai import pricing

    pricing.set_pricer(pricing.NoPrices())
    registry, _, _ = instrumented()
    with MockProvider() as mock:
        client = openai.OpenAI(base_url=mock.openai_base_url, api_key="k", max_retries=0)
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        size_before, _ = scrape(registry)
        rss_before = rss_mb()
        for i in range(100):
            name = f"echo-{i}-" + "x" * 100_000
            body = {
                "id": "c",
                "object": "chat.completion",
                "created": 1,
                "model": name,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
            }
            mock.enqueue(body=body)
            client.chat.completions.create(model=name, messages=[{"role": "user", "content": "hi"}])
        size, seconds = scrape(registry)
        gc.collect()
    return {
        "row": "echoed 100 x 100 kB model names",
        "metrics_bytes_before": size_before,
        "metrics_bytes_after": size,
        "scrape_s": round(seconds, 3),
        "rss_growth_mb": round(rss_mb() - rss_before, 1),
    }


def workflows(count: int) -> dict[str, Any]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.semconv_ai import Request, Telemetry, enter_workflow, exit_workflow, pricing

    pricing.set_pricer(pricing.NoPrices())
    reader = InMemoryMetricReader()
    telemetry = Telemetry("bench", TracerProvider(), MeterProvider(metric_readers=[reader]))

    def call(workflow: str) -> None:
        token = enter_workflow(workflow)
        try:
            op = telemetry.start(
                "chat", Request("gpt-4o", "openai", server_address="api.openai.com", server_port=443)
            )
            op.set_response(model="gpt-4o")
            op.set_usage(input_tokens=3, output_tokens=1)
            op.end()
        finally:
            exit_workflow(token)

    for i in range(200):  # warm up: SDK aggregations, caches
        call(f"warm-{i}")
    reader.collect()
    gc.collect()
    before = rss_mb()
    for i in range(count):
        call(f"workflow-{i:06d}")
    data = reader.get_metrics_data()
    gc.collect()
    exported = set()
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name == "llm.requests":
                    exported |= {p.attributes.get("workflow") for p in metric.data.data_points}
    return {
        "row": f"{count} distinct workflow names",
        "exported_workflow_values": len(exported),
        "rss_growth_mb": round(rss_mb() - before, 1),
    }


def prices(count: int) -> dict[str, Any]:
    from opentelemetry.semconv_ai import prices as module
    from opentelemetry.semconv_ai.pricing import Usage

    pricer = module.GenAIPrices()
    pricer.start_loading()
    pricer.wait_ready(60)
    snapshot = pricer._catalog.snapshot
    usage = Usage(10, 5)
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    for i in range(count):
        pricer.cost("openai", f"gpt-4o-novel-{i}", usage, lambda cost: None)
    seconds = time.perf_counter() - started
    gc.collect()
    caches = {
        name: len(getattr(snapshot, name, ()))
        for name in ("_lookup_cache", "_provider_cache", "_provider_misses")
    }
    return {
        "row": f"{count} novel model names priced",
        "genai_prices_cache_entries": caches,
        "rss_growth_mb": round(rss_mb() - before, 1),
        "ms_per_novel_name": round(1000 * seconds / count, 2),
    }


ROWS = {
    "echo": echo,
    "workflows-3000": lambda: workflows(3_000),
    "workflows-12000": lambda: workflows(12_000),
    "prices": lambda: prices(20_000),
}


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which != "all":
        print(json.dumps(ROWS[which]()), flush=True)
        return
    import subprocess

    for name in ROWS:  # one process per row: each starts from the same empty state
        subprocess.run([sys.executable, __file__, name], check=False)


if __name__ == "__main__":
    main()
