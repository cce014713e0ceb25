"""The text of docs/benchmarks.md: the machine, every table, and what each one measures."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
from pathlib import Path
from typing import Any

import report


def machine() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    packages = ("openai", "anthropic", "httpx2", "opentelemetry-sdk", "opentelemetry-exporter-prometheus")
    packages += ("prometheus-client",)
    versions = ", ".join(f"{name} {version(name)}" for name in packages)
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores (`nproc`), {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {versions}",
        f"- measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
    ]


def render(
    rows: list[report.CallRow], chunks: list[report.ChunkRow], setups: list[Any], scrape: dict[str, Any],
    memory: list[dict[str, Any]], production: list[str], chunk_path: list[dict[str, Any]],
    options: argparse.Namespace, command: str, seconds: float,
) -> str:  # fmt: skip
    notes = report.Notes()
    out = [
        "# Benchmarks",
        "",
        f"Command: `{command}` ({seconds / 60:.1f} min). Machine:",
        "",
        *machine(),
        "",
        "## CPU per call, content capture off",
        "",
        f"CPU time per call (`time.process_time()`, all threads counted), min / median over {options.rounds}",
        "rounds, each row in its own process after warm-up. Canned responses through the SDK's own",
        "`MockTransport`: no network. Instrumented = set up as the project's README says, spans to a no-op",
        "exporter behind a BatchSpanProcessor, a PrometheusMetricReader attached. After the setup, rounds",
        "alternate between instrumented and bare by swapping the patched SDK attributes back and forth, so",
        "both see the same process state; *before setup* is the median of bare rounds before any",
        "OpenTelemetry setup. Added = instrumented - bare. Goals apply to the median. The anthropic SDK's",
        "own tracing is off (`ANTHROPIC_OPEN_TELEMETRY=false`) so that bare stays bare once a TracerProvider",
        "exists; left on, it adds a span of its own to every peer's Anthropic call (ours stands it aside).",
        "",
        *report.call_table(rows, notes, content=False),
        "",
        "## CPU per call, content capture on",
        "",
        *report.call_table(rows, notes, content=True),
        "",
        "## Added CPU per stream chunk",
        "",
        "`bench/chunk_pairs.py`: every instrumented OpenAI stream call has a bare twin timed right next",
        "to it (the order alternates; CPU of all threads, spans flushed after the timing). Per chunk =",
        f"(median added at 200 chunks - median added at 20) / 180, over {options.chunk_pairs} pairs of each.",
        "The SDK parses a chunk for about 100 µs and the CPU's speed drifts by a few per cent within a",
        "second, so rounds of calls cannot resolve 1 µs per chunk; pairs can, but each process keeps an",
        f"offset of its own (its memory layout), so each setup runs in {options.chunk_processes} fresh",
        "processes: the median of their estimates, and their range. The control wraps the bare stream in",
        "a pass-through proxy: the method's floor.",
        "",
        *report.chunk_table(chunks),
        "",
        "Timed in place (`bench/chunk_path.py`: the thread CPU clock around the core's per-chunk hook in",
        "real 200-chunk SDK streams, minus the clock's own cost, averaged over every chunk; once the",
        "handler is quiet the sync proxy does the hook's part inline; the whole proxy path is the proxy,",
        "observer and handler stepping through the same real chunks, hot in the CPU caches, SDK parsing and",
        f"the stream's end left out), ours spends {_chunk_path(chunk_path)}.",
        "",
        "## Setup: `init()` (or the peer's documented setup)",
        "",
        'A fresh process that has already imported openai and anthropic ("app imports only openai": only',
        "openai, with every provider package of the workspace installed, and init() must import none of",
        "the other SDKs); importing the instrumentation is included. Wall and CPU time, and resident",
        "memory added: right after `init()`, and once the price catalog that the first call loads in the",
        "background is in (the goal applies to that one).",
        "Min / median over fresh processes.",
        "",
        *report.setup_table(setups, notes),
        "",
        "## /metrics scrape",
        "",
        "50 models x 4 operations x 2 providers through the core's `Telemetry`, every label set",
        "with a priced, streamed call and a failed one (so every series of both families exists).",
        "The exposition is rendered from the core's store; CPU is of repeated renders (label sets that",
        "did not change are reused), the first render of a fresh renderer on its own line.",
        "",
        *report.scrape_table(scrape),
        "",
        "## Prometheus in production",
        "",
        "`bench/exposition_rows.py`: the p99 latency of calls in 8 threads (20 ms waiting and about 0.5 ms",
        "of CPU each, at 400 label sets) without scraping and with another process fetching /metrics every",
        "second; a multi-process directory after 4 and 500 exited processes; the store's call path.",
        "",
        *production,
        "",
        "## Memory",
        "",
        "Resident memory, live Python objects (`gc.get_objects()`) and allocated blocks",
        "(`sys.getallocatedblocks()`) after the checkpoint and after all calls, spans flushed and garbage",
        "collected, the price catalog loaded beforehand. Of every ten calls six are whole responses, two",
        "streams read to the end, one a stream abandoned after its first chunk and one a failure. Spans",
        "are flushed every 512 calls, as an exporter that keeps up would (these calls are far quicker",
        "than real ones).",
        "",
        *[line for result in memory for line in report.memory_table(result)],
        "",
    ]
    if notes.items:
        out += ["## Notes", "", *[f"{line}  " for line in notes.render()], ""]
    return "\n".join(out + REPRODUCE)


def _chunk_path(results: list[dict[str, Any]]) -> str:
    parts = []
    for result in results:
        values = result.get("per_chunk_us") or []
        label = "content capture on" if result.get("content") else "content capture off"
        path = result.get("proxy_path_us") or []
        if values:
            whole = f", the whole proxy path {min(path):.2f} µs" if path else ""
            parts.append(f"{min(values):.2f} µs per chunk with {label}{whole} (best of {len(values)} rounds)")
        else:
            parts.append(f"n/a with {label} ({result.get('status')})")
    return "; ".join(parts)


REPRODUCE = [
    "## Reproduce and dig in",
    "",
    "- `uv run python bench/run.py` (`make bench`): everything; peers are installed under `.bench/`;",
    "  writes this file.",
    "- `uv run python bench/run.py --no-peers`: ours only (about 3.5 minutes); prints the tables.",
    "- `uv run python bench/run.py --only-prometheus`: the scrape, Prometheus-in-production and memory",
    "  rows only (about 2 minutes); prints them.",
    "- `--init-kwargs '{\"builtin_evaluators\": false}'`: ours with other `openllmetry.init()`",
    "  arguments.",
    "- `uv run python bench/profile_call.py openai_chat [--content] [--all]`: cProfile of",
    "  instrumented calls.",
    "",
]
