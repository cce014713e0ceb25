"""Rows for Prometheus in production: scrape stall, multi-process directories, the store's call path.

    python bench/exposition_rows.py stall [--multiproc] [--seconds 8]
    python bench/exposition_rows.py restarts
    python bench/exposition_rows.py store
    python bench/exposition_rows.py record

`stall`: 8 threads make calls (an instrumented fake SDK method: 20 ms of waiting and about 0.5 ms
of CPU, like a client parsing a response) at 400 label sets, first without scraping, then with a
separate process fetching /metrics every second, as Prometheus does (p99 of the call latency),
then with 32 scrapers fetching in a loop (calls made, against the quiet phase).
`restarts`: collect + render of a multi-process directory after 4 and after 500 exited processes.
`store`: CPU per operation recorded by the core, store in memory and in a file.
`record`: CPU per operation through the core's `Metrics`, by sink (SDK only, store, both).
Each prints one `BENCH_RESULT {json}` line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from typing import Any

from worker import emit

HAMMER = """
import sys, threading, time, urllib.request
url, seconds = sys.argv[1], float(sys.argv[2])
end = time.monotonic() + seconds
def loop():
    while time.monotonic() < end:
        try:  # gzip, as Prometheus asks for it
            request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
        except OSError:
            time.sleep(0.05)
threads = [threading.Thread(target=loop) for _ in range(32)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""
SCRAPER = """
import sys, time, urllib.request
url, seconds = sys.argv[1], float(sys.argv[2])
end = time.monotonic() + seconds
while time.monotonic() < end:
    started = time.monotonic()
    try:  # gzip, as Prometheus asks for it
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except OSError:
        pass
    time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
"""


def _filled() -> Any:
    import core_rows

    from opentelemetry.semconv_ai import Telemetry, set_pricer

    core_rows._init()
    set_pricer(core_rows._EveryModelPriced())
    core_rows._fill(Telemetry("bench.stall"))


def _metrics_url() -> str:
    from openllmetry import endpoint
    from openllmetry.multiprocess import exporter_address, multiproc_dir

    directory = multiproc_dir()
    if directory is None:
        return f"http://127.0.0.1:{endpoint.current_server().server_port}/metrics"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = exporter_address(directory)
        if found:
            return f"http://127.0.0.1:{found[1]}/metrics"
        time.sleep(0.1)
    raise RuntimeError("the exporter did not start")


def _phase(call: Any, seconds: float, threads: int = 8) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def work() -> None:
        mine = []
        while time.monotonic() < end:
            started = time.perf_counter()
            call()
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def stall(seconds: float) -> dict[str, Any]:
    import core_rows
    from core_rows import _fake_surface

    from opentelemetry.semconv_ai import Patcher, Telemetry

    _filled()
    url = _metrics_url()

    class Client:
        def create(self, *, model: str, stream: bool = False, fail: bool = False) -> Any:
            time.sleep(0.02)
            payload = json.dumps([{"i": i, "text": "x" * 20} for i in range(300)])
            json.loads(payload)
            return {"model": model, "id": "chatcmpl-1", "usage": (31, 16)}

    Patcher(Telemetry("bench.stall.calls")).patch(Client, "create", _fake_surface())
    client = Client()

    def call() -> None:
        client.create(model=f"openai-model-{int(time.perf_counter() * 1000) % core_rows.MODELS:02d}")

    _phase(call, 1.0)  # warm-up
    quiet = _phase(call, seconds)
    scraper = subprocess.Popen([sys.executable, "-c", SCRAPER, url, str(seconds + 1)])
    time.sleep(0.5)
    scraped = _phase(call, seconds)
    scraper.wait(60)
    hammer = subprocess.Popen([sys.executable, "-c", HAMMER, url, str(seconds + 1)])
    time.sleep(0.5)
    hammered = _phase(call, seconds)
    hammer.wait(120)
    return {"status": "ok", "p99_quiet": _p99(quiet), "p99_scraped": _p99(scraped),
            "calls_quiet": len(quiet), "calls_scraped": len(scraped), "calls_hammered": len(hammered),
            "url": url}  # fmt: skip


def restarts() -> dict[str, Any]:
    from opentelemetry.semconv_ai.exposition import Renderer
    from opentelemetry.semconv_ai.store import Store, member_name
    from opentelemetry.semconv_ai.store_files import DirectoryCollector

    directory = tempfile.mkdtemp(prefix="bench-multiproc-")
    live = [Store(os.path.join(directory, member_name())) for _ in range(4)]
    models = [f"model-{i:02d}" for i in range(50)]
    genai = ("chat", "openai", "m", "m", "api.openai.com", 443)
    for index, store in enumerate(live):
        for model in models:
            for workflow in ("a", "b"):
                store.operation(("openai", "chat", model, workflow), (*genai[:2], model, model, *genai[4:]),
                                "", 0.1 * index, 10, 20, None, None, None, None, None)  # fmt: skip
    collector = DirectoryCollector(directory)
    renderer = Renderer()

    def cost() -> float:
        best = []
        for _ in range(5):
            started = time.process_time()
            renderer.render(collector.collect())
            best.append(time.process_time() - started)
        return min(best)

    def exited(count: int) -> None:
        for index in range(count):
            pid = os.fork()
            if pid == 0:
                try:
                    store = Store(os.path.join(directory, member_name()))
                    model = models[index % len(models)]
                    store.operation(("openai", "chat", model, "a"), (*genai[:2], model, model, *genai[4:]),
                                    "", 0.2, 10, 20, None, None, None, None, None)  # fmt: skip
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)

    exited(4)
    after_4 = cost()
    exited(496)
    renderer.render(collector.collect())  # folds what exited since the last scrape
    after_500 = cost()
    files = len([name for name in os.listdir(directory) if name.endswith(".db")])
    size = sum(os.path.getsize(os.path.join(directory, name)) for name in os.listdir(directory))
    return {"status": "ok", "after_4": after_4, "after_500": after_500, "files": files, "dir_bytes": size}


