"""Every label from data or configuration is capped, with one overflow value counted; the state is
bounded whatever the input; and the SDK's own cardinality limit sits above ours, so `other` is the
only overflow anyone sees."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from reliability_support import API_KEY

from openllmetry.init import _views
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.semconv_ai import Request, Telemetry, config, enter_workflow, exit_workflow
from opentelemetry.semconv_ai.labels import OVERFLOW, RESERVE, VALUE_LIMITS
from opentelemetry.semconv_ai.pricing import NoPrices, set_pricer
from opentelemetry.semconv_ai.testing import Capture


class Exposed:
    def __init__(self, views: list[Any] | None = None) -> None:
        self.capture = Capture()
        self.registry = CollectorRegistry()
        self.meter_provider = MeterProvider(
            metric_readers=[PrometheusMetricReader(registry=self.registry)], views=views or ()
        )
        self.telemetry = Telemetry("caps", self.capture.tracer_provider, self.meter_provider)

    def call(
        self, model: str, *, workflow: str = "", host: str | None = None, port: int | None = None
    ) -> None:
        token = enter_workflow(workflow)
        try:
            op = self.telemetry.start("chat", Request(model, "openai", server_address=host, server_port=port))
            op.set_response(model=model)
            op.set_usage(input_tokens=3, output_tokens=2)
            op.end()
        finally:
            exit_workflow(token)

    def samples(self, name: str) -> list[tuple[dict[str, str], float]]:
        text = generate_latest(self.registry).decode()
        return [
            (dict(s.labels), s.value)
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == name
        ]

    def close(self) -> None:
        self.meter_provider.shutdown()
        self.capture.shutdown()


@pytest.fixture(autouse=True)
def no_prices() -> Iterator[None]:
    set_pricer(NoPrices())  # pricing thousands of novel names is test_prices_cache's subject, not this one's
    yield
    set_pricer(None)


@pytest.fixture
def exposed() -> Iterator[Exposed]:
    made = Exposed()
    yield made
    made.close()
    config.reset()


def test_workflow_names_are_capped_and_overflow_counted(exposed: Exposed, mock_provider: Any) -> None:
    names = [f"wf-{i}" for i in range(1_000)]
    for name in names:
        exposed.call("gpt-4o", workflow=name)
    # The real SDK path goes through the same cap.
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=exposed.capture.tracer_provider, meter_provider=exposed.meter_provider
    )
    try:
        client = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)
        token = enter_workflow("wf-from-sdk-beyond-the-cap")
        try:
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        finally:
            exit_workflow(token)
    finally:
        instrumentor.uninstrument()
    requests = exposed.samples("llm_requests_total")
    workflows = {labels["workflow"] for labels, _ in requests}
    limit = VALUE_LIMITS["workflow"]
    assert len(workflows) == limit + 1 and OVERFLOW in workflows
    assert sum(v for labels, v in requests) == 1_001
    overflowed = sum(v for _, v in exposed.samples("llm_label_overflow_total"))
    assert overflowed == 1_001 - limit
    assert sum(v for labels, v in requests if labels["workflow"] == OVERFLOW) == overflowed


def test_evaluators_and_providers_of_record_quality_are_capped(exposed: Exposed) -> None:
    metrics = exposed.telemetry.metrics
    for i in range(500):
        labels = metrics.llm_labels(f"provider-{i}", "chat", "gpt-4o", "")
        metrics.record_quality(labels, f"evaluator-{i}", 1.0)
    rows = exposed.samples("llm_response_quality_score_count")
    assert len({labels["evaluator"] for labels, _ in rows}) == VALUE_LIMITS["evaluator"] + 1
    assert len({labels["provider"] for labels, _ in rows}) == VALUE_LIMITS["provider"] + 1
    assert sum(v for _, v in rows) == 500


def test_server_addresses_are_capped(exposed: Exposed) -> None:
    for i in range(400):
        exposed.call("gpt-4o", host=f"gw-{i}.example.com", port=443)
    rows = exposed.samples("gen_ai_client_operation_duration_seconds_count")
    hosts = {labels["server_address"] for labels, _ in rows}
    assert len(hosts) == VALUE_LIMITS["server"] + 1 and OVERFLOW in hosts
    assert sum(v for _, v in rows) == 400


def test_the_whole_state_is_bounded(exposed: Exposed) -> None:
    config.configure(cardinality_limit=50)
    small = Exposed()
    try:
        for i in range(3_000):
            small.call(f"model-{i}", workflow=f"wf-{i % 700}", host=f"h{i}", port=i)
        cache = small.telemetry.metrics.labels
        assert len(cache._llm) <= 50 + 2 * RESERVE + 1
        assert len(cache._genai) <= 50 + 2 * RESERVE + 1
        assert all(len(values) <= VALUE_LIMITS[name] for name, values in cache._values.items())
        assert sum(v for _, v in small.samples("llm_requests_total")) == 3_000
    finally:
        small.close()


def test_overflow_keeps_its_labels_at_the_default_cap() -> None:
    """At the default cap, the tokens of model="other" keep provider and workflow: no SDK overflow."""
    config.reset()
    config.configure(metric_families={"llm"})  # the token series is the one that overflowed; keeps it quick
    made = Exposed(views=_views())
    try:
        for i in range(1_200):
            made.call(f"model-{i}", workflow="assistant")
        text = generate_latest(made.registry).decode()
        assert "otel_metric_overflow" not in text
        tokens = [
            (dict(s.labels), s.value)
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == "llm_tokens_usage_total"
        ]
        other = [(labels, v) for labels, v in tokens if labels.get("model") == OVERFLOW]
        assert {(labels["provider"], labels["workflow"]) for labels, _ in other} == {("openai", "assistant")}
        assert sum(v for labels, v in other if labels["token_type"] == "input") == 200 * 3
        assert sum(v for labels, v in tokens if labels["token_type"] == "input") == 1_200 * 3
    finally:
        made.close()
        config.reset()
