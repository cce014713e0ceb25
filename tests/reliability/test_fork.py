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
