"""How each contender is switched on, the way its README tells a user to.

Every setup ends with spans going to a no-op exporter (behind the usual BatchSpanProcessor) and a
Prometheus reader attached to the MeterProvider, so the work a real deployment does is counted.
Runs in the workspace venv ("ours") and in each peer's throwaway venv.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

INIT_KWARGS_ENV = "BENCH_INIT_KWARGS"  # JSON object of extra openllmetry.init() arguments

# Spans the SDKs make themselves once a TracerProvider is set (anthropic 2.x does); not the setup's.
SDK_SCOPES = frozenset({"com.anthropic.sdk.python"})


class CountingExporter(SpanExporter):
    """Drops every span, counting them: proves that a setup really instruments the calls."""

    def __init__(self) -> None:
        self.spans = 0  # the instrumentation's
        self.sdk_spans = 0  # the SDKs' own

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        for span in spans:
            scope = getattr(span, "instrumentation_scope", None)
            if getattr(scope, "name", None) in SDK_SCOPES:
                self.sdk_spans += 1
            else:
                self.spans += 1
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


@dataclass
class Active:
    """A switched-on setup: what it instrumented, how to flush it, how many spans it exported."""

    exporter: CountingExporter
    flush: Callable[[], Any]
    providers: frozenset[str]
    packages: dict[str, str]
    notes: list[str] = field(default_factory=list)


def version_of(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def _global_providers(exporter: CountingExporter) -> tuple[Any, Any]:
    """An SDK TracerProvider (batching to `exporter`) and a MeterProvider with a Prometheus reader, global."""
    from opentelemetry import metrics, trace
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": "bench"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[PrometheusMetricReader()], resource=resource)
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    return tracer_provider, meter_provider


OURS_PROVIDERS = frozenset(
    {
        "openai",
        "anthropic",
        "google_genai",
        "groq",
        "together",
        "mistralai",
        "cohere",
        "ollama",
        "bedrock",
        "litellm",
    }
)


def ours(content: bool) -> Active:
    """`openllmetry.init()` as the README shows; the bare instrumentors if the SDK has no init() yet."""
    import openllmetry
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.semconv_ai import configure

    exporter = CountingExporter()
    packages = {
        name: version_of(name)
        for name in (
            "openllmetry",
            "opentelemetry-instrumentation-openai",
            "opentelemetry-instrumentation-anthropic",
            "opentelemetry-instrumentation-google-genai",
            "opentelemetry-instrumentation-groq",
            "opentelemetry-instrumentation-together",
            "opentelemetry-instrumentation-mistralai",
            "opentelemetry-instrumentation-cohere",
            "opentelemetry-instrumentation-ollama",
            "opentelemetry-instrumentation-bedrock",
            "opentelemetry-instrumentation-litellm",
        )
    }
    init = getattr(openllmetry, "init", None)
    if init is not None:
        extra = json.loads(os.environ.get(INIT_KWARGS_ENV) or "{}")  # for experiments: evaluators off, ...
        init(
            app_name="bench", metric_readers=[PrometheusMetricReader()], exporter=exporter,
            capture_content=content, **extra,
        )  # fmt: skip
        from opentelemetry import trace

        provider = trace.get_tracer_provider()

        def flush() -> None:
            provider.force_flush()
            drain_evaluators()

        return Active(exporter, flush, OURS_PROVIDERS, packages)

    from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    configure(capture_content=content)
    tracer_provider, meter_provider = _global_providers(exporter)
    for instrumentor in (OpenAIInstrumentor(), AnthropicInstrumentor()):
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    note = "openllmetry.init() missing: instrumentors on SDK providers"
    return Active(exporter, tracer_provider.force_flush, frozenset({"openai", "anthropic"}), packages, [note])


def drain_evaluators(timeout: float = 5.0) -> None:
    """Wait until the SDK's evaluator thread has scored every queued operation.

    It runs off the call path; a benchmark round must still pay for its own calls' evaluations,
    and canned calls come far faster than real ones, so the queue would otherwise spill into the
    next round (or overflow and drop evaluations).
    """
    try:
        from openllmetry import evaluators
    except ImportError:
        return
    worker = getattr(getattr(evaluators, "_State", None), "worker", None)
    pending = getattr(worker, "queue", None)
    deadline = time.monotonic() + timeout
    while pending is not None and pending.qsize() and time.monotonic() < deadline:
        time.sleep(0.0002)  # lets the evaluator thread take the GIL


def traceloop(content: bool) -> Active:
    """Traceloop's two instrumentors (not traceloop-sdk), content through TRACELOOP_TRACE_CONTENT."""
    os.environ["TRACELOOP_TRACE_CONTENT"] = "true" if content else "false"
    from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    exporter = CountingExporter()
    tracer_provider, meter_provider = _global_providers(exporter)
    for instrumentor in (OpenAIInstrumentor(), AnthropicInstrumentor()):
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    packages = {
        name: version_of(name)
        for name in ("opentelemetry-instrumentation-openai", "opentelemetry-instrumentation-anthropic")
    }
    return Active(exporter, tracer_provider.force_flush, frozenset({"openai", "anthropic"}), packages)


