"""One benchmark row in one process: bare calls, then the same calls instrumented, or a setup's cost.

    python bench/worker.py calls --setup ours --workload openai_chat[,openai_stream_20,...] [--content]
    python bench/worker.py init --setup ours

Prints one line `BENCH_RESULT {json}` on stdout. Runs under the workspace venv and under each peer's
venv, so it imports nothing from the workspace at module level.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

MARKER = "BENCH_RESULT "


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def emit(result: Any) -> None:
    sys.stdout.flush()
    print(MARKER + json.dumps(result), flush=True)


def rounds_of(call: Callable[[], Any], n: int, rounds: int, flush: Callable[[], Any] | None) -> list[float]:
    """CPU seconds per call (all threads: batch exporters included), one value per round of `n` calls."""
    per_call = []
    for _ in range(rounds):
        gc.collect()
        start = time.process_time()
        for _ in range(n):
            call()
        if flush is not None:
            flush()  # the exporter thread's work for this round's spans lands in this round
        per_call.append((time.process_time() - start) / n)
    return per_call


def warm_up(call: Callable[[], Any], seconds: float, min_calls: int = 30) -> float:
    """Run `call` for about `seconds` of CPU; returns CPU seconds per call over the second half."""
    start = time.process_time()
    calls = 0
    while calls < min_calls or time.process_time() - start < seconds / 2:
        call()
        calls += 1
    half = time.process_time()
    for _ in range(max(calls, 1)):
        call()
    return (time.process_time() - half) / max(calls, 1)


def sdk_versions() -> dict[str, str]:
    import canned

    out = {}
    for name in ("openai", "anthropic"):
        try:
            module = __import__(name)
            out[name] = f"{module.__version__} ({canned.http_library(module)})"
        except Exception as exc:
            out[name] = f"unavailable: {exc}"
    try:
        from google.genai import version

        out["google-genai"] = version.__version__
    except Exception as exc:
        out["google-genai"] = f"unavailable: {exc}"
    from importlib import metadata

    for name in ("groq", "together", "mistralai"):  # by metadata: importing them is not free
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "unavailable"
    return out


class _Row:
    """One workload's calls and results inside a worker process."""

    def __init__(self, workload: str, args: argparse.Namespace) -> None:
        import canned

        self.workload = workload
        self.result: dict[str, Any] = {"setup": args.setup, "workload": workload, "content": args.content}
        self.expected = canned.expected_chunks(workload)
        bare_call = canned.make_call(workload)
        self.n = max(3, math.ceil(args.round_seconds / warm_up(bare_call, args.warmup)))
        self.result["calls_per_round"] = self.n
        self.result["bare_before_setup"] = rounds_of(bare_call, self.n, args.before_rounds, None)
        self.call: Callable[[], Any] = bare_call
        self.on: list[float] = []
        self.off: list[float] = []
        self.spans = self.sdk_spans = self.leaked = 0

    def prepare(self, warmup: float) -> bool:
        """A client created after the setup, as an application would; False if the stream broke."""
        import canned

        self.call = canned.make_call(self.workload)
        got = self.call()
        if self.expected is not None and got != self.expected:
            self.result["status"] = f"broken: the stream yielded {got} chunks instead of {self.expected}"
            return False
        warm_up(self.call, warmup)
        return True

    def finish(self, rounds: int) -> dict[str, Any]:
        calls = self.n * rounds
        self.result.update(instrumented=self.on, bare=self.off)
        self.result.update(spans_per_call=self.spans / calls, sdk_spans_per_call=self.sdk_spans / calls)
        if self.leaked:
            self.result["status"] = f"toggle failed: {self.leaked / calls:g} spans per bare call"
        elif self.spans == 0:
            self.result["status"] = "not instrumented: no span exported"
        else:
            self.result["status"] = "ok"
        return self.result


