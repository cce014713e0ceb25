"""`make demo` in miniature: it runs offline to completion, shows the table and the seed queries,
and leaves no process or port behind, on its normal end and on Ctrl-C alike."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

from sample_app.live_table import read_metrics
from sample_app.prometheus_server import free_port


def demo_env(seconds: float, metrics_port: int) -> dict[str, str]:
    env = {**os.environ, "DEMO_SECONDS": str(seconds), "SAMPLE_APP_MOCK": "1", "COLUMNS": "120"}
    env.update(
        {"OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1", "OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port)}
    )
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    return env


def is_listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def prometheus_port(output: str) -> int:
    match = re.search(r"Prometheus on\s+http://127\.0\.0\.1:(\d+)", output)
    assert match, output
    return int(match.group(1))


def test_demo_runs_offline_to_completion(prometheus_binary: str) -> None:
    metrics_port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "sample_app.demo"],
        env=demo_env(3, metrics_port),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "openai: mock provider, anthropic: mock provider" in output
    assert "LLM operations by model, whole run" in output
    for column in ("model", "provider", "reqs", "errors", "p50", "p95", "tok/s", "cost"):
        assert column in output
    assert re.search(r"gpt-4o-mini\s+openai\s+\d+\s+\d+\.\d%", output), output
    for seed in (
        "rate(llm_operation_duration_seconds_sum[5m]) / rate(llm_operation_duration_seconds_count[5m])",
        "rate(llm_operation_errors_total[5m]) / rate(llm_requests_total[5m])",
        "sum by (model) (rate(llm_tokens_usage_total[5m]))",
    ):
        assert seed in output
    assert "Traceback" not in output
    assert "demo finished" in output
    assert not is_listening(prometheus_port(output)), "Prometheus outlived the demo"
    assert not is_listening(metrics_port), "/metrics outlived the demo"


def start_demo(metrics_port: int) -> tuple[subprocess.Popen[str], list[str], int]:
    """A 120 s demo, read up to its start line (mock, /metrics and Prometheus are up): the process,
    the lines so far and Prometheus's port. Killed if it never gets there."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sample_app.demo"],
        env=demo_env(120, metrics_port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Prometheus on" in line:
                break
        port = prometheus_port("".join(lines))
        assert is_listening(port)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    return process, lines, port


def test_ctrl_c_stops_everything(prometheus_binary: str) -> None:
    metrics_port = free_port()
    process, lines, port = start_demo(metrics_port)
    try:
        deadline = time.monotonic() + 30
        while "llm_requests_total{" not in read_metrics(f"http://127.0.0.1:{metrics_port}/metrics"):
            assert time.monotonic() < deadline, "no traffic"
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, "".join(lines) + rest
    assert "interrupted: everything stopped" in rest
    assert not is_listening(port), "Prometheus outlived the demo"
    assert not is_listening(metrics_port), "/metrics outlived the demo"


def test_a_killed_demo_leaves_nothing_running(prometheus_binary: str) -> None:
    """SIGKILL runs no cleanup: Prometheus, the workers and the exporter still go, on their own."""
    metrics_port = free_port()
    process, _, port = start_demo(metrics_port)
    process.kill()
    process.communicate()
    deadline = time.monotonic() + 60
    while is_listening(port) or is_listening(metrics_port):
        assert time.monotonic() < deadline, ("Prometheus" if is_listening(port) else "/metrics") + " outlived"
        time.sleep(0.5)
