"""`make bench`: CPU per call with and without instrumentation, ours and the peers', plus our own extras.

    uv run python bench/run.py               # everything, peers included; writes docs/benchmarks.md
    uv run python bench/run.py --no-peers    # ours only, quicker; prints the table only

Every measurement runs in its own process: bare rounds first, then the same calls after the setup
(global OpenTelemetry state cannot be undone). CPU is `time.process_time()`, all threads included.
Peers are installed from PyPI into throwaway venvs under .bench/.
"""

from __future__ import annotations

import argparse
import json
import os
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
import document  # noqa: E402
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
    """One process per workload; the OpenAI streams share one, their rounds interleaved."""
    streams = [w for w in workloads if w in canned.STREAM_CHUNKS]
    groups = [[w] for w in workloads if w not in canned.STREAM_CHUNKS] + ([streams] if streams else [])
    rows = []
    for group in groups:
        args = ["calls", "--setup", setup, "--workload", ",".join(group), "--rounds", str(options.rounds)]
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


def measure_chunks(
    python: Path | str, setup: str, display: str, content: bool, options: argparse.Namespace, ours: bool,
    control: bool = False,
) -> report.ChunkRow:  # fmt: skip
    """The per-chunk estimate of `options.chunk_processes` fresh processes (see chunk_pairs.py)."""
    args = ["--setup", setup, "--pairs", str(options.chunk_pairs), "--warmup", str(options.warmup)]
    args += (["--content"] if content else []) + (["--control"] if control else [])
    label = f"{display} per chunk{' +content' if content else ''}"
    runs = [
        run_script(python, "chunk_pairs.py", args, f"{label} #{index + 1}")
        for index in range(options.chunk_processes)
    ]
    return report.ChunkRow(display, content, ours, runs)


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
    parser.add_argument("--chunk-processes", type=int, default=8, help="fresh processes per per-chunk row")
    parser.add_argument("--chunk-pairs", type=int, default=80, help="call pairs per per-chunk process")
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
    per_chunk = set(canned.STREAM_CHUNKS) <= set(workloads)
    chunks = [
        measure_chunks(sys.executable, "ours", ours, content, options, True, control=not content)
        for content in ((False, True) if per_chunk else ())
    ]
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
            if per_chunk and "openai" in peer.providers:
                chunks.append(measure_chunks(installed.python, peer.name, display, False, options, False))
            setups.append((display, False, measure_setup(installed.python, peer.name, display, 3)))

    command = "uv run python bench/run.py " + " ".join(sys.argv[1:])
    elapsed = time.perf_counter() - started
    text = document.render(rows, chunks, setups, scrape, memory, production, chunk_path, options,
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


if __name__ == "__main__":
    main()
