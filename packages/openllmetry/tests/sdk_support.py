"""Helpers for the SDK's tests, importable both by the tests and by the scenario subprocesses they run.

Everything that sets OpenTelemetry's global providers runs in a subprocess (`run_python`), because a
process can set them only once. Scenarios print JSON on their last stdout line.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without OpenTelemetry or openllmetry settings, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "OPENLLMETRY_", "OPENAI_", "ANTHROPIC_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["OTEL_EXPORTER_PROMETHEUS_HOST"] = HOST
    # The scenarios call OpenAI only; not instrumenting (so not importing) anthropic saves seconds each.
    env["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"] = "anthropic"
    env.update(extra)
    return env


def run_python(
    code: str, *, env: dict[str, str] | None = None, python: str = sys.executable, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-c", code],
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=HERE,
    )


def last_json(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, f"no output\nstderr:\n{proc.stderr}"
    return json.loads(lines[-1])


# -- used inside scenario subprocesses ---------------------------------------------------------------


def scrape(port: int | str | None = None) -> str:
    port = port or os.environ["OTEL_EXPORTER_PROMETHEUS_PORT"]
    with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def samples(text: str, prefixes: tuple[str, ...] = ("llm_", "gen_ai_")) -> list[list[Any]]:
    """[[sample name, labels without otel_scope_*, value], ...] for the families named by `prefixes`."""
    from prometheus_client.parser import text_string_to_metric_families

    out = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith(prefixes):
                labels = {k: v for k, v in sample.labels.items() if not k.startswith("otel_scope_")}
                out.append([sample.name, labels, sample.value])
    return out


def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    """Poll `predicate()` until it returns something truthy (prices load in a background thread)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def chat(base_url: str, text: str = "hello there", model: str = "gpt-4o-mini", **headers: str) -> Any:
    import openai

    client = openai.OpenAI(base_url=base_url, api_key="test-key", max_retries=0)
    try:
        return client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": text}], extra_headers=headers or None
        )
    finally:
        client.close()


# -- used by the tests ---------------------------------------------------------------------------------


def value(found: list[list[Any]], name: str, **labels: str) -> float:
    """Sum of the samples called `name` whose labels include `labels`."""
    return sum(v for n, got, v in found if n == name and all(got.get(k) == w for k, w in labels.items()))


def names(found: list[list[Any]]) -> set[str]:
    return {n for n, _, _ in found}
