"""Histograms whose call path only counts into buckets; the SDK's aggregations get the counts later.

An OpenTelemetry SDK `Histogram.record()` costs several microseconds (a Measurement object,
attribute hashing, exemplar sampling, a lock per reader), and an operation records up to eight
values. Here the first value of a label set goes through `record()`, which makes the SDK create
its aggregation in every reader. The label set is then bound to those aggregations: later values
are counted into our own buckets under one lock, and a callback that the SDK runs at the start of
every collection adds the counts into the bound aggregations.

That last step relies on the SDK's explicit-bucket aggregation. Before anything binds, the fast
path checks itself once against `record()` (`histogram_check`). Every assumption is checked when
a label set is bound; anything else (a view that changes the aggregation, the buckets or the
attributes, readers that discard aggregations on collection, another SDK or SDK version) keeps the
label set on plain `record()`, as does `OPENLLMETRY_FAST_HISTOGRAMS=false`. Values counted this
way carry no exemplars.
"""

from __future__ import annotations

import logging
import math
import threading
from bisect import bisect_left
from collections.abc import Mapping
from typing import Any

from .histogram_check import fast_path_works

logger = logging.getLogger("opentelemetry.semconv_ai")

_UNBOUND, _BOUND, _NEVER = 0, 1, 2
_AGGREGATION = "_ExplicitBucketHistogramAggregation"
_Target = tuple[dict[Any, Any], Any, Any]  # (the view's aggregation table, its key, the aggregation)


class _Cell:
    """One label set of one histogram: the values counted since the last collection."""

    __slots__ = ("attrs", "counts", "max", "min", "pending", "state", "storages", "sum", "targets")

    def __init__(self, attrs: dict[str, Any], size: int) -> None:
        self.attrs = attrs
        self.counts = [0] * size
        self.sum = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.pending = False
        self.state = _UNBOUND
        self.targets: list[_Target] = []
        self.storages: object = None

    def take(self) -> tuple[list[int], float, float, float]:
        taken = (self.counts, self.sum, self.min, self.max)
        self.counts = [0] * len(self.counts)
        self.sum, self.min, self.max = 0.0, math.inf, -math.inf
        self.pending = False
        return taken


