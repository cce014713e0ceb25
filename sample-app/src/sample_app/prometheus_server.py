"""A real Prometheus on loopback, run with the shipped configuration and rules, and its query API.

The demo and the end-to-end test use it. The configuration is `prometheus/prometheus.yml` with two
things changed: the scrape target (the app's /metrics) and the scrape/evaluation interval.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

BINARY_ENV = "PROMETHEUS_BIN"
SHIPPED_TARGET = "localhost:9464"
SHIPPED_INTERVAL = "15s"
RULE_FILES = ("recording_rules.yml", "alert_rules.yml")
INSTALL_HINT = (
    "install it with `sudo apt-get install prometheus` (Debian/Ubuntu, promtool included) "
    "or set PROMETHEUS_BIN / PROMTOOL_BIN"
)


def _die_with_parent() -> None:
    """In the child before exec: Linux sends SIGTERM when the starting thread dies, even by SIGKILL."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux: stop() still ends it on every normal path
        pass


class PrometheusError(RuntimeError):
    pass


def config_dir() -> Path:
    """`sample-app/prometheus/` (source checkout) or its copy inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "prometheus", here.parents[1] / "prometheus"):
        if (candidate / "prometheus.yml").is_file():
            return candidate
    raise PrometheusError(f"the shipped Prometheus configuration was not found near {here}")


def find_binary(name: str = "prometheus", env: str = BINARY_ENV) -> str | None:
    """`$env` when set (a path or a name on PATH), else `name` on PATH; None if not executable."""
    configured = os.environ.get(env, "").strip()
    return shutil.which(configured or name)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def derived_config(target: str, interval: str) -> str:
    """The shipped prometheus.yml, scraping `target` every `interval` (rules evaluated as often)."""
    text = (config_dir() / "prometheus.yml").read_text()
    if text.count(f'"{SHIPPED_TARGET}"') != 1 or text.count(f"interval: {SHIPPED_INTERVAL}") != 2:
        raise PrometheusError("prometheus.yml no longer has the one target and two intervals this expects")
    text = text.replace(f'"{SHIPPED_TARGET}"', json.dumps(target))
    return text.replace(f"interval: {SHIPPED_INTERVAL}", f"interval: {interval}")


def fleet_config(jobs: dict[str, list[str]], interval: str) -> str:
    """The shipped prometheus.yml with one scrape job per entry of `jobs` (name -> targets)."""
    text = derived_config(SHIPPED_TARGET, interval)
    shipped = f'  - job_name: openllmetry\n    static_configs:\n      - targets: ["{SHIPPED_TARGET}"]\n'
    if shipped not in text:
        raise PrometheusError("prometheus.yml no longer has the one scrape job this expects")
    generated = "".join(
        f"  - job_name: {json.dumps(name)}\n    static_configs:\n      - targets: {json.dumps(targets)}\n"
        for name, targets in jobs.items()
    )
    return text.replace(shipped, generated)


class Prometheus:
    """`with Prometheus("127.0.0.1:9464") as prom: prom.query("up")`. Always stopped on exit."""

    def __init__(
        self, target: str, *, interval: str = "1s", binary: str | None = None, port: int = 0,
        jobs: dict[str, list[str]] | None = None,
    ) -> None:  # fmt: skip
        self.target = target
        self.jobs = jobs  # several scrape jobs instead of the one shipped job scraping `target`
        self.interval = interval
        self.binary = binary or find_binary()
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    def start(self, timeout: float = 30.0) -> Prometheus:
        if self.binary is None:
            raise PrometheusError(f"no `prometheus` binary found: {INSTALL_HINT}")
        self._workdir = tempfile.TemporaryDirectory(prefix="openllmetry-prometheus-")
        work = Path(self._workdir.name)
        for name in RULE_FILES:
            shutil.copy(config_dir() / name, work / name)
        if self.jobs:
            config = fleet_config(self.jobs, self.interval)
        else:
            config = derived_config(self.target, self.interval)
        (work / "prometheus.yml").write_text(config)
        with open(work / "prometheus.log", "wb") as log:
            self._process = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={work / 'prometheus.yml'}",
                    f"--storage.tsdb.path={work / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--storage.tsdb.retention.time=1h",
                    "--log.level=warn",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise PrometheusError(f"prometheus exited with {self._process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise PrometheusError(f"prometheus was not ready after {timeout:g} s:\n{self.log()}")

    def log(self) -> str:
        if self._workdir is None:
            return ""
        path = Path(self._workdir.name) / "prometheus.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def version(self) -> str:
        return str(self._api("status/buildinfo").get("version", "?"))

    def query(self, expr: str, at: float | None = None) -> list[tuple[dict[str, str], float]]:
        """An instant query: (labels, value) per series. Raises PrometheusError on a bad query."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self._api("query", params)
        if data.get("resultType") == "scalar":
            return [({}, float(data["result"][1]))]
        return [(item["metric"], float(item["value"][1])) for item in data.get("result", [])]

    def wait_for_scrape(self, after: float, timeout: float = 10.0) -> float | None:
        """The time of the first scrape that started after `after` (unix seconds), once it is stored."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            times = [value for _, value in self.query("timestamp(up)") if value > after]
            if times:
                return min(times)
            time.sleep(0.2)
        return None

    def alerts(self) -> list[dict[str, Any]]:
        return list(self._api("alerts").get("alerts", []))

    def rule_groups(self) -> list[dict[str, Any]]:
        return list(self._api("rules").get("groups", []))

    def rules_evaluated_after(self, at: float) -> bool:
        """Whether every rule group has finished an evaluation that started after `at` (Unix time)."""
        groups = self.rule_groups()
        return bool(groups) and all(_unix(group.get("lastEvaluation", "")) > at for group in groups)

    def _api(self, path: str, params: dict[str, str] | None = None) -> Any:
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            body = json.loads(error.read() or b"{}")
        except OSError as error:
            raise PrometheusError(f"prometheus API {path} failed: {error}") from error
        if body.get("status") != "success":
            raise PrometheusError(f"{body.get('errorType', 'error')}: {body.get('error', body)}")
        return body.get("data", {})

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        workdir, self._workdir = self._workdir, None
        if workdir is not None:
            workdir.cleanup()

    def __enter__(self) -> Prometheus:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _unix(rfc3339: str) -> float:
    """Prometheus' RFC 3339 timestamps carry nanoseconds, more than datetime parses everywhere."""
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$", rfc3339)
    if not match:
        return 0.0
    whole = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return whole.timestamp() + float(match.group(2) or 0)
