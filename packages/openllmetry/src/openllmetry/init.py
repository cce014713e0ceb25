"""`openllmetry.init()` and `shutdown()`: providers, readers, exporters, views, the /metrics server.

Heavy modules (the SDK, the Prometheus exporter, OTLP) are imported inside the functions that need
them, so `import openllmetry` stays cheap. Nothing here raises into the application.
"""

from __future__ import annotations

import atexit
import importlib
import inspect
import logging
import os
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import endpoint
from .endpoint import (  # noqa: F401  (public names of this module before endpoint existed)
    DEFAULT_PROMETHEUS_HOST,
    DEFAULT_PROMETHEUS_PORT,
    PROMETHEUS_HOST_ENV,
    PROMETHEUS_PORT_ENV,
    serve,
)
from .exit import abort_exports, bound_exit, bounded, shutdown_timeout

logger = logging.getLogger("openllmetry")

OTLP_ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
OTLP_PROTOCOL_ENV = "OTEL_EXPORTER_OTLP_PROTOCOL"

_OTLP_CLASSES = {
    "traces": ("trace_exporter", "OTLPSpanExporter"),
    "metrics": ("metric_exporter", "OTLPMetricExporter"),
}


@dataclass
class _State:
    lock: threading.RLock = field(default_factory=threading.RLock)
    initialized: bool = False
    shut_down: bool = False
    tracer_provider: Any = None  # only providers this SDK created; the application's are never shut down
    meter_provider: Any = None
    span_processors: list[Any] = field(default_factory=list)  # ours, on the application's TracerProvider
    instrumentors: list[Any] = field(default_factory=list)
    evaluators: bool = False
    otlp_missing_warned: bool = False
    exit_registered: bool = False
    other_providers: list[Any] = field(default_factory=list)  # the zero-code run's logger provider


_state = _State()


def _after_fork_in_child() -> None:
    _state.lock = threading.RLock()  # the /metrics server is endpoint's to handle


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def init(
    app_name: str,
    *,
    metric_readers: Sequence[Any] | None = None,
    exporter: Any = None,
    instruments: Iterable[str] | None = None,
    block_instruments: Iterable[str] | None = None,
    capture_content: bool | None = None,
    resource_attributes: Mapping[str, Any] | None = None,
    disable_batch: bool = False,
    metric_families: Iterable[str] | str | None = None,
    pricing: str | os.PathLike[str] | Mapping[str, Any] | Any = None,
    evaluators: Sequence[Any] | Mapping[str, Any] | None = None,
    builtin_evaluators: bool | Collection[str] = True,
    cardinality_limit: int | None = None,
) -> None:
    """Set up OpenTelemetry for an LLM application in one call. See the package README.

    `capture_content=None` and `metric_families=None` keep the environment's choice
    (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, `OPENLLMETRY_METRIC_FAMILIES`).
    """
    with _state.lock:
        if _state.initialized and _step(endpoint.restart_after_fork):
            # A worker forked from an initialized parent that served /metrics itself: telemetry is
            # already set up; only the server has to start again, on this worker's port.
            return
        if _state.initialized or _state.shut_down:
            logger.info(
                "openllmetry is already %s; this init() call changes nothing",
                "shut down" if _state.shut_down else "initialized",
            )
            return
        _state.initialized = True
        register_exit()
        # Each step on its own: one that fails (a bad exporter, say) does not stop the others.
        _step(_configure_core, capture_content, metric_families, cardinality_limit)
        resource = _step(_resource, app_name, resource_attributes)
        _step(_setup_traces, resource, exporter, disable_batch)
        _step(_setup_metrics, resource, metric_readers)
        _step(_configure_pricing, pricing)
        _step(_instrument, instruments, block_instruments)
        _step(start_evaluators, evaluators, builtin_evaluators)


def shutdown(timeout: float | None = None) -> None:
    """End open streams, flush telemetry, stop the /metrics server and the evaluators, and uninstrument.

    Flushing waits at most `timeout` seconds (default `OPENLLMETRY_SHUTDOWN_TIMEOUT`, 3): a hung exporter
    or an OTLP endpoint where nothing listens cannot hold the application's exit longer than that.
    """
    with _state.lock:
        if not _state.initialized:
            return
        _guard(_end_open_streams)  # their spans must reach the processors before those shut down
        if _state.evaluators:
            _guard(_stop_evaluators)
        for instrumentor in reversed(_state.instrumentors):
            _guard(instrumentor.uninstrument)
        steps = [processor.shutdown for processor in _state.span_processors]  # each flushes first
        providers = (_state.tracer_provider, _state.meter_provider, *_state.other_providers)
        steps += [p.shutdown for p in providers if p is not None]
        if not bounded(steps, shutdown_timeout() if timeout is None else timeout):
            abort_exports(
                _state.span_processors, _state.tracer_provider, _state.meter_provider, _state.other_providers
            )
        _guard(endpoint.stop)
        _state.instrumentors, _state.span_processors = [], []
        _state.tracer_provider = _state.meter_provider = None
        _state.other_providers = []
        _state.initialized, _state.shut_down = False, True