class Batcher:
    """The lock and the pending label sets shared by the histograms of one MeterProvider."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.lock = threading.Lock()
        self.dirty: list[_Cell] = []
        self.histograms: list[FastHistogram] = []

    def histogram(self, instrument: Any, bounds: tuple[float, ...]) -> FastHistogram:
        histogram = FastHistogram(instrument, bounds, self)
        self.histograms.append(histogram)
        return histogram

    def flush(self) -> None:
        """Add everything counted so far into the bound SDK aggregations (runs at collection)."""
        for histogram in self.histograms:
            histogram.notice_new_readers()
        with self.lock:
            cells, self.dirty = self.dirty, []
            batches = [(cell, cell.take()) for cell in cells]
        for cell, (counts, total, low, high) in batches:
            try:
                _merge(cell, counts, total, low, high)
            except Exception:  # an SDK that changed under us: back to record() for this label set
                logger.debug("could not merge histogram counts; using record()", exc_info=True)
                cell.state = _NEVER

    def after_fork(self) -> None:
        # The child is a new process: the parent's pending values are the parent's to report.
        self.lock = threading.Lock()
        for cell in self.dirty:
            cell.take()
        self.dirty = []


class FastHistogram:
    """`record(value, attrs)` for attribute dicts that are built once and reused (label caches)."""

    __slots__ = ("_batcher", "_bounds", "_cells", "instrument")

    def __init__(self, instrument: Any, bounds: tuple[float, ...], batcher: Batcher) -> None:
        self.instrument = instrument
        self._bounds = bounds
        self._batcher = batcher
        self._cells: dict[int, _Cell] = {}

    def record(self, value: float, attrs: dict[str, Any]) -> None:
        cell = self._cells.get(id(attrs))
        if cell is None or cell.state != _BOUND or cell.attrs is not attrs or not 0 <= value < math.inf:
            self._record_slowly(value, attrs, cell)
            return
        batcher = self._batcher
        with batcher.lock:
            if not cell.pending:
                cell.pending = True
                batcher.dirty.append(cell)
            cell.counts[bisect_left(self._bounds, value)] += 1
            cell.sum += value
            if value < cell.min:
                cell.min = value
            if value > cell.max:
                cell.max = value

    def notice_new_readers(self) -> None:
        """A reader added to the MeterProvider has no aggregations yet: record() creates them."""
        current = _storages(self.instrument)
        for cell in list(self._cells.values()):
            if cell.state == _BOUND and cell.storages is not current:
                cell.state = _UNBOUND

    def _record_slowly(self, value: float, attrs: dict[str, Any], cell: _Cell | None) -> None:
        self.instrument.record(value, attrs)
        if not self._batcher.enabled:
            return
        if cell is None or cell.attrs is not attrs:
            if id(attrs) in self._cells:  # a dict that died and whose id was reused: rare, skip it
                return
            cell = self._cells.setdefault(id(attrs), _Cell(attrs, len(self._bounds) + 1))
        if cell.state != _UNBOUND:
            return
        if not fast_path_works(Batcher):
            cell.state = _NEVER
            return
        try:
            found = _find_targets(self.instrument, attrs, self._bounds)
        except Exception:
            logger.debug("histogram aggregations not recognised; using record()", exc_info=True)
            found = None
        with self._batcher.lock:
            if found is None:
                cell.state = _NEVER
            else:
                cell.storages, cell.targets = found
                cell.state = _BOUND


def _find_targets(
    instrument: Any, attrs: dict[str, Any], bounds: tuple[float, ...]
) -> tuple[object, list[_Target]] | None:
    """The SDK aggregations that `record(value, attrs)` just fed, one per reader and view, if all fit."""
    real = _sdk_instrument(instrument)
    storages = _storages(instrument)
    if not isinstance(storages, Mapping) or not storages:
        return None
    targets: list[_Target] = []
    for storage in storages.values():
        matches = storage._instrument_view_instrument_matches.get(real)
        if not matches:
            return None
        for match in matches:
            if getattr(match, "_reset_on_collect", False):
                return None
            table = match._attributes_aggregation
            found = [(k, agg) for k, agg in list(table.items()) if getattr(agg, "_attributes", 0) == attrs]
            if len(found) != 1 or not _fits(found[0][1], bounds):
                return None
            targets.append((table, found[0][0], found[0][1]))
    return storages, targets


def _sdk_instrument(instrument: Any) -> Any:
    return getattr(instrument, "_real_instrument", None) or instrument  # the API's proxy for a late provider


def _storages(instrument: Any) -> object:
    """The SDK's per-reader storages; replaced, never mutated, when a reader is added or removed."""
    consumer = getattr(_sdk_instrument(instrument), "_measurement_consumer", None)
    return getattr(consumer, "_reader_storages", None)


def _fits(aggregation: Any, bounds: tuple[float, ...]) -> bool:
    value = getattr(aggregation, "_value", None)
    return (
        type(aggregation).__name__ == _AGGREGATION
        and hasattr(aggregation, "_value")
        and tuple(getattr(aggregation, "_boundaries", ())) == bounds
        and (value is None or (isinstance(value, list) and len(value) == len(bounds) + 1))
        and isinstance(getattr(aggregation, "_sum", None), (int, float))
        and isinstance(getattr(aggregation, "_min", None), (int, float))
        and isinstance(getattr(aggregation, "_max", None), (int, float))
        and hasattr(aggregation, "_lock")
    )


def _merge(cell: _Cell, counts: list[int], total: float, low: float, high: float) -> None:
    for table, key, aggregation in cell.targets:
        if table.get(key) is not aggregation:
            logger.debug("a histogram aggregation was replaced; %d values not merged", sum(counts))
            cell.state = _NEVER
            continue
        with aggregation._lock:
            value = aggregation._value
            if value is None:
                aggregation._value = list(counts)
            else:
                for index, count in enumerate(counts):
                    if count:
                        value[index] += count
            aggregation._sum += total
            if getattr(aggregation, "_record_min_max", True):
                aggregation._min = min(aggregation._min, low)
                aggregation._max = max(aggregation._max, high)
