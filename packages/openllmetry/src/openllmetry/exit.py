"""Bounded shutdown: flushing telemetry at shutdown or exit waits at most OPENLLMETRY_SHUTDOWN_TIMEOUT.

A hung exporter, or an OTLP endpoint where nothing listens (the exporter retries with backoff for its
whole timeout), would otherwise hold `shutdown()` and the interpreter's exit for 8 to 30 s.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

logger = logging.getLogger("openllmetry")

SHUTDOWN_TIMEOUT_ENV = "OPENLLMETRY_SHUTDOWN_TIMEOUT"
DEFAULT_SHUTDOWN_TIMEOUT = 3.0


def _guard(fn: Any) -> None:
    try:
        fn()
    except Exception:
        logger.debug("openllmetry shutdown step %r failed", fn, exc_info=True)


def shutdown_timeout() -> float:
    try:
        value = float(os.environ.get(SHUTDOWN_TIMEOUT_ENV, "") or DEFAULT_SHUTDOWN_TIMEOUT)
    except ValueError:
        return DEFAULT_SHUTDOWN_TIMEOUT
    return value if value >= 0 else DEFAULT_SHUTDOWN_TIMEOUT


def bounded(steps: Sequence[Any], timeout: float) -> bool:
    """Run `steps`, each in a daemon thread, and wait for them all at most `timeout` seconds.

    Returns False when they did not finish in time: they are then left to their daemon threads,
    which the interpreter does not wait for at exit.
    """
    workers = [
        threading.Thread(target=_guard, args=(step,), name="openllmetry-shutdown", daemon=True)
        for step in steps
    ]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + timeout
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    if any(worker.is_alive() for worker in workers):
        logger.warning(
            "openllmetry: flushing telemetry took longer than %.1f s (%s); giving up so the application "
            "can exit. Unsent spans, metrics or logs are lost.",
            timeout,
            SHUTDOWN_TIMEOUT_ENV,
        )
        return False
    return True


def abort_exports(
    span_processors: Sequence[Any], tracer_provider: Any, meter_provider: Any, others: Sequence[Any]
) -> None:
    """Shut our exporters down directly: an OTLP exporter then stops retrying at once."""
    exporters = [getattr(p, "span_exporter", None) for p in span_processors]
    active = getattr(tracer_provider, "_active_span_processor", None)
    for processor in getattr(active, "_span_processors", ()):
        exporters.append(getattr(processor, "span_exporter", None))
    for reader in getattr(getattr(meter_provider, "_sdk_config", None), "metric_readers", ()):
        exporters.append(getattr(reader, "_exporter", None))
    for provider in others:  # a LoggerProvider's processors
        multi = getattr(provider, "_multi_log_record_processor", None)
        for processor in getattr(multi, "_log_record_processors", ()):
            exporters.append(getattr(processor, "_exporter", None))
    for exporter in exporters:
        shut = getattr(exporter, "shutdown", None)
        if callable(shut):
            threading.Thread(target=_guard, args=(shut,), daemon=True).start()


def bound_exit(provider: Any) -> None:
    """Take a provider's own exit handler (an unbounded flush) away; ours bounds it instead."""
    handler = getattr(provider, "_atexit_handler", None)
    if handler is not None:
        atexit.unregister(handler)
        provider._atexit_handler = None