def _openlit_prices() -> str:
    """A local price list for the benchmark's models, so openlit.init() fetches none over the network."""
    from canned import CHAT_MODEL, CLAUDE_MODEL, EMBEDDING_MODEL

    prices = {
        "chat": {
            CHAT_MODEL: {"promptPrice": 0.00015, "completionPrice": 0.0006},
            CLAUDE_MODEL: {"promptPrice": 0.0008, "completionPrice": 0.004},
        },
        "embeddings": {EMBEDDING_MODEL: 0.00002},
    }
    handle, path = tempfile.mkstemp(prefix="openlit-prices-", suffix=".json")
    with os.fdopen(handle, "w") as out:
        json.dump(prices, out)
    return path


def openlit(content: bool) -> Active:
    """`openlit.init()`; it reuses the SDK providers already set, as its docs describe."""
    exporter = CountingExporter()
    tracer_provider, _ = _global_providers(exporter)
    import openlit as sdk

    sdk.init(application_name="bench", capture_message_content=content, pricing_json=_openlit_prices())
    return Active(
        exporter,
        tracer_provider.force_flush,
        frozenset({"openai", "anthropic"}),
        {"openlit": version_of("openlit")},
    )


def _event_logger_provider() -> Any:
    """An SDK LoggerProvider batching to a no-op exporter, for peers that log content as events."""
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, InMemoryLogRecordExporter

    class Dropping(InMemoryLogRecordExporter):
        def export(self, batch: Sequence[Any]) -> Any:
            return super().export(())

    provider = LoggerProvider()
    provider.add_log_record_processor(BatchLogRecordProcessor(Dropping()))
    return provider


def otel_v2(content: bool) -> Active:
    """OpenTelemetry contrib's openai-v2; content on spans where it can (2.4+), else as log events."""
    version = version_of("opentelemetry-instrumentation-openai-v2")
    on_spans = not version.startswith(("0.", "1.", "2.0", "2.1", "2.2", "2.3"))
    notes = ["no Anthropic instrumentation"]
    if content and on_spans:
        os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "span_only"
        notes.append("content: gen_ai_latest_experimental, span_only")
    elif content:
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true"
        notes.append(f"openai-v2 {version} records content as log events: batched to a no-op exporter")
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    exporter = CountingExporter()
    tracer_provider, meter_provider = _global_providers(exporter)
    providers = {"tracer_provider": tracer_provider, "meter_provider": meter_provider}
    if content and not on_spans:
        providers["logger_provider"] = _event_logger_provider()
    OpenAIInstrumentor().instrument(**providers)
    packages = {"opentelemetry-instrumentation-openai-v2": version}
    return Active(exporter, tracer_provider.force_flush, frozenset({"openai"}), packages, notes)


SETUPS: dict[str, Callable[[bool], Active]] = {
    "ours": ours,
    "traceloop": traceloop,
    "openlit": openlit,
    "otel-v2": otel_v2,
}
