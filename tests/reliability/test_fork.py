"""A fork()ed child (gunicorn --preload) inherits no held lock and no parent totals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

CHILD = textwrap.dedent(
    """
    import json, os, sys, threading, time
    import openai
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor
    from opentelemetry.semconv_ai.testing import Capture

    cap = Capture()
    OpenAIInstrumentor().instrument(tracer_provider=cap.tracer_provider, meter_provider=cap.meter_provider)
    client = openai.OpenAI(base_url=sys.argv[1], api_key="sk-test", max_retries=0)
    msg = [{"role": "user", "content": "hi"}]
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o", messages=msg)

    # A thread that holds the core's locks while the process forks, as a scrape or a call could.
    from opentelemetry.semconv_ai import metrics, operation
    metrics_obj = metrics.metrics_for(cap.meter_provider)
    held = threading.Event()
    def hold():
        with metrics_obj._lock, operation._end_lock:
            held.set()
            time.sleep(30)
    threading.Thread(target=hold, daemon=True).start()
    held.wait()

    pid = os.fork()
    if pid == 0:
        client = openai.OpenAI(base_url=sys.argv[1], api_key="sk-test", max_retries=0)
        for _ in range(2):
            client.chat.completions.create(model="gpt-4o", messages=msg)
        print(json.dumps({"child_requests": cap.value("llm.requests", model="gpt-4o")}), flush=True)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"child_status": status}), flush=True)
    os._exit(0)
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_forked_child_neither_deadlocks_nor_inherits_totals(mock_provider: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", CHILD, mock_provider.openai_base_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert {"child_requests": 2.0} in lines, done.stderr
    assert {"child_status": 0} in lines


SDK_CHILD = textwrap.dedent(
    """
    import json, os, re, sys, urllib.request
    import openai
    import openllmetry

    base_url, parent_port, child_port = sys.argv[1], sys.argv[2], sys.argv[3]
    os.environ["OTEL_EXPORTER_PROMETHEUS_PORT"] = parent_port
    openllmetry.init("fork-test")
    msg = [{"role": "user", "content": "hi"}]
    openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0).chat.completions.create(
        model="gpt-4o", messages=msg
    )

    def requests(port):
        text = urllib.request.urlopen(f"http://localhost:{port}/metrics", timeout=5).read().decode()
        found = re.search(r'^llm_requests_total\\{[^}]*model="gpt-4o"[^}]*\\} (\\S+)$', text, re.M)
        return float(found.group(1)) if found else 0.0

    pid = os.fork()
    if pid == 0:
        os.environ["OTEL_EXPORTER_PROMETHEUS_PORT"] = child_port
        openllmetry.init("fork-test")  # in a post_fork hook: serves this worker's metrics on its port
        client = openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0)
        for _ in range(2):
            client.chat.completions.create(model="gpt-4o", messages=msg)
        print(json.dumps({"child": requests(child_port)}), flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
    print(json.dumps({"parent": requests(parent_port)}), flush=True)
    openllmetry.shutdown()
    """
)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_forked_worker_serves_its_own_metrics_after_init(mock_provider: Any) -> None:
    parent_port, child_port = _free_port(), _free_port()
    done = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore",
            "-c",
            SDK_CHILD,
            mock_provider.openai_base_url,
            str(parent_port),
            str(child_port),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert {"child": 2.0} in lines, done.stderr
    assert {"parent": 1.0} in lines, done.stderr
