"""FastHistogram gives every reader exactly what plain SDK `record()` calls would have given it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from opentelemetry.sdk.metrics import Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.semconv_ai import histograms
from opentelemetry.semconv_ai.histograms import Batcher

BOUNDS = (0.01, 0.02, 0.04, 0.08, 0.16)
VALUES = [0.0, 0.005, 0.01, 0.011, 0.03, 0.08, 0.5, 7.0, 0.02, 0.0, 1e-9, 0.16]
A = {"model": "a", "provider": "p"}
B = {"model": "b", "provider": "p"}
DELTA = {Histogram: AggregationTemporality.DELTA}


class Pair:
    """One histogram fed through FastHistogram and an identical one fed through plain record()."""

    def __init__(self, readers: int = 1, views: tuple[View, ...] = (), **reader_kwargs: Any) -> None:
        self.fast_readers = [InMemoryMetricReader(**reader_kwargs) for _ in range(readers)]
        self.plain_readers = [InMemoryMetricReader(**reader_kwargs) for _ in range(readers)]
        self.batcher = Batcher()
        self.fast = self._histogram(self.fast_readers, views, self.batcher)
        self.plain = self._histogram(self.plain_readers, views, None)

    @staticmethod
    def _histogram(
        readers: list[InMemoryMetricReader], views: tuple[View, ...], batcher: Batcher | None
    ) -> Any:
        meter = MeterProvider(metric_readers=readers, views=list(views)).get_meter("t")
        instrument = meter.create_histogram("h", unit="s", explicit_bucket_boundaries_advisory=list(BOUNDS))
        if batcher is None:
            return instrument
        meter.create_observable_gauge("flush", callbacks=[lambda _: batcher.flush() or ()])
        return batcher.histogram(instrument, BOUNDS)

    def record(self, value: float, attrs: dict[str, Any]) -> None:
        self.fast.record(value, attrs)
        self.plain.record(value, attrs)

    def assert_same(self) -> None:
        for fast, plain in zip(self.fast_readers, self.plain_readers, strict=True):
            assert points(fast) == points(plain)


def points(reader: InMemoryMetricReader) -> dict[str, tuple[Any, ...]]:
    data = reader.get_metrics_data()
    out = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    key = f"{metric.name}{sorted(point.attributes.items())}"
                    out[key] = (point.count, point.sum, point.bucket_counts, point.min, point.max)
    return out


def states(pair: Pair) -> set[int]:
    return {cell.state for cell in pair.fast._cells.values()}


def test_counts_sum_min_max_match_record_across_collections() -> None:
    pair = Pair()
    for value in VALUES:
        pair.record(value, A)
    pair.assert_same()
    assert states(pair) == {histograms._BOUND}  # the fast path was taken, not record() throughout
    for value in VALUES[:5]:
        pair.record(value, B)
    pair.assert_same()
    pair.assert_same()  # a collection with nothing new


@pytest.mark.parametrize("temporality", [{}, DELTA], ids=["cumulative", "delta"])
def test_several_readers_and_temporalities(temporality: dict[type, AggregationTemporality]) -> None:
    pair = Pair(readers=2, preferred_temporality=temporality)
    for round_ in range(3):
        for value in VALUES[round_:]:
            pair.record(value, A)
        pair.assert_same()
    # SDKs that discard delta aggregations at each collection keep delta readers on record().
    assert len(states(pair)) == 1


@pytest.mark.parametrize(
    "view",
    [
        View(instrument_name="h", aggregation=ExplicitBucketHistogramAggregation((0.1, 1.0))),
        View(instrument_name="h", attribute_keys={"model"}),
    ],
    ids=["other-buckets", "attribute-filter"],
)
def test_views_that_change_the_aggregation_keep_plain_record(view: View) -> None:
    pair = Pair(views=(view,))
    for value in VALUES:
        pair.record(value, A)
    pair.assert_same()
    assert states(pair) == {histograms._NEVER}


def test_disabled_batcher_and_odd_values_use_record() -> None:
    pair = Pair()
    pair.batcher.enabled = False
    for value in [*VALUES, -1.0, float("inf")]:
        pair.record(value, A)
    pair.assert_same()
    assert states(pair) == set()


def test_a_reader_added_later_sees_later_values() -> None:
    provider = MeterProvider(metric_readers=[first := InMemoryMetricReader()])
    if not hasattr(provider, "add_metric_reader"):
        pytest.skip("this SDK cannot add readers")
    batcher = Batcher()
    meter = provider.get_meter("t")
    meter.create_observable_gauge("flush", callbacks=[lambda _: batcher.flush() or ()])
    fast = batcher.histogram(
        meter.create_histogram("h", explicit_bucket_boundaries_advisory=list(BOUNDS)), BOUNDS
    )
    for value in VALUES:
        fast.record(value, A)
    first.get_metrics_data()
    provider.add_metric_reader(second := InMemoryMetricReader())
    first.get_metrics_data()  # a collection notices the new reader
    for value in VALUES:
        fast.record(value, A)
    assert points(first)[f"h{sorted(A.items())}"][0] == 2 * len(VALUES)
    assert points(second)[f"h{sorted(A.items())}"][0] == len(VALUES)


def test_threads_lose_nothing() -> None:
    pair = Pair()

    def work() -> None:
        for index in range(2000):
            pair.fast.record(VALUES[index % len(VALUES)], A)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for _ in range(20):
        pair.fast_readers[0].get_metrics_data()  # collections racing the writers
    for thread in threads:
        thread.join()
    for _ in threads:
        for index in range(2000):
            pair.plain.record(VALUES[index % len(VALUES)], A)
    pair.assert_same()
