"""Many processes, one scrape: real gunicorn and uvicorn workers with PROMETHEUS_MULTIPROC_DIR.

Every request makes one chat call ("hello there": 2 input tokens, 4 output tokens) and returns
only once the call is recorded, so a scrape after the last response must show exact totals:
workers that were recycled (--max-requests) and one that was SIGKILLed included, each series once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from multiprocess_support import HERE, App, get, gunicorn, samples, total, uvicorn, wait_for

from llm_mock import MockProvider

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with MockProvider() as provider:
        yield provider


def assert_exact(app: App, ok: int, failed: int = 0) -> dict[Any, float]:
    found = app.scrape()
    calls = ok + failed
    chat = {"model": "gpt-4o-mini", "provider": "openai", "operation": "chat"}
    assert total(found, "llm_requests_total", **chat) == calls
    assert total(found, "llm_operation_errors_total", **chat) == failed
    assert total(found, "llm_operation_duration_seconds_count", **chat) == calls
    assert total(found, "llm_operation_duration_seconds_bucket", le="+Inf", **chat) == calls
    assert total(found, "llm_tokens_usage_total", token_type="input", **chat) == 2 * ok
    assert total(found, "llm_tokens_usage_total", token_type="output", **chat) == 4 * ok
    assert total(found, "gen_ai_client_operation_duration_seconds_count") == calls
    assert total(found, "gen_ai_client_token_usage_sum", gen_ai_token_type="output") == 4 * ok
    assert not [key for key in found if any(k.startswith("otel_scope_") for k, _ in key[1])]
    return found


def live_pid(app: App) -> int:
    return int(json.loads(get(app.url + "/pid"))["pid"])


def test_gunicorn_workers_recycled_and_killed(mock: MockProvider) -> None:
    with App(gunicorn("--workers", "2", "--max-requests", "8"), mock.openai_base_url) as app:
        pids = app.call(20)
        app.call(4, fail="500")
        os.kill(live_pid(app), signal.SIGKILL)
        pids |= app.call(8)
        assert len(pids) >= 4, "the workers should have been recycled"
        assert_exact(app, ok=28, failed=4)
        # Dead workers' files are folded into the archive: one file per live worker stays.
        wait_for("dead workers' files to be folded", lambda: len(app.member_files()) <= 2)
        assert_exact(app, ok=28, failed=4)


def test_gunicorn_preload(mock: MockProvider) -> None:
    # The master imports the app (and calls init()) before forking the workers.
    with App(gunicorn("--preload", "--workers", "2", "--max-requests", "5"), mock.openai_base_url) as app:
        app.call(12)
        os.kill(live_pid(app), signal.SIGKILL)
        app.call(6)
        assert_exact(app, ok=18)
        wait_for("dead workers' files to be folded", lambda: len(app.member_files()) <= 3)


def test_uvicorn_workers_and_32_concurrent_scrapers(mock: MockProvider) -> None:
    with App(uvicorn(2), mock.openai_base_url) as app:
        app.call(10)
        bodies: list[bytes] = []
        errors: list[BaseException] = []

        def scrape() -> None:
            try:
                for _ in range(3):
                    bodies.append(get(app.metrics_url, headers={"Accept-Encoding": "identity"}))
            except BaseException as exc:  # collected: the assertion below shows it
                errors.append(exc)

        threads = [threading.Thread(target=scrape) for _ in range(32)]
        for thread in threads:
            thread.start()
        app.call(2)  # the app keeps answering while it is scraped
        for thread in threads:
            thread.join(120)
        assert not errors and len(bodies) == 96
        for body in bodies:
            found = samples(body.decode())
            assert total(found, "llm_requests_total") in (10, 11, 12)
        assert_exact(app, ok=12)


POOL = textwrap.dedent(
    """
    import json, multiprocessing, os, sys, urllib.request
    import multiprocess_app  # init() at import, in the parent
    from multiprocess_support import get, samples, total, wait_for

    if __name__ == "__main__":
        with multiprocessing.get_context("fork").Pool(3) as pool:
            pids = set(pool.starmap(multiprocess_app.call, [("gpt-4o-mini", None)] * 9, chunksize=1))
        multiprocess_app.call("gpt-4o-mini", None)
        url = "http://127.0.0.1:%s/metrics" % os.environ["OTEL_EXPORTER_PROMETHEUS_PORT"]
        found = wait_for("the exporter", lambda: samples(get(url).decode()))
        print(json.dumps({"pids": len(pids), "requests": total(found, "llm_requests_total")}))
    """
)


def test_multiprocessing_pool(mock: MockProvider) -> None:
    app = App([], mock.openai_base_url)
    try:
        done = subprocess.run(
            [sys.executable, "-c", POOL], cwd=HERE, env=app.env, capture_output=True, text=True, timeout=120
        )
        result = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else done.stderr
        assert isinstance(result, dict) and result["requests"] == 10 and result["pids"] >= 1, result
    finally:
        app.stop()


READERS = textwrap.dedent(
    """
    import json, os, sys
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    import openllmetry

    memory = InMemoryMetricReader()
    openllmetry.init("readers-app", metric_readers=[PrometheusMetricReader(), memory])
    import multiprocess_app
    from multiprocess_support import get, samples, total, wait_for

    def own_requests():
        points = [
            point.value
            for resource in memory.get_metrics_data().resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == "llm.requests"
            for point in metric.data.data_points
        ]
        return sum(points)

    for _ in range(3):
        multiprocess_app.call("gpt-4o-mini", None)
    pid = os.fork()
    if pid == 0:
        for _ in range(2):
            multiprocess_app.call("gpt-4o-mini", None)
        print(json.dumps({"child": own_requests()}), flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
    url = "http://127.0.0.1:%s/metrics" % os.environ["OTEL_EXPORTER_PROMETHEUS_PORT"]
    found = wait_for("the exporter", lambda: samples(get(url).decode()))
    print(json.dumps({"parent": own_requests(), "served": total(found, "llm_requests_total")}), flush=True)
    """
)


def test_other_readers_see_their_own_process(mock: MockProvider) -> None:
    # The in-memory reader of each process sees that process's numbers; the one endpoint sees both.
    app = App([], mock.openai_base_url, app_name="readers-app")
    try:
        done = subprocess.run(
            [sys.executable, "-c", READERS],
            cwd=HERE,
            env=app.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        assert {"child": 2} in lines and {"parent": 3, "served": 5} in lines, done.stdout + done.stderr
    finally:
        app.stop()