def store_rows() -> dict[str, Any]:
    from opentelemetry.semconv_ai.store import Store, member_name

    directory = tempfile.mkdtemp(prefix="bench-store-")
    llm = ("openai", "chat", "gpt-4o-mini", "")
    genai = ("chat", "openai", "gpt-4o-mini", "gpt-4o-mini", "api.openai.com", 443)
    out: dict[str, Any] = {"status": "ok"}
    for name, store in (("memory", Store(None)), ("file", Store(os.path.join(directory, member_name())))):
        rounds = []
        for _ in range(7):
            started = time.process_time()
            for _ in range(100_000):
                store.operation(llm, genai, "", 0.31, 120, 40, None, None, None, None, None)
                store.cost(llm, 0.0001)
            rounds.append((time.process_time() - started) / 100_000)
        out[name] = sorted(rounds)
    return out


def record_rows() -> dict[str, Any]:
    """CPU per operation through `Metrics.record_operation` + `record_cost`, by where it goes."""
    from prometheus_client import CollectorRegistry

    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.semconv_ai.metrics import Metrics
    from opentelemetry.semconv_ai.store import Store, member_name

    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=CollectorRegistry())])
    metrics = Metrics(provider)
    labels = metrics.llm_labels("openai", "chat", "gpt-4o-mini", "")

    def operation() -> None:
        metrics.record_operation(
            labels, duration=0.31, error_type=None, input_tokens=120, output_tokens=40, cache_read=None,
            cache_creation=None, reasoning=None, response_model="gpt-4o-mini",
            server_address="api.openai.com", server_port=443, time_to_first_chunk=None, time_per_chunk=None,
        )  # fmt: skip
        metrics.record_cost(labels, 0.0001)

    directory = tempfile.mkdtemp(prefix="bench-record-")
    configs = {
        "the SDK only (as before the store)": (None, True),
        "store in memory, SDK not fed (Prometheus readers only)": (Store(None), False),
        "store in a multi-process file, SDK not fed": (Store(os.path.join(directory, member_name())), False),
        "store in memory and the SDK fed (another reader, e.g. OTLP)": (Store(None), True),
    }
    out: dict[str, Any] = {"status": "ok", "rows": {}}
    for name, (store, feed) in configs.items():
        metrics.store, metrics.feed_sdk = store, feed
        for _ in range(2000):
            operation()
        rounds = []
        for _ in range(7):
            started = time.process_time()
            for _ in range(20_000):
                operation()
            rounds.append((time.process_time() - started) / 20_000)
        out["rows"][name] = sorted(rounds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=("stall", "restarts", "store", "record"))
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--multiproc", action="store_true", help="stall: with PROMETHEUS_MULTIPROC_DIR")
    args = parser.parse_args()
    if args.multiproc:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bench-stall-")
        os.environ.setdefault("OPENLLMETRY_EXPORTER_GRACE_SECONDS", "2")
    try:
        if args.mode == "stall":
            result = stall(args.seconds)
        elif args.mode == "restarts":
            result = restarts()
        elif args.mode == "record":
            result = record_rows()
        else:
            result = store_rows()
    except Exception as exc:
        traceback.print_exc()
        result = {"status": f"error: {type(exc).__name__}: {exc}"}
    result.update(mode=args.mode, multiproc=args.multiproc)
    emit(result)
    os._exit(0)


if __name__ == "__main__":
    main()
