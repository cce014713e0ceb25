"""The exact Prometheus text of both metric families, as a real PrometheusMetricReader renders it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from core_fakes import FakeClient, FakeSurface
from prometheus_client import CollectorRegistry, generate_latest

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.semconv_ai import Patcher, Telemetry, instruments
from opentelemetry.semconv_ai.testing import Capture


@pytest.fixture
def exposition() -> Iterator[callable]:  # type: ignore[valid-type]
    registry = CollectorRegistry()
    try:
        reader = PrometheusMetricReader(registry=registry)
    except TypeError:
        pytest.skip("this opentelemetry-exporter-prometheus has no registry argument")
    provider = MeterProvider(metric_readers=[reader])
    cap = Capture()
    patcher = Patcher(Telemetry("t", cap.tracer_provider, provider))
    patcher.patch(FakeClient, "create", FakeSurface())
    yield lambda: generate_latest(registry).decode()
    patcher.restore()
    provider.shutdown()


def samples(text: str) -> dict[str, list[tuple[str, str]]]:
    """Sample name → [(labels, value)]."""
    out: dict[str, list[tuple[str, str]]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$", line)
        assert m, line
        out.setdefault(m.group(1), []).append((m.group(2) or "", m.group(3)))
    return out


def label_keys(labels: str) -> frozenset[str]:
    return frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', labels))


def test_names_types_and_buckets(exposition) -> None:  # type: ignore[no-untyped-def]
    client = FakeClient()
    client.create(model="m-1")
    list(client.create(model="m-1", stream=True, chunks=4))
    text = exposition()
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    assert types["llm_requests_total"] == "counter"
    assert types["llm_operation_errors_total"] == "counter"
    assert types["llm_tokens_usage_total"] == "counter"
    assert types["llm_operation_duration_seconds"] == "histogram"
    assert types["gen_ai_client_operation_duration_seconds"] == "histogram"
    assert types["gen_ai_client_token_usage"] == "histogram"
    assert types["gen_ai_client_operation_time_to_first_chunk_seconds"] == "histogram"
    assert types["gen_ai_client_operation_time_per_output_chunk_seconds"] == "histogram"

    s = samples(text)
    scope = 'otel_scope_name="opentelemetry.semconv_ai"'
    base = 'model="m-1",operation="chat",provider="acme",workflow=""'
    (requests,) = s["llm_requests_total"]
    assert scope in requests[0] and base.split(",")[0] in requests[0]
    assert requests[1] == "2.0"
    assert s["llm_operation_errors_total"][0][1] == "0.0"
    assert s["llm_operation_errors_total"][0][0] == requests[0]
    tokens = {re.search(r'token_type="(\w+)"', lbl).group(1): v for lbl, v in s["llm_tokens_usage_total"]}
    assert tokens == {"input": "20.0", "output": "8.0"}  # 10 + 10 in; 4 + one per streamed chunk out

    le = [re.search(r'le="([^"]+)"', lbl).group(1) for lbl, _ in s["llm_operation_duration_seconds_bucket"]]
    assert le == [*(str(b) for b in instruments.DURATION_BUCKETS), "+Inf"]
    le = [re.search(r'le="([^"]+)"', lbl).group(1) for lbl, _ in s["gen_ai_client_token_usage_bucket"]][:15]
    assert le == [*(str(b) for b in instruments.TOKEN_BUCKETS), "+Inf"]


def test_every_name_has_one_label_set(exposition) -> None:  # type: ignore[no-untyped-def]
    client = FakeClient()
    client.create(model="m-1")
    client.create(model="m-2")
    try:
        client.create(model="m-2", fail=TimeoutError())
    except TimeoutError:
        pass
    list(client.create(model="m-3", stream=True))
    for name, rows in samples(exposition()).items():
        if not (name.startswith("llm_") or name.startswith("gen_ai_")):
            continue
        keys = {label_keys(lbl) - {"le"} for lbl, _ in rows}
        assert len(keys) == 1, f"{name}: {keys}"


def test_error_series_matches_requests_one_to_one(exposition) -> None:  # type: ignore[no-untyped-def]
    client = FakeClient()
    client.create(model="m-1")
    try:
        client.create(model="m-2", fail=TimeoutError())
    except TimeoutError:
        pass
    s = samples(exposition())
    requests = {lbl for lbl, _ in s["llm_requests_total"]}
    errors = {lbl: v for lbl, v in s["llm_operation_errors_total"]}
    assert set(errors) == requests
    assert sorted(errors.values()) == ["0.0", "1.0"]


def test_prometheus_names_of_every_instrument() -> None:
    assert [i.prometheus_name for i in instruments.ALL_SPECS] == [
        "llm_requests_total",
        "llm_operation_errors_total",
        "llm_operation_duration_seconds",
        "llm_tokens_usage_total",
        "llm_tokens_details_total",
        "llm_cost_usd_total",
        "llm_token_cost_per_request",
        "llm_unpriced_requests_total",
        "llm_response_quality_score",
        "llm_label_overflow_total",
        "llm_evaluations_dropped_total",
        "llm_usage_rejected_total",
        "gen_ai_client_operation_duration_seconds",
        "gen_ai_client_token_usage",
        "gen_ai_client_operation_time_to_first_chunk_seconds",
        "gen_ai_client_operation_time_per_output_chunk_seconds",
    ]
