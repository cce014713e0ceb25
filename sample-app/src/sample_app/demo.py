"""`make demo`: mixed LLM traffic, /metrics on localhost:9464, a live table, and Prometheus if present.

Run: uv run python -m sample_app.demo   (DEMO_SECONDS=30 by default)
Without OPENAI_API_KEY / ANTHROPIC_API_KEY everything runs offline against the built-in mock
provider, which answers with realistic latency and a few percent of errors.

The traffic runs in several worker processes, as a web app under gunicorn or uvicorn would, all
recording into one PROMETHEUS_MULTIPROC_DIR: the one /metrics endpoint (served by openllmetry's
exporter process) shows their sum.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import time
from contextlib import ExitStack, nullcontext
from types import FrameType
from typing import Any

from rich import box
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

import openllmetry
from llm_mock import MockProvider
from openllmetry.multiprocess import MULTIPROC_DIR_ENV, exporter_address, stop_exporter
from opentelemetry.exporter.prometheus import PrometheusMetricReader

from . import backends
from .live_table import LiveStats, parse, read_metrics, render
from .prometheus_server import INSTALL_HINT, Prometheus, PrometheusError, find_binary, free_port
from .traffic import Chaos, Clients, Traffic

APP_NAME = "llm-monitoring-app"
WORKER_PROCESSES = 3
REFRESH_SECONDS = 3.0
INTERRUPTED_STOP_SECONDS = 5.0  # Ctrl-C: the counts are not shown, so do not wait long for them
SCRAPE_INTERVAL = "1s"
SEED_QUERIES = (
    (
        "mean duration (s)",
        "rate(llm_operation_duration_seconds_sum[5m]) / rate(llm_operation_duration_seconds_count[5m])",
    ),
    ("error rate", "rate(llm_operation_errors_total[5m]) / rate(llm_requests_total[5m])"),
    ("tokens per second", "sum by (model) (rate(llm_tokens_usage_total[5m]))"),
)


def conciseness(result: Any) -> float | None:
    """A user-defined evaluator: full marks up to 60 output tokens, less for longer answers."""
    if result.error_type is not None or not result.output_tokens:
        return None
    return min(1.0, 60 / result.output_tokens)


def _metrics_address() -> tuple[str, int, str]:
    """Where /metrics is served: OTEL_EXPORTER_PROMETHEUS_HOST:PORT, or a free port if 9464 is taken."""
    host = os.environ.get("OTEL_EXPORTER_PROMETHEUS_HOST", "").strip() or "localhost"
    raw_port = os.environ.get("OTEL_EXPORTER_PROMETHEUS_PORT", "").strip() or "9464"
    port = int(raw_port) if raw_port.isdigit() else 9464
    note = ""
    try:
        with socket.socket() as probe:
            probe.bind((host, port))
    except OSError:
        busy, port = port, free_port()
        os.environ["OTEL_EXPORTER_PROMETHEUS_PORT"] = str(port)
        note = f"port {busy} is busy, so /metrics is on {port} instead"
    return host, port, note


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _traffic_worker(index: int, all_mock: bool, stop: Any, results: Any) -> None:
    """One worker process (forked after init(), as under gunicorn --preload): its own clients and threads."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    traffic = Traffic(
        Clients.create(max_retries=1),
        Chaos(error_rate=0.04, seed=random.randrange(1 << 30)),
        workers=1,
        pause=0.3 if all_mock else 3.0,
        seed=7 + 100 * index,
    ).start()
    parent = os.getppid()
    while not stop.wait(1.0):
        if os.getppid() != parent:  # the demo died without stopping us: do not linger
            break
    traffic.stop()
    results.put((traffic.completed, traffic.failed))