def run_calls(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Bare rounds; the setup; then instrumented and bare rounds alternating, the patches toggled.

    Several workloads in one process are interleaved round by round, so their rounds pair up.
    """
    import canned
    import toggle
    from setups import SETUPS

    rows = [_Row(workload, args) for workload in args.workload.split(",")]
    before = toggle.snapshot()
    started = time.perf_counter()
    active = SETUPS[args.setup](args.content)
    setup_seconds = time.perf_counter() - started
    switch = toggle.Toggle(before)
    versions = sdk_versions()
    running = []
    for row in rows:
        row.result.update(sdk=versions, setup_seconds=setup_seconds, patched=len(switch.changes))
        row.result.update(packages=active.packages, notes=list(active.notes))
        if canned.PROVIDER[row.workload] not in active.providers:
            row.result["status"] = "n/a"
        elif row.prepare(args.warmup):
            running.append(row)
    active.flush()
    exporter = active.exporter
    for index in range(args.rounds):
        for row in running:
            for instrumented in (True, False) if index % 2 == 0 else (False, True):
                (switch.on if instrumented else switch.off)()
                spans, sdk_spans = exporter.spans, exporter.sdk_spans
                (row.on if instrumented else row.off).extend(rounds_of(row.call, row.n, 1, active.flush))
                if instrumented:
                    row.spans += exporter.spans - spans
                    row.sdk_spans += exporter.sdk_spans - sdk_spans
                else:
                    row.leaked += exporter.spans - spans
    switch.on()
    return [row.finish(args.rounds) if row in running else row.result for row in rows]


def background_ready(timeout: float = 30.0) -> None:
    """Load what the first call would load in the background (the price catalog), and wait for it."""
    try:
        from opentelemetry.semconv_ai import get_pricer
    except ImportError:
        return
    pricer = get_pricer()
    start, wait = getattr(pricer, "start_loading", None), getattr(pricer, "wait_ready", None)
    if callable(start) and callable(wait):
        start()
        wait(timeout)


# Top-level modules of the provider SDKs the workspace installs: `--only-openai` reports which of them
# the setup imported (ours must import none).
PROVIDER_SDKS = ("anthropic", "mistralai", "google.genai", "boto3", "botocore", "aiobotocore", "groq")
PROVIDER_SDKS += ("cohere", "ollama", "litellm", "together")


def run_init(args: argparse.Namespace) -> dict[str, Any]:
    """Setup cost in a fresh process that has already imported both SDKs, as an application would have
    (`--only-openai`: only openai, with every provider package of the workspace installed)."""
    import openai  # noqa: F401

    if not args.only_openai:
        import anthropic  # noqa: F401
    from setups import SETUPS

    gc.collect()
    rss = rss_bytes()
    wall, cpu = time.perf_counter(), time.process_time()
    active = SETUPS[args.setup](args.content)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    sdks = [name for name in PROVIDER_SDKS if name in sys.modules and name != "openai"]
    gc.collect()
    after_init = rss_bytes()
    background_ready()
    gc.collect()
    return {
        "setup": args.setup,
        "seconds": wall,
        "cpu_seconds": cpu,
        "rss_delta": after_init - rss,
        "rss_settled_delta": rss_bytes() - rss,
        "packages": active.packages,
        "notes": active.notes + ([f"init() imported {', '.join(sdks)}"] if args.only_openai and sdks else []),
        "sdk": sdk_versions(),
        "status": "ok",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=("calls", "init"))
    parser.add_argument("--setup", required=True)
    parser.add_argument("--workload", default="openai_chat", help="one, or several comma-separated")
    parser.add_argument("--content", action="store_true", help="content capture on")
    parser.add_argument("--only-openai", action="store_true", help="init: the app has imported only openai")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--before-rounds", type=int, default=5, help="bare rounds before the setup")
    parser.add_argument("--round-seconds", type=float, default=0.2, help="CPU seconds per round (bare)")
    parser.add_argument("--warmup", type=float, default=1.0, help="CPU seconds of warm-up per phase")
    args = parser.parse_args(argv)
    try:
        result: Any = run_calls(args) if args.mode == "calls" else run_init(args)
    except Exception as exc:
        traceback.print_exc()
        error = f"error: {type(exc).__name__}: {exc}"
        result = [{"setup": args.setup, "workload": w, "status": error} for w in args.workload.split(",")]
        if args.mode == "init":
            result = result[0]
    emit(result)
    os._exit(0)  # skip interpreter teardown: some peers' atexit hooks try to export over the network


if __name__ == "__main__":
    main()
