"""Helpers for the reliability tests: both instrumentors on one in-memory capture, profiles, checks."""

from __future__ import annotations

import logging
import math
import os
from typing import Any

from hypothesis import HealthCheck, settings
from prometheus_client import CollectorRegistry, generate_latest

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.semconv_ai.testing import Capture

# fast: every `make test`; long: the nightly job; custom: a one-off sweep of HYPOTHESIS_MAX_EXAMPLES.
for _profile, _examples in (
    ("fast", 30),
    ("long", 2000),
    ("custom", int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "100"))),
):
    settings.register_profile(
        _profile,
        max_examples=_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

API_KEY = "sk-test-0123456789abcdefghijklmn"


class Toggle:
    """Both instrumentors on one in-memory Capture, switchable per call."""

    def __init__(self) -> None:
        self.capture = Capture()
        self.instrumentors = [OpenAIInstrumentor(), AnthropicInstrumentor()]

    def on(self) -> None:
        for inst in self.instrumentors:
            inst.instrument(
                tracer_provider=self.capture.tracer_provider, meter_provider=self.capture.meter_provider
            )

    def off(self) -> None:
        for inst in self.instrumentors:
            inst.uninstrument()


class Everything:
    """Both instrumentors: spans, the Prometheus exposition and given log text, as one text to search."""

    def __init__(self) -> None:
        self.capture = Capture()
        self.registry = CollectorRegistry()
        self.meter_provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=self.registry)])
        self.instrumentors = [OpenAIInstrumentor(), AnthropicInstrumentor()]
        for inst in self.instrumentors:
            inst.instrument(tracer_provider=self.capture.tracer_provider, meter_provider=self.meter_provider)

    def exported(self, log_text: str) -> str:
        parts = [log_text, generate_latest(self.registry).decode()]
        parts += [span.to_json() for span in self.capture.spans()]
        return "\n".join(parts)

    def text(self, records: list[logging.LogRecord]) -> str:
        """With our own log records (DEBUG and tracebacks included)."""
        formatter = logging.Formatter("%(name)s %(message)s")
        ours = [formatter.format(r) for r in records if r.name.startswith(("opentelemetry", "openllmetry"))]
        return self.exported("\n".join(ours))

    def close(self) -> None:
        for inst in self.instrumentors:
            inst.uninstrument()
        self.capture.shutdown()
        self.meter_provider.shutdown()


class SwallowedErrors(logging.Handler):
    """Exceptions our guards caught and logged: the caller never sees them, but each one is lost
    telemetry, so the fuzz suite wants none."""

    LOGGERS = (
        "opentelemetry.semconv_ai",
        "opentelemetry.instrumentation.openai",
        "opentelemetry.instrumentation.anthropic",
    )

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.seen.append(f"{record.getMessage()}: {record.exc_info[1]!r}")

    def __enter__(self) -> SwallowedErrors:
        self._levels = []
        for name in self.LOGGERS:
            log = logging.getLogger(name)
            self._levels.append(log.level)
            log.setLevel(logging.DEBUG)
            log.addHandler(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        for name, level in zip(self.LOGGERS, self._levels, strict=True):
            log = logging.getLogger(name)
            log.removeHandler(self)
            log.setLevel(level)


def assert_sane_metrics(capture: Capture) -> None:
    """No counter negative or non-finite; no histogram with a non-finite or negative sum."""
    for name, points in capture.metrics().items():
        for p in points:
            for value in (p.value, p.sum):
                if value is not None:
                    assert math.isfinite(value) and value >= 0, (name, p)


def outcome(call: Any) -> tuple[str, str]:
    """What the caller sees: the repr of the value, or the exception's type and text."""
    try:
        value = call()
    except Exception as exc:
        return ("raised", f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}")
    return ("returned", repr(value))
