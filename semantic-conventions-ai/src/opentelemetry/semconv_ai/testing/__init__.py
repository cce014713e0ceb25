"""Test helpers shared by every package's tests: in-memory SDK providers and metric lookups, and the
provider conformance suite (`Case`, `Conformance`; needs pytest).

Needs `opentelemetry-sdk`, which the core itself does not depend on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@dataclass
class Point:
    attributes: dict[str, Any]
    value: float | None = None  # counters
    count: int | None = None  # histograms
    sum: float | None = None
    bucket_counts: list[int] = field(default_factory=list)
    bounds: list[float] = field(default_factory=list)


class Capture:
    """A TracerProvider and MeterProvider that keep everything in memory."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def one_span(self) -> ReadableSpan:
        """The one span exported so far; fails, naming them, if there are others or none."""
        spans = self.spans()
        assert len(spans) == 1, [s.name for s in spans]
        return spans[0]

    def metrics(self) -> dict[str, list[Point]]:
        """Every metric collected now, by OpenTelemetry name."""
        out: dict[str, list[Point]] = {}
        data = self.reader.get_metrics_data()
        if data is None:
            return out
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    points = out.setdefault(metric.name, [])
                    for p in metric.data.data_points:
                        attrs = dict(p.attributes or {})
                        if hasattr(p, "bucket_counts"):
                            points.append(
                                Point(
                                    attrs,
                                    None,
                                    p.count,
                                    p.sum,
                                    list(p.bucket_counts),
                                    list(p.explicit_bounds),
                                )
                            )
                        else:
                            points.append(Point(attrs, p.value))
        return out

    def value(self, name: str, match: dict[str, Any] | None = None, **labels: Any) -> float:
        """Sum of a counter's values (or a histogram's sums) over points whose labels match."""
        labels = {**(match or {}), **labels}
        total = 0.0
        for point in self.metrics().get(name, []):
            if all(point.attributes.get(k) == v for k, v in labels.items()):
                total += point.value if point.value is not None else (point.sum or 0.0)
        return total

    def count(self, name: str, match: dict[str, Any] | None = None, **labels: Any) -> int:
        """Sum of a histogram's counts over points whose labels match."""
        labels = {**(match or {}), **labels}
        return sum(
            point.count or 0
            for point in self.metrics().get(name, [])
            if all(point.attributes.get(k) == v for k, v in labels.items())
        )

    def token_usage(self, token_type: str, provider: str) -> tuple[int, float]:
        """(count, sum) of `gen_ai.client.token.usage` for one token type of one provider."""
        match = {"gen_ai.token.type": token_type, "gen_ai.provider.name": provider}
        return self.count("gen_ai.client.token.usage", match), self.value("gen_ai.client.token.usage", match)

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def instrumented(instrumentor: Any, **kwargs: Any) -> Iterator[Capture]:
    """A fixture's body: `instrumentor` (a class or an instance) instrumented afresh onto a new `Capture`,
    and uninstrumented (settings reset) afterwards: `yield from instrumented(AcmeInstrumentor)`."""
    from .. import config

    capture = Capture()
    instance = instrumentor() if isinstance(instrumentor, type) else instrumentor
    if instance.is_instrumented_by_opentelemetry:  # left on by another test: start afresh
        instance.uninstrument()
    instance.instrument(
        tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider, **kwargs
    )
    try:
        yield capture
    finally:
        if instance.is_instrumented_by_opentelemetry:
            instance.uninstrument()
        capture.shutdown()
        config.reset()


def llm_labels(provider: str, operation: str, model: str, workflow: str = "") -> dict[str, str]:
    """The `llm_*` label set of one operation (outside any workflow by default)."""
    return {"model": model, "provider": provider, "operation": operation, "workflow": workflow}


def __getattr__(name: str) -> Any:
    # The conformance suite needs pytest; load it only when asked for.
    if name in ("Case", "Conformance"):
        from . import conformance

        return getattr(conformance, name)
    raise AttributeError(name)