class Workers:
    """The demo's traffic in WORKER_PROCESSES forked processes, stopped together."""

    def __init__(self, count: int, all_mock: bool) -> None:
        context = multiprocessing.get_context("fork")
        self._stop = context.Event()
        self._results = context.Queue()
        self.processes = [
            context.Process(
                target=_traffic_worker, args=(i, all_mock, self._stop, self._results), daemon=True
            )
            for i in range(count)
        ]
        self.completed = self.failed = 0

    def start(self) -> Workers:
        for process in self.processes:
            process.start()
        return self

    def stop(self, timeout: float = 20.0) -> None:
        """Ask every worker to finish and collect its counts within one deadline; then kill stragglers."""
        if self._stop.is_set():
            return
        self._stop.set()
        deadline = time.monotonic() + timeout
        for _ in self.processes:
            try:
                completed, failed = self._results.get(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:
                break
            self.completed += completed
            self.failed += failed
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


LLM_LABELS = ("model", "provider", "operation", "workflow")


def _seed_table(prometheus: Prometheus, expr: str) -> Table:
    """The query's series with their `llm_*` labels (job, instance and otel_scope_* left out)."""
    results = sorted(prometheus.query(expr), key=lambda item: [item[0].get(k, "") for k in LLM_LABELS])
    columns = [k for k in LLM_LABELS if any(k in labels for labels, _ in results)]
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.collapse_padding = True
    for name in columns:
        table.add_column(name, no_wrap=True)
    table.add_column("value", justify="right")
    for labels, value in results:
        table.add_row(*(labels.get(k, "") for k in columns), "n/a" if math.isnan(value) else f"{value:.3f}")
    if not results:
        table.add_row(*([""] * len(columns)), "no data yet")
    return table


def show_prometheus(console: Console, prometheus: Prometheus) -> None:
    console.print(
        f"\n[bold]Prometheus {prometheus.version()}[/] on {prometheus.url}, scraping {prometheus.target} "
        f"every {prometheus.interval} with the shipped configuration and rules. The seed queries:"
    )
    for title, expr in SEED_QUERIES:
        console.print(f"\n[bold]{title}[/]: {expr}", soft_wrap=True, highlight=False)
        console.print(_seed_table(prometheus, expr))
    console.print(
        "[dim]rate(...[5m]) is the increase over 5 minutes per second, so on a run shorter than that it reads"
        " low; n/a: no new call in that series since it was first scraped (0/0).[/]",
        highlight=False,
    )
    console.print(
        "[dim]Why these differ from the table: the first two queries have one row per label set (model, "
        "operation and workflow), the table one per model; and rate() counts only what happened after "
        "Prometheus first scraped each series.[/]",
        highlight=False,
    )
    alerts = prometheus.alerts()
    for alert in alerts:
        labels = alert["labels"]
        who = " ".join(labels[k] for k in ("provider", "model") if labels.get(k))
        console.print(f"alert {labels['alertname']} ({labels.get('severity')}) {alert['state']}: {who}")
    if not alerts:
        console.print("alerts: none pending or firing")


def _start_prometheus(console: Console, target: str) -> Prometheus | None:
    binary = find_binary()
    if binary is None:
        console.print(f"[yellow]No prometheus binary, so no seed queries at the end: {INSTALL_HINT}.[/]")
        return None
    try:
        return Prometheus(target, interval=SCRAPE_INTERVAL, binary=binary).start()
    except PrometheusError as error:
        console.print(f"[yellow]Prometheus did not start, going on without it:[/] {escape(str(error))}")
        return None


def _table(url: str, stats: LiveStats, label: str) -> Table:
    try:
        snapshot = parse(read_metrics(url))
    except OSError as error:
        return Table(title=escape(f"cannot read {url}: {error}"))
    rows = stats.rows(snapshot, time.monotonic())
    return render(rows, f"LLM operations by model, {label} (tokens/s over the last {stats.window:.0f} s)")


def _wait_for_exporter(directory: str, timeout: float = 30.0) -> int | None:
    """The exporter's pid once it serves (None if it has not come up in time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if exporter_address(directory) is not None:
            try:
                with open(os.path.join(directory, "openllmetry.exporter.json")) as state:
                    return int(json.load(state)["pid"])
            except (OSError, ValueError, KeyError):
                return None
        time.sleep(0.05)
    return None


def run(seconds: float, console: Console) -> None:
    host, port, note = _metrics_address()
    metrics_url = f"http://{host}:{port}/metrics"
    all_mock = all(backends.uses_mock(provider) for provider in backends.API_KEY_ENV)
    with ExitStack() as cleanup:  # undone in reverse order, on the normal end and on Ctrl-C alike
        # A directory of its own, empty at start as the multi-process mode wants.
        directory = tempfile.mkdtemp(prefix="openllmetry-demo-")
        cleanup.callback(shutil.rmtree, directory, ignore_errors=True)
        os.environ[MULTIPROC_DIR_ENV] = directory
        cleanup.callback(stop_exporter, directory)
        if any(backends.uses_mock(provider) for provider in backends.API_KEY_ENV):
            mock = MockProvider(error_rate=0.02, seed=random.randrange(1 << 30)).start()
            cleanup.callback(mock.stop)
            backends.use_mock_server(mock)
        openllmetry.init(APP_NAME, metric_readers=[PrometheusMetricReader()], evaluators=[conciseness])
        cleanup.callback(openllmetry.shutdown)
        exporter = _wait_for_exporter(directory)
        served = exporter_address(directory)
        if served is not None:  # the port the exporter bound (port 0 asks for any free one)
            port = served[1]
            metrics_url = f"http://{host}:{port}/metrics"
        prometheus = _start_prometheus(console, f"{host}:{port}")
        if prometheus is not None:
            cleanup.callback(prometheus.stop)
            # Calls made before Prometheus first scrapes the app are invisible to rate().
            prometheus.wait_for_scrape(after=time.time())

        console.print(
            f"[bold]openllmetry demo[/] for {seconds:g} s ({backends.describe()})\n"
            f"metrics on {metrics_url}"
            + (f" ({note})" if note else "")
            + (f", Prometheus on {prometheus.url}" if prometheus is not None else ""),
            soft_wrap=True,
        )
        traffic = Workers(WORKER_PROCESSES if all_mock else 1, all_mock).start()
        cleanup.callback(traffic.stop, INTERRUPTED_STOP_SECONDS)  # a no-op after the normal stop
        pids = ", ".join(str(process.pid) for process in traffic.processes)
        console.print(
            f"traffic from {len(traffic.processes)} worker processes (pids {pids}), each recording into "
            f"{directory}; one endpoint, {metrics_url}, served by the openllmetry exporter"
            f"{f' (pid {exporter})' if exporter else ''}, sums them all",
            soft_wrap=True,
            highlight=False,
        )

        start = time.monotonic()
        end = start + seconds
        stats = LiveStats(start)
        with Live(console=console, auto_refresh=False) if console.is_terminal else nullcontext() as live:
            while (left := end - time.monotonic()) > 0:
                time.sleep(min(REFRESH_SECONDS, left))
                table = _table(metrics_url, stats, f"{time.monotonic() - start:.0f} s of {seconds:g} s")
                if live is not None:
                    live.update(table, refresh=True)
                else:
                    console.print()
                    console.print(table)
        traffic.stop()
        console.print()
        console.print(_table(metrics_url, LiveStats(start, window=math.inf), "whole run"))
        injected = " (errors the mock injected)" if all_mock else ""
        console.print(f"{traffic.completed} sample-app runs succeeded, {traffic.failed} failed{injected}")
        if prometheus is not None:
            try:
                prometheus.wait_for_scrape(after=time.time())  # so the last calls are in
                show_prometheus(console, prometheus)
            except PrometheusError as error:
                console.print(f"[yellow]querying Prometheus failed:[/] {escape(str(error))}")
    console.print("demo finished: everything it started is stopped", highlight=False)


def main() -> int:
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=110)  # logs and pipes: wide enough for the tables
    try:
        seconds = float(os.environ.get("DEMO_SECONDS") or 30)
    except ValueError:
        console.print(f"DEMO_SECONDS must be a number of seconds, not {os.environ['DEMO_SECONDS']!r}")
        return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    # Started in the background by a shell, a process inherits SIGINT ignored, and Python then installs
    # no KeyboardInterrupt handler: Ctrl-C (or a supervisor's SIGINT) must still stop the demo.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        run(seconds, console)
    except KeyboardInterrupt:
        console.print("\ninterrupted: everything stopped")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
