"""The fast histogram path checks itself against plain `record()`, once per process, before it binds.

`histograms.FastHistogram` writes into the OpenTelemetry SDK's aggregations through private names.
A release that keeps the names but changes what they mean would make counts wrong without an error,
so before the first label set binds, the same values go through the fast path and through `record()`
on two scratch MeterProviders, over two collections; only if every exported number (counts per
bucket, sum, min, max) is equal, and the fast path really bound, do label sets bind. Otherwise every
histogram stays on `record()` and a warning says so: correct, only slower.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("opentelemetry.semconv_ai")

_BOUNDS = (0.01, 0.1, 1.0)
_ROUNDS = ((0.0, 0.003, 0.5, 7.0), (0.01, 0.02, 1.0, 0.1, 2e-9))
_lock = threading.RLock()
_verdict: bool | None = None
_checking = False


def fast_path_works(batcher: Callable[[bool], Any]) -> bool:
    """Whether the fast path (`batcher` is `histograms.Batcher`) exports what `record()` exports with the
    installed SDK; checked once per process."""
    global _verdict, _checking
    verdict = _verdict
    if verdict is not None:
        return verdict
    with _lock:
        if _checking:  # the check's own histogram binding
            return True
        if _verdict is None:
            _checking = True
            try:
                _verdict = _check(batcher)
            except Exception:
                logger.debug("the fast histogram check failed", exc_info=True)
                _verdict = False
            finally:
                _checking = False
            if not _verdict:
                logger.warning(
                    "opentelemetry-sdk %s: fast histogram recording does not match record(); using record()",
                    _sdk_version(),
                )
        return _verdict


def reset() -> None:
    """Forget the verdict (tests)."""
    global _verdict
    with _lock:
        _verdict = None


def _check(make_batcher: Callable[[bool], Any]) -> bool:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    attrs = {"check": "fast"}
    results = []
    for fast in (True, False):
        reader = InMemoryMetricReader()
        provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
        meter = provider.get_meter("opentelemetry.semconv_ai.histogram_check")
        instrument: Any = meter.create_histogram("check", explicit_bucket_boundaries_advisory=list(_BOUNDS))
        batcher = make_batcher(True)
        if fast:
            meter.create_observable_gauge("flush", callbacks=[lambda _, b=batcher: b.flush() or ()])
            instrument = batcher.histogram(instrument, _BOUNDS)
        exported = []
        for values in _ROUNDS:
            for value in values:
                instrument.record(value, attrs)
            exported.append(_points(reader))
        if fast:
            cells = list(instrument._cells.values())
            if not cells or not all(cell.targets for cell in cells):  # targets: set once bound
                provider.shutdown()
                return False
        provider.shutdown()
        results.append(exported)
    return results[0] == results[1] and all(results[0])


def _points(reader: Any) -> list[tuple[Any, ...]]:
    data = reader.get_metrics_data()
    out = []
    for resource in data.resource_metrics if data is not None else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != "check":
                    continue
                for point in metric.data.data_points:
                    bounds, counts = tuple(point.explicit_bounds), tuple(point.bucket_counts)
                    out.append((point.count, point.sum, point.min, point.max, bounds, counts))
    return out


def _sdk_version() -> str:
    try:
        from importlib.metadata import version

        return version("opentelemetry-sdk")
    except Exception:
        return "?"