def _end_open_streams() -> None:
    from opentelemetry.semconv_ai.stream import end_open_streams

    end_open_streams()


def _at_exit() -> None:
    shutdown()


def register_exit() -> None:
    with _state.lock:
        if not _state.exit_registered:
            _state.exit_registered = True
            atexit.register(_at_exit)


def _step(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:
        logger.warning("openllmetry.init(): %s failed; continuing without it", fn.__name__, exc_info=True)
        return None


def _instrument(instruments: Iterable[str] | None, block_instruments: Iterable[str] | None) -> None:
    from .discovery import instrument, select

    _state.instrumentors = instrument(
        select(instruments, block_instruments), explicit=instruments is not None
    )


def _guard(fn: Any) -> None:
    try:
        fn()
    except Exception:
        logger.debug("openllmetry shutdown step %r failed", fn, exc_info=True)


# -- settings and resource ---------------------------------------------------------------


def _configure_core(
    capture_content: bool | None, metric_families: Iterable[str] | str | None, cardinality_limit: int | None
) -> None:
    from opentelemetry.semconv_ai import configure
    from opentelemetry.semconv_ai.config import ALL_FAMILIES, parse_families

    families = None
    if metric_families is not None:
        given = metric_families if isinstance(metric_families, str) else ",".join(metric_families)
        families = parse_families(given)
        unknown = {part.strip() for part in given.split(",") if part.strip()} - ALL_FAMILIES - {"none"}
        if unknown:
            logger.warning(
                "openllmetry: unknown metric families %s ignored; the families are %s",
                sorted(unknown),
                sorted(ALL_FAMILIES),
            )
    configure(capture_content=capture_content, metric_families=families, cardinality_limit=cardinality_limit)


def _resource(app_name: str, attributes: Mapping[str, Any] | None) -> Any:
    from opentelemetry.sdk.resources import Resource

    return Resource.create({**(attributes or {}), "service.name": app_name})


# -- traces --------------------------------------------------------------------------------


def _setup_traces(resource: Any, exporter: Any, disable_batch: bool) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    exporters = [exporter] if exporter is not None else []
    otlp = _otlp("traces")
    if otlp is not None:
        exporters.append(otlp)
    processor = SimpleSpanProcessor if disable_batch else BatchSpanProcessor
    processors = [processor(item) for item in exporters]

    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        for item in processors:
            current.add_span_processor(item)
        _state.span_processors = processors
        logger.info("openllmetry: using the TracerProvider the application set (its resource is kept)")
        return
    if not isinstance(current, trace.ProxyTracerProvider):
        if processors:
            logger.warning(
                "openllmetry: the application set a %s, which takes no span processors; "
                "add the span exporter to it yourself",
                type(current).__name__,
            )
        return
    provider = TracerProvider(resource=resource)
    bound_exit(provider)  # shutdown() at exit flushes it, within the shutdown timeout
    for item in processors:
        provider.add_span_processor(item)
    trace.set_tracer_provider(provider)
    _state.tracer_provider = provider


# -- metrics -------------------------------------------------------------------------------


def _setup_metrics(resource: Any, metric_readers: Sequence[Any] | None) -> None:
    from opentelemetry import metrics
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider

    current = metrics.get_meter_provider()
    if type(current).__name__ != "_ProxyMeterProvider":
        _explain_existing_meter_provider(current, metric_readers, PrometheusMetricReader)
        return
    readers = list(metric_readers or ()) or [PrometheusMetricReader()]
    otlp = _otlp("metrics")
    if otlp is not None:
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        readers.append(PeriodicExportingMetricReader(otlp))
    provider = MeterProvider(metric_readers=readers, resource=resource, views=_views())
    bound_exit(provider)
    metrics.set_meter_provider(provider)
    _state.meter_provider = provider
    prometheus = [r for r in readers if isinstance(r, PrometheusMetricReader)]
    if prometheus:
        # /metrics renders openllmetry's series from the core's store; the SDK is fed only when
        # another reader (OTLP, in-memory, ...) needs it.
        attributes = dict(getattr(resource, "attributes", None) or {})
        endpoint.setup(prometheus, attributes, feed_sdk=len(prometheus) < len(readers))


def _views() -> list[Any]:
    """Drop a switched-off metric family at the SDK too, so no empty series appear."""
    from opentelemetry.sdk.metrics.view import DropAggregation, View
    from opentelemetry.semconv_ai import instruments, settings
    from opentelemetry.semconv_ai.config import GENAI_FAMILY, LLM_FAMILY
    from opentelemetry.semconv_ai.labels import sdk_cardinality_limit

    dropped = []
    if LLM_FAMILY not in settings.metric_families:
        dropped += instruments.LLM_FAMILY_SPECS
    if GENAI_FAMILY not in settings.metric_families:
        dropped += instruments.GENAI_FAMILY_SPECS
    views = [View(instrument_name=spec.name, aggregation=DropAggregation()) for spec in dropped]
    # The SDK's own limit (2000 points per instrument) sized above our label caps, so that the
    # core's `other` is the only overflow anyone sees (never `otel_metric_overflow="true"`).
    if "aggregation_cardinality_limit" in inspect.signature(View.__init__).parameters:
        limit = sdk_cardinality_limit(settings.cardinality_limit)
        views += [
            View(instrument_name=spec.name, aggregation_cardinality_limit=limit)
            for spec in instruments.ALL_SPECS
            if spec not in dropped
        ]
    return views


def _explain_existing_meter_provider(
    provider: Any, metric_readers: Sequence[Any] | None, prometheus: type
) -> None:
    try:
        has_prometheus = any(isinstance(r, prometheus) for r in provider._sdk_config.metric_readers)
    except Exception:
        has_prometheus = False
    ignored = " The metric_readers given to init() are not used." if metric_readers else ""
    if has_prometheus and not ignored:
        logger.info(
            "openllmetry: recording into the MeterProvider the application set, which has a Prometheus reader"
        )
        return
    logger.warning(
        "openllmetry: the application already set a MeterProvider, so GenAI metrics are recorded there and "
        "openllmetry serves no /metrics. To expose them, create that provider with "
        "metric_readers=[PrometheusMetricReader()] and call prometheus_client.start_http_server(), "
        "or call openllmetry.init() before setting a provider.%s",
        ignored,
    )


def stop_server() -> None:
    endpoint.stop()


# -- OTLP, pricing, evaluators ---------------------------------------------------------------


def _otlp(signal: str) -> Any:
    """An OTLP exporter for `signal` when OTEL_EXPORTER_OTLP_ENDPOINT (or the signal's own) is set."""
    suffix = signal.upper()
    if not (os.environ.get(OTLP_ENDPOINT_ENV) or os.environ.get(f"OTEL_EXPORTER_OTLP_{suffix}_ENDPOINT")):
        return None
    protocol = os.environ.get(f"OTEL_EXPORTER_OTLP_{suffix}_PROTOCOL") or os.environ.get(OTLP_PROTOCOL_ENV)
    preferred = ("grpc", "http") if (protocol or "").strip() == "grpc" else ("http", "grpc")
    module_name, class_name = _OTLP_CLASSES[signal]
    for kind in preferred:
        try:
            module = importlib.import_module(f"opentelemetry.exporter.otlp.proto.{kind}.{module_name}")
        except ImportError:
            continue
        try:
            return getattr(module, class_name)()
        except Exception:
            logger.warning("openllmetry: creating the OTLP %s exporter failed", signal, exc_info=True)
            return None
    if not _state.otlp_missing_warned:
        _state.otlp_missing_warned = True
        logger.warning(
            "openllmetry: %s is set but no OTLP exporter is installed, so nothing is sent over OTLP: "
            "pip install 'openllmetry[otlp]'",
            OTLP_ENDPOINT_ENV,
        )
    return None


def _configure_pricing(pricing: Any) -> None:
    if pricing is None:
        return
    try:
        if isinstance(pricing, (str, os.PathLike)):
            from opentelemetry.semconv_ai import prices

            prices.configure_file(pricing)  # read off the call path; only a regular file is read
        elif isinstance(pricing, Mapping):
            from opentelemetry.semconv_ai import prices

            prices.configure(pricing)
        else:
            from opentelemetry.semconv_ai import set_pricer

            set_pricer(pricing)
    except Exception:
        logger.warning(
            "openllmetry: configuring prices from %r failed; default prices apply", pricing, exc_info=True
        )


def start_evaluators(evaluators: Any, builtins: bool | Collection[str]) -> None:
    try:
        from . import evaluators as module
    except ImportError:
        logger.debug("openllmetry evaluators are not available", exc_info=True)
        return
    try:
        module.start(evaluators, builtins=builtins)
        _state.evaluators = True
    except Exception:
        logger.warning("openllmetry: starting the evaluators failed", exc_info=True)


def _stop_evaluators() -> None:
    from . import evaluators as module

    module.stop()
    _state.evaluators = False
