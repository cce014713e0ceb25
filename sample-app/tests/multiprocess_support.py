"""Running multiprocess_app.py under real gunicorn / uvicorn workers, and reading the one endpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from sample_app.prometheus_server import free_port

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
BIN = Path(sys.executable).parent


def wait_for(what: str, condition: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = condition()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def get(url: str, timeout: float = 30.0, headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return bytes(response.read())


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition; fails on a series that appears twice."""
    seen: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            seen[key] += 1
            values[key] = sample.value
    duplicates = [key for key, count in seen.items() if count > 1]
    assert not duplicates, f"series exposed more than once: {duplicates[:5]}"
    return values


def total(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return sum(
        value
        for (sample, pairs), value in found.items()
        if sample == name and all(dict(pairs).get(k) == v for k, v in labels.items())
    )


class App:
    """`with App(["gunicorn", ...], mock_url) as app:` the server and its exporter, stopped after."""

    def __init__(self, command: list[str], mock_url: str, *, app_name: str = "multiprocess-app", **env: str):
        self.port = free_port()
        self.metrics_port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="openllmetry-multiproc-")
        self.directory = self._dir.name
        self.command = [part.format(port=self.port) for part in command]
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENLLMETRY_", "PROMETHEUS_"))
        }
        self.env.update(
            PROMETHEUS_MULTIPROC_DIR=self.directory,
            OTEL_EXPORTER_PROMETHEUS_HOST=HOST,
            OTEL_EXPORTER_PROMETHEUS_PORT=str(self.metrics_port),
            OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="anthropic",
            OPENLLMETRY_EXPORTER_GRACE_SECONDS="1",
            MOCK_URL=mock_url,
            APP_NAME=app_name,
            PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
            **env,
        )
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  (closed in stop())

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://{HOST}:{self.metrics_port}/metrics"

    def start(self) -> App:
        self.process = subprocess.Popen(
            self.command, cwd=HERE, env=self.env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log
        )
        wait_for("the app to answer", lambda: self.alive() and get(self.url + "/pid", timeout=5))
        wait_for("the exporter to answer", lambda: get(self.metrics_url, timeout=5) is not None)
        return self

    def alive(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"{self.command[0]} exited with {self.process.returncode}:\n{self.log()}")
        return True

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-6000:]

    def call(self, n: int, model: str = "gpt-4o-mini", fail: str | None = None) -> set[int]:
        pids = set()
        query = f"model={model}" + (f"&fail={fail}" if fail else "")
        for _ in range(n):
            pids.add(json.loads(get(f"{self.url}/call?{query}", timeout=180))["pid"])
        return pids

    def scrape(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return samples(get(self.metrics_url).decode())

    def member_files(self) -> list[str]:
        return [name for name in os.listdir(self.directory) if name.endswith(".db")]

    def exporter_pid(self) -> int | None:
        try:
            return int(json.loads(Path(self.directory, "openllmetry.exporter.json").read_text())["pid"])
        except (OSError, ValueError, KeyError):
            return None

    def stop(self) -> None:
        exporter = self.exporter_pid()
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if exporter is not None:
            # With no process of the app left, the exporter exits after its grace period (1 s here).
            try:
                wait_for("the exporter to exit", lambda: not _running(exporter), timeout=15)
            except AssertionError:
                os.kill(exporter, signal.SIGKILL)
                raise
        self._dir.cleanup()
        self._log.close()

    def __enter__(self) -> App:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not running: reap it if it is ours
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "Z"


def gunicorn(*options: str, app: str = "multiprocess_app:wsgi") -> list[str]:
    command = [
        str(BIN / "gunicorn"),
        "--bind",
        f"{HOST}:{{port}}",
        "--log-level",
        "warning",
        "--timeout",
        "120",
    ]
    return [*command, *options, app]


def uvicorn(workers: int) -> list[str]:
    command = [str(BIN / "uvicorn"), "multiprocess_app:asgi", "--host", HOST, "--port", "{port}"]
    return [*command, "--workers", str(workers), "--log-level", "warning"]
