"""Many processes, one scrape: `PROMETHEUS_MULTIPROC_DIR`.

Every process that calls `init()` (and every process forked from one) records into a file of its
own in the directory (`opentelemetry.semconv_ai.store`). One small exporter process serves
`OTEL_EXPORTER_PROMETHEUS_HOST:PORT`: it sums the files of live processes, folds the files of dead
ones into an archive, and renders the exposition, all outside the application's processes.

The exporter keeps no state of its own: the numbers are in the files. Any process of the app
starts it when none runs (a lock file tells), checking every few seconds, so it survives the
worker that started it, and one that dies is replaced. It exits once no process of the app has
been alive for a grace period.

    python -m openllmetry.multiprocess --dir DIR --host HOST --port PORT [--grace S] [--resource JSON]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger("openllmetry")

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
GRACE_ENV = "OPENLLMETRY_EXPORTER_GRACE_SECONDS"
EXPORTER_LOCK = "openllmetry.exporter.lock"
EXPORTER_STATE = "openllmetry.exporter.json"
CHECK_SECONDS = 2.0
DEFAULT_GRACE_SECONDS = 10.0


def multiproc_dir() -> str | None:
    """The directory named by PROMETHEUS_MULTIPROC_DIR, created if missing; None when unset."""
    value = os.environ.get(MULTIPROC_DIR_ENV, "").strip()
    if not value:
        return None
    os.makedirs(value, exist_ok=True)
    return os.path.abspath(value)


def exporter_running(directory: str) -> bool:
    fd = os.open(os.path.join(directory, EXPORTER_LOCK), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # releases the lock if we got it
    return False


def exporter_address(directory: str) -> tuple[str, int] | None:
    """Where the running exporter serves, as it wrote it down (None before it has bound)."""
    try:
        with open(os.path.join(directory, EXPORTER_STATE)) as state:
            found = json.load(state)
        return str(found["host"]), int(found["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stop_exporter(directory: str, timeout: float = 10.0) -> None:
    """Stop the directory's exporter now (it would otherwise exit after its grace period): for tools
    such as the demo that own the directory and end all its processes."""
    try:
        with open(os.path.join(directory, EXPORTER_STATE)) as state:
            pid = int(json.load(state)["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + timeout
    while exporter_running(directory) and time.monotonic() < deadline:  # its lock goes when it exits
        time.sleep(0.05)


class Watchdog:
    """Starts the exporter when none runs: now, every CHECK_SECONDS, and again in forked children."""

    def __init__(self, directory: str, host: str, port: int, resource: Mapping[str, Any]) -> None:
        self.directory, self.host, self.port = directory, host, port
        self.resource = {str(k): str(v) for k, v in resource.items()}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Watchdog:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="openllmetry-exporter-watchdog", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not exporter_running(self.directory):
                    self.spawn()
            except Exception:
                logger.debug("checking the openllmetry exporter failed", exc_info=True)
            self._stop.wait(CHECK_SECONDS)

    def spawn(self) -> None:
        command = [sys.executable, "-m", "openllmetry.multiprocess", "--detach", "--dir", self.directory]
        command += ["--host", self.host, "--port", str(self.port), "--resource", json.dumps(self.resource)]
        # --detach starts the exporter in a session of its own and exits at once, so the exporter is
        # nobody's child: it outlives this process and is never left a zombie.
        subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, timeout=60, check=False)


# -- the exporter process -----------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from opentelemetry.semconv_ai.exposition import Renderer, target_info
    from opentelemetry.semconv_ai.store_files import DirectoryCollector

    from .metrics_server import MetricsServer

    lock = os.open(os.path.join(args.dir, EXPORTER_LOCK), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another exporter serves this directory
    collector = DirectoryCollector(args.dir)
    renderer = Renderer()
    info = target_info(json.loads(args.resource or "{}"))

    def render() -> bytes:
        return renderer.render(collector.collect(), info)

    server = None
    warned = False
    idle_since: float | None = None
    while True:
        if server is None:
            try:
                server = MetricsServer(args.host, args.port, render).start()
                _write_state(args.dir, args.host, server.server_port)
                logger.info(
                    "openllmetry exporter: serving %s on http://%s:%d/metrics",
                    args.dir,
                    args.host,
                    server.server_port,
                )
            except OSError as exc:
                if not warned:
                    warned = True
                    print(
                        f"openllmetry exporter: cannot serve Prometheus metrics on {args.host}:{args.port} "
                        f"({exc.strerror or exc}); retrying. Set OTEL_EXPORTER_PROMETHEUS_PORT to a free "
                        "port.",
                        file=sys.stderr,
                        flush=True,
                    )
        try:
            collector.fold()
        except FileNotFoundError:
            break  # the directory is gone
        except Exception:
            logger.debug("folding failed", exc_info=True)
        now = time.monotonic()
        if collector.live:
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= args.grace:
            break
        time.sleep(min(1.0, args.grace / 4))
    if server is not None:
        server.shutdown()
    try:
        os.unlink(os.path.join(args.dir, EXPORTER_STATE))
    except OSError:
        pass
    return 0


def _write_state(directory: str, host: str, port: int) -> None:
    temporary = os.path.join(directory, EXPORTER_STATE + ".tmp")
    with open(temporary, "w") as out:
        json.dump({"host": host, "port": port, "pid": os.getpid()}, out)
    os.replace(temporary, os.path.join(directory, EXPORTER_STATE))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=9464)
    parser.add_argument("--resource", default="{}")
    default_grace = float(os.environ.get(GRACE_ENV) or DEFAULT_GRACE_SECONDS)
    parser.add_argument("--grace", type=float, default=default_grace)
    parser.add_argument("--detach", action="store_true")
    args = parser.parse_args(argv)
    if args.detach:
        command = [sys.executable, "-m", "openllmetry.multiprocess", "--dir", args.dir, "--host", args.host]
        command += ["--port", str(args.port), "--resource", args.resource, "--grace", str(args.grace)]
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
        return 0
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
