"""Where the instrumentation's time goes: cProfile of many instrumented calls, our code only.

    uv run python bench/profile_call.py openai_chat [--content] [--calls 3000] [--all]

Shows the functions of the workspace packages (or, with --all, everything) by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import canned
from setups import SETUPS

OUR_CODE = (
    "semconv_ai",
    "instrumentation/openai",
    "instrumentation/anthropic",
    "openllmetry",
    "opentelemetry/sdk",
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("workload", choices=canned.WORKLOADS)
    parser.add_argument("--content", action="store_true")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--all", action="store_true", help="every function, not only the workspace's")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("OTEL_EXPORTER_PROMETHEUS_PORT", "0")
    active = SETUPS["ours"](args.content)
    call = canned.make_call(args.workload)
    for _ in range(200):
        call()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.calls):
        call()
    active.flush()
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("tottime")
    print(f"{args.calls} calls; times below are totals, divide by the call count for per-call cost")
    if args.all:
        stats.print_stats(args.top)
    else:
        stats.print_stats("|".join(OUR_CODE), args.top)


if __name__ == "__main__":
    main()
