"""Zero-code: the `opentelemetry_distro` and `opentelemetry_configurator` hooks of `opentelemetry-instrument`.

The distro sets defaults: metrics to Prometheus, traces and logs to OTLP when an OTLP exporter is
installed and an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or the signal's own), to
none otherwise. At exit every provider flushes within `OPENLLMETRY_SHUTDOWN_TIMEOUT`. The configurator
runs the SDK's own set-up, with two changes: the `prometheus` metrics exporter serves /metrics without
crashing on a busy port, and an exporter that is not installed is dropped with a warning instead of
failing the whole start-up.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import Any

from opentelemetry.environment_variables import (
    OTEL_LOGS_EXPORTER,
    OTEL_METRICS_EXPORTER,
    OTEL_TRACES_EXPORTER,
)
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.instrumentation.distro import BaseDistro
from opentelemetry.sdk._configuration import _OTelSDKConfigurator

from . import endpoint
from .exit import bound_exit
from .init import (
    OTLP_ENDPOINT_ENV,
    OTLP_PROTOCOL_ENV,
    _state,
    register_exit,
    start_evaluators,
)

logger = logging.getLogger("openllmetry")

PROMETHEUS = "prometheus"
OUR_PROMETHEUS = "openllmetry_prometheus"  # our entry point in opentelemetry_metrics_exporter
_EXPORTER_ENV = {"traces": OTEL_TRACES_EXPORTER, "metrics": OTEL_METRICS_EXPORTER, "logs": OTEL_LOGS_EXPORTER}
_CONFIGURATOR_ARGUMENT = {
    "traces": "trace_exporter_names",
    "metrics": "metric_exporter_names",
    "logs": "log_exporter_names",
}


def _installed(signal: str) -> set[str]:
    return {entry_point.name for entry_point in entry_points(group=f"opentelemetry_{signal}_exporter")}


def _otlp_name(signal: str, available: set[str]) -> str:
    """`otlp` → the installed variant, preferring the protocol the environment asks for."""
    protocol = (
        os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL")
        or os.environ.get(OTLP_PROTOCOL_ENV)
        or ""
    ).strip()
    order = (
        ["otlp_proto_grpc", "otlp_proto_http"]
        if protocol == "grpc"
        else ["otlp_proto_http", "otlp_proto_grpc"]
    )
    return next((name for name in order if name in available), order[0])


def exporter_names(signal: str) -> list[str]:
    """The installed exporters that OTEL_<SIGNAL>_EXPORTER names; the others are dropped with a warning."""
    raw = os.environ.get(_EXPORTER_ENV[signal], "")
    if raw.strip().lower() in ("", "none"):
        return []
    available = _installed(signal)
    names = []
    for name in (part.strip() for part in raw.split(",")):
        if not name or name == "none":
            continue
        if name == "otlp":
            name = _otlp_name(signal, available)
        if signal == "metrics" and name == PROMETHEUS:
            name = OUR_PROMETHEUS
        if name not in available:
            logger.warning(
                "openllmetry: the %s exporter %r is not installed, so %s are not exported%s",
                signal,
                name,
                signal,
                " (pip install 'openllmetry[otlp]')" if name.startswith("otlp") else "",
            )
            continue
        if name not in names:
            names.append(name)
    return names


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class OpenLLMetryDistro(BaseDistro):
    """Defaults for `opentelemetry-instrument`; an explicit OTEL_*_EXPORTER always wins."""

    def _configure(self, **kwargs: Any) -> None:
        os.environ.setdefault(OTEL_METRICS_EXPORTER, PROMETHEUS)
        has_otlp = any(name.startswith("otlp") for name in _installed("traces"))
        for signal, env in (("traces", OTEL_TRACES_EXPORTER), ("logs", OTEL_LOGS_EXPORTER)):
            if env in os.environ:
                continue
            # OTLP only towards an endpoint someone configured: the SDK's default (localhost:4318),
            # where usually nothing listens, would retry at every export and hold the exit.
            configured = _endpoint_configured(signal)
            os.environ[env] = "otlp" if has_otlp and configured else "none"
            if not configured or not has_otlp:
                logger.info(
                    "openllmetry: %s are not exported: %s (or set %s)",
                    signal,
                    "no OTLP exporter is installed (pip install 'openllmetry[otlp]')"
                    if configured
                    else f"{OTLP_ENDPOINT_ENV} is not set",
                    env,
                )


class OpenLLMetryConfigurator(_OTelSDKConfigurator):
    """The SDK's configurator, tolerant of missing exporters and of a busy Prometheus port."""

    def _configure(self, **kwargs: Any) -> None:
        for signal, argument in _CONFIGURATOR_ARGUMENT.items():
            kwargs[argument] = [*kwargs.get(argument, ()), *exporter_names(signal)]
        # The SDK reads OTEL_*_EXPORTER too: hide them while it runs, it gets the cleaned names instead.
        with _environ(dict.fromkeys(_EXPORTER_ENV.values(), "none")):
            super()._configure(**kwargs)
        with _state.lock:
            _state.initialized = True
            # The providers the SDK just made flush at exit through our bounded shutdown, not their own.
            for provider, slot in _sdk_providers():
                bound_exit(provider)
                if slot == "traces":
                    _state.tracer_provider = provider
                elif slot == "metrics":
                    _state.meter_provider = provider
                else:
                    _state.other_providers.append(provider)
        register_exit()
        start_evaluators(None, True)


def _endpoint_configured(signal: str) -> bool:
    return bool(
        os.environ.get(OTLP_ENDPOINT_ENV, "").strip()
        or os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT", "").strip()
    )


def _sdk_providers() -> list[tuple[Any, str]]:
    """The global SDK providers, with their signal (only those of the SDK: others are not ours)."""
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

    found: list[tuple[Any, str]] = []
    for provider, kind, slot in (
        (trace.get_tracer_provider(), TracerProvider, "traces"),
        (metrics.get_meter_provider(), MeterProvider, "metrics"),
    ):
        if isinstance(provider, kind):
            found.append((provider, slot))
    try:
        from opentelemetry._logs import get_logger_provider
        from opentelemetry.sdk._logs import LoggerProvider
    except ImportError:
        return found
    logs = get_logger_provider()
    if isinstance(logs, LoggerProvider):
        found.append((logs, "logs"))
    return found


class PrometheusReader(PrometheusMetricReader):
    """The `prometheus` metrics exporter of zero-code runs: serves /metrics like `init()` does.

    Other readers may sit next to it, so the SDK stays fed."""

    def __init__(self) -> None:
        super().__init__()
        endpoint.setup([self], {}, feed_sdk=True)
