"""`make bench`: CPU per call with and without instrumentation, ours and the peers', plus our own extras.

    uv run python bench/run.py               # everything, peers included; writes docs/benchmarks.md
    uv run python bench/run.py --no-peers    # ours only, quicker; prints the table only

Every measurement runs in its own process: bare rounds first, then the same calls after the setup
(global OpenTelemetry state cannot be undone). CPU is `time.process_time()`, all threads included.
Peers are installed from PyPI into throwaway venvs under .bench/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import canned  # noqa: E402
import peers  # noqa: E402
import report  # noqa: E402
from setups import INIT_KWARGS_ENV  # noqa: E402
from worker import MARKER  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
OURS = "openllmetry (ours)"
EXTRA_ENV: dict[str, str] = {}  # for every worker, e.g. --init-kwargs
WORKER_TIMEOUT = 600
# Content capture is measured on these for the peers (all workloads for ours), to keep the run short.
PEER_CONTENT_WORKLOADS = ("openai_chat", "openai_stream_20", "anthropic_message")
# The two OpenAI streams run in one process with more rounds: the per-chunk slope is a small
# difference of large numbers.
STREAM_ROUNDS_FACTOR = 2


def child_env() -> dict[str, str]:
    prefixes = ("OTEL_", "TRACELOOP_", "OPENLLMETRY_", "ANTHROPIC_", "OPENAI_", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes) and k != INIT_KWARGS_ENV}
    env.update(EXTRA_ENV)
    env["OTEL_EXPORTER_PROMETHEUS_PORT"] = "0"  # init()'s /metrics server on a free port
    # anthropic 2.x traces its own calls once a TracerProvider exists; bare must stay bare.
    env["ANTHROPIC_OPEN_TELEMETRY"] = "false"
    # Applications run from bytecode caches; keep ours out of the source tree.
    env["PYTHONPYCACHEPREFIX"] = str(peers.VENVS / "pycache")
    return env


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_script(python: Path | str, script: str, args: Sequence[str], label: str) -> Any:
    """The worker's result (a dict, or a list of them for several workloads); a failure as a status."""
    started = time.perf_counter()
    command = [str(python), str(HERE / script), *args]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=WORKER_TIMEOUT, env=child_env(), cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        progress(f"  {label}: timed out after {WORKER_TIMEOUT} s")
        return {"status": f"timed out after {WORKER_TIMEOUT} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        result: Any = {"status": f"could not run: {tail[:160]}"}
    else:
        result = json.loads(lines[-1][len(MARKER) :])
    statuses = sorted({r.get("status") for r in (result if isinstance(result, list) else [result])})
    progress(f"  {label}: {', '.join(map(str, statuses))} ({time.perf_counter() - started:.1f} s)")
    return result


def measure_calls(
    python: Path | str, setup: str, display: str, workloads: Sequence[str], content: bool,
    options: argparse.Namespace, ours: bool, notes: Sequence[str] = (),
) -> list[report.CallRow]:  # fmt: skip
    """One process per workload; the OpenAI streams share one, their rounds paired for the per-chunk slope."""
    streams = [w for w in workloads if w in canned.STREAM_CHUNKS]
    groups = [[w] for w in workloads if w not in canned.STREAM_CHUNKS] + ([streams] if streams else [])
    rows = []
    for group in groups:
        rounds = options.rounds * (STREAM_ROUNDS_FACTOR if group is streams else 1)
        args = ["calls", "--setup", setup, "--workload", ",".join(group), "--rounds", str(rounds)]
        args += ["--round-seconds", str(options.round_seconds), "--warmup", str(options.warmup)]
        if content:
            args.append("--content")
        label = f"{display} {'+'.join(group)}{' +content' if content else ''}"
        results = run_script(python, "worker.py", args, label)
        if not isinstance(results, list):
            results = [{**results, "workload": w} for w in group]
        for result in results:
            row_notes = [*notes, *[f"{display}: {n}" for n in result.get("notes", [])]]
            rows.append(report.CallRow(result["workload"], display, content, result, ours, row_notes))
    return rows


def measure_setup(
    python: Path | str, setup: str, display: str, runs: int, extra: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """`runs` fresh processes, after one whose result is dropped (it fills the bytecode cache)."""
    results = []
    for index in range(runs + 1):
        args = ["init", "--setup", setup, *extra]
        result = run_script(python, "worker.py", args, f"{display} init #{index}")
        if index:
            results.append(result)
    return results


def sdk_versions() -> dict[str, str]:
    import anthropic
    import openai

    return {"openai": openai.__version__, "anthropic": anthropic.__version__}


def peer_display(installed: peers.Installed) -> str:
    peer = installed.peer
    version = "/".join(sorted({installed.versions.get(p, "?") for p in peer.packages}))
    return f"{peer.label} {version}" if installed.python else peer.label


def sdk_note(installed: peers.Installed, ours: dict[str, str]) -> list[str]:
    notes = list(installed.notes)
    used = {name: installed.versions.get(name, "?") for name in ours}
    if used != ours:
        notes.insert(
            0, f"{peer_display(installed)} measured on " + ", ".join(f"{k} {v}" for k, v in used.items())
        )
    return notes


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-peers", action="store_true", help="skip the peers (no installs)")
    parser.add_argument("--reuse-peers", action="store_true", help="keep existing peer venvs under .bench/")
    parser.add_argument("--workloads", default=",".join(canned.WORKLOADS), help="comma-separated subset")
    parser.add_argument("--rounds", type=int, default=10, help="rounds per phase (default 10)")
    parser.add_argument("--round-seconds", type=float, default=0.12, help="bare CPU seconds per round")
    parser.add_argument("--warmup", type=float, default=0.3, help="CPU seconds of warm-up per phase")
    parser.add_argument("--init-runs", type=int, default=5, help="fresh processes for each setup's init row")
    parser.add_argument(
        "--init-kwargs",
        default="",
        help="extra openllmetry.init() arguments as JSON, e.g. '{\"builtin_evaluators\": false}'",
    )
    parser.add_argument("--memory-calls", type=int, default=200_000)
    parser.add_argument(
        "--only-prometheus",
        action="store_true",
        help="only the scrape, production and memory rows; prints them",
    )
    parser.add_argument("--memory-real", action="store_true", help="memory row through the real SDKs (slow)")
    parser.add_argument(
        "--write-docs", action="store_true", help=f"write {DOCS.relative_to(ROOT)} (default: full runs)"
    )
    parser.add_argument("--no-docs", action="store_true", help="never write the docs")
    options = parser.parse_args()
    workloads = [w for w in options.workloads.split(",") if w]
    started = time.perf_counter()
    ours_sdk = sdk_versions()

    if options.only_prometheus:
        scrape, memory, production = prometheus_rows(options)
        print("\n".join(["## /metrics scrape", "", *report.scrape_table(scrape), "",
                         "## Prometheus in production", "", *production, "", "## Memory", "",
                         *report.memory_table(memory[0]), *report.memory_table(memory[1])[2:]]))  # fmt: skip
        return
    progress("ours: calls")
    ours = OURS
    if options.init_kwargs:
        EXTRA_ENV[INIT_KWARGS_ENV] = json.dumps(json.loads(options.init_kwargs))
        ours = f"{OURS} init({EXTRA_ENV[INIT_KWARGS_ENV]})"
    rows = measure_calls(sys.executable, "ours", ours, workloads, False, options, True)
    rows += measure_calls(sys.executable, "ours", ours, workloads, True, options, True)
    setups = [(ours, True, measure_setup(sys.executable, "ours", ours, options.init_runs))]
    only_openai = f"{ours}, app imports only openai"
    setups.append(
        (
            only_openai,
            True,
            measure_setup(sys.executable, "ours", only_openai, options.init_runs, ["--only-openai"]),
        )
    )

    scrape, memory, production = prometheus_rows(options)
    chunk_path = [
        run_script(sys.executable, "chunk_path.py", flags, "per-chunk hook timed in place")
        for flags in ([], ["--content"])
    ]

    if not options.no_peers:
        for peer in peers.PEERS:
            progress(f"{peer.label}: installing into .bench/peer-{peer.name}")
            installed = peers.install(peer, ours_sdk, reuse=options.reuse_peers)
            display = peer_display(installed)
            if installed.python is None:
                failed = {"status": installed.error}
                rows += [report.CallRow(w, display, False, failed) for w in workloads]
                setups.append((display, False, [failed]))
                continue
            notes = sdk_note(installed, ours_sdk)
            supported = [w for w in workloads if canned.PROVIDER[w] in peer.providers]
            rows += [
                report.CallRow(w, display, False, {"status": f"n/a: no {canned.PROVIDER[w]} instrumentation"})
                for w in workloads
                if w not in supported
            ]
            rows += measure_calls(
                installed.python, peer.name, display, supported, False, options, False, notes
            )
            with_content = [w for w in supported if w in PEER_CONTENT_WORKLOADS]
            rows += measure_calls(
                installed.python, peer.name, display, with_content, True, options, False, notes
            )
            setups.append((display, False, measure_setup(installed.python, peer.name, display, 3)))

    command = "uv run python bench/run.py " + " ".join(sys.argv[1:])
    elapsed = time.perf_counter() - started
    text = render(rows, setups, scrape, memory, production, chunk_path, options,
                  command.strip(), elapsed)  # fmt: skip
    print(text)
    if options.write_docs or not (options.no_peers or options.no_docs):
        DOCS.write_text(text)
        progress(f"wrote {DOCS.relative_to(ROOT)}")


def prometheus_rows(options: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """The scrape, the Prometheus-in-production rows, and memory in both modes."""
    progress("ours: /metrics scrape and memory")
    scrape = run_script(sys.executable, "core_rows.py", ["scrape"], "scrape")
    memory_args = ["memory", "--calls", str(options.memory_calls)] + (
        ["--real"] if options.memory_real else []
    )
    memory = run_script(sys.executable, "core_rows.py", memory_args, "memory")
    progress("ours: Prometheus in production")
    stall = [
        run_script(sys.executable, "exposition_rows.py", ["stall", *flags], "stall")
        for flags in ([], ["--multiproc"])
    ]
    restarts = run_script(sys.executable, "exposition_rows.py", ["restarts"], "restarts")
    store = run_script(sys.executable, "exposition_rows.py", ["store"], "store")
    EXTRA_ENV["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-memory-")
    memory_multiproc = run_script(sys.executable, "core_rows.py", memory_args, "memory, multi-process")
    del EXTRA_ENV["PROMETHEUS_MULTIPROC_DIR"]
    memory_multiproc["path"] = f"{memory_multiproc.get('path', '')}, PROMETHEUS_MULTIPROC_DIR"
    return scrape, [memory, memory_multiproc], report.production_table(stall, restarts, store)


def render(
    rows: list[report.CallRow], setups: list[Any], scrape: dict[str, Any], memory: list[dict[str, Any]],
    production: list[str], chunk_path: list[dict[str, Any]], options: argparse.Namespace, command: str,
    seconds: float,
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
        "(added at 200 chunks - added at 20 chunks) / 180, from the two OpenAI stream rows, which ran in",
        "one process with their rounds interleaved. min: from the minimum rounds; median: of the slope",
        "within each round.",
        "",
        *report.chunk_table(rows, notes),
        "",
        "The SDK parses each chunk for about 60 µs, so this slope moves by about ±1 µs from run to run.",
        "Timed in place instead (`bench/chunk_path.py`: the thread CPU clock around the core's per-chunk",
        "hook, in real 200-chunk SDK streams, minus the clock's own cost; the proxy's `__next__` frame is",
        "not included; the whole proxy path is the proxy, observer and handler on the same real chunks,",
        f"SDK parsing left out), ours spends {_chunk_path(chunk_path)}.",
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


if __name__ == "__main__":
    main()
