"""shutdown() and process exit: streams in flight end first, and a hung exporter or an OTLP endpoint
where nothing listens holds the exit no longer than OPENLLMETRY_SHUTDOWN_TIMEOUT."""

from __future__ import annotations

import textwrap
import time
from typing import Any

from sdk_support import clean_env, free_port, last_json, run_python

PRELUDE = """
import json, os, threading, time
import openai
import openllmetry
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
URL = os.environ["MOCK_URL"]
MSG = [{"role": "user", "content": "one two three four five"}]

class Keep(SpanExporter):
    def __init__(self, hang=False):
        self.spans, self.hang = [], hang
    def export(self, spans):
        self.spans.extend(spans)
        if self.hang:
            threading.Event().wait()  # an exporter stuck on a dead network
        return SpanExportResult.SUCCESS
    def shutdown(self):
        pass
"""


def run(mock: Any, body: str, **env: str) -> tuple[Any, float]:
    started = time.monotonic()
    proc = run_python(
        PRELUDE + textwrap.dedent(body),
        env=clean_env(MOCK_URL=mock.openai_base_url, OTEL_EXPORTER_PROMETHEUS_PORT=str(free_port()), **env),
    )
    return last_json(proc), time.monotonic() - started


def test_shutdown_ends_streams_first_and_a_hung_exporter_cannot_block_it(mock_provider: Any) -> None:
    out, _ = run(
        mock_provider,
        """
        keep = Keep(hang=True)  # records what it is given, then hangs like an exporter on a dead network
        openllmetry.init("svc", exporter=keep)
        client = openai.OpenAI(base_url=URL, api_key="k", max_retries=0)
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=MSG, stream=True)
        next(iter(stream))  # still open when the application shuts down
        started = time.monotonic()
        openllmetry.shutdown(timeout=0.5)
        print(json.dumps({"took": time.monotonic() - started, "spans": [s.name for s in keep.spans]}))
        """,
    )
    assert out["spans"] == ["chat gpt-4o-mini"]  # main: lost ("Processor is already shutdown")
    assert out["took"] < 2.0  # main: 30 s, the BatchSpanProcessor's own export timeout


def test_a_hung_exporter_cannot_hold_the_exit(mock_provider: Any) -> None:
    out, _ = run(
        mock_provider,
        """
        openllmetry.init("svc", exporter=Keep(hang=True), disable_batch=False)
        client = openai.OpenAI(base_url=URL, api_key="k", max_retries=0)
        client.chat.completions.create(model="gpt-4o-mini", messages=MSG)
        print(json.dumps(time.monotonic()))  # exits without shutdown(); one clock for both processes
        """,
        OPENLLMETRY_SHUTDOWN_TIMEOUT="1",
    )
    # The 1 s timeout and the interpreter's teardown (seconds on a loaded machine); main: 30 s and more.
    assert time.monotonic() - out < 20
