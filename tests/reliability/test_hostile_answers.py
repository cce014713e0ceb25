"""One hostile answer never breaks /metrics: surrogates, control characters, huge and echoed strings
and huge numbers are normalised or rejected where they enter, and every other series survives.

Real SDK clients against the mock provider, scraped over HTTP from prometheus_client's server.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.parser import text_string_to_metric_families
from reliability_support import API_KEY

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.semconv_ai import PENDING, Request, Telemetry, config, enter_workflow, exit_workflow
from opentelemetry.semconv_ai import pricing as pricing_module
from opentelemetry.semconv_ai.labels import MAX_LABEL_LENGTH, MAX_TOKENS
from opentelemetry.semconv_ai.testing import Capture


class Scraped:
    """An instrumented OpenAI client whose metrics are served by a real /metrics server on a free port."""

    def __init__(self, mock: Any) -> None:
        self.capture = Capture()
        self.registry = CollectorRegistry()
        self.meter_provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=self.registry)])
        self.server, self.thread = start_http_server(0, addr="127.0.0.1", registry=self.registry)
        self.instrumentor = OpenAIInstrumentor()
        self.instrumentor.instrument(
            tracer_provider=self.capture.tracer_provider, meter_provider=self.meter_provider
        )
        self.client = openai.OpenAI(base_url=mock.openai_base_url, api_key=API_KEY, max_retries=0)
        self.mock = mock

    def scrape(self) -> str:
        url = f"http://127.0.0.1:{self.server.server_port}/metrics"
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
            return response.read().decode()

    def chat(self, model: str = "gpt-4o", body: Any = None) -> None:
        if body is not None:
            self.mock.enqueue(body=body)
        self.client.chat.completions.create(model=model, messages=[{"role": "user", "content": "one two"}])

    def close(self) -> None:
        self.instrumentor.uninstrument()
        self.server.shutdown()
        self.server.server_close()
        self.meter_provider.shutdown()
        self.capture.shutdown()


@pytest.fixture
def scraped(mock_provider: Any) -> Iterator[Scraped]:
    made = Scraped(mock_provider)
    yield made
    made.close()
    config.reset()
    pricing_module.set_pricer(None)


def completion(model: str = "gpt-4o", prompt: Any = 3, completion_tokens: Any = 2) -> str:
    """A chat completion as raw JSON text: numbers and escapes arrive exactly as a server sends them."""
    usage = {"prompt_tokens": prompt, "completion_tokens": completion_tokens, "total_tokens": 5}
    body = {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "__MODEL__",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": usage,
    }
    return json.dumps(body).replace('"__MODEL__"', model)


def series(text: str, name: str) -> list[dict[str, str]]:
    return [
        dict(sample.labels)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def value(text: str, name: str, **labels: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


HOSTILE_STRINGS = [
    '"gpt-4o-\\ud800"',  # a lone surrogate, as a JSON escape
    '"gpt-4o-\\udcff-tail"',
    '"line\\nbreak\\u0000nul\\u001b[31m"',  # control characters
    '"' + "é" * 10_000 + '"',  # huge, not ASCII
    '"' + "\\ud83d" * 300 + '"',  # many lone surrogates
]


@pytest.mark.parametrize("model", HOSTILE_STRINGS)
def test_a_hostile_response_model_never_breaks_a_scrape(scraped: Scraped, model: str) -> None:
    scraped.chat(body=completion(model))
    scraped.chat("gpt-after")
    text = scraped.scrape()
    assert value(text, "llm_requests_total", model="gpt-after") == 1
    responses = [
        s["gen_ai_response_model"] for s in series(text, "gen_ai_client_operation_duration_seconds_count")
    ]
    assert len(responses) == 2
    for response_model in responses:
        assert len(response_model) <= MAX_LABEL_LENGTH
        response_model.encode("utf-8")  # no lone surrogate
        assert response_model.isprintable()


def test_hostile_workflow_evaluator_and_host_never_break_a_scrape(scraped: Scraped) -> None:
    workflow = os.fsdecode(b"wf-\xff\xfe")  # a lone surrogate from a file name
    token = enter_workflow(workflow)
    try:
        scraped.chat("gpt-in-workflow")
    finally:
        exit_workflow(token)
    telemetry = Telemetry("test", scraped.capture.tracer_provider, scraped.meter_provider)
    op = telemetry.start("chat", Request("gpt-host", "openai", server_address="h\ud800\x00" + "x" * 5000))
    op.set_usage(input_tokens=1, output_tokens=1)
    op.end()
    metrics = telemetry.metrics
    labels = metrics.llm_labels("openai", "chat", "gpt-4o", "")
    metrics.record_quality(labels, "eval-\udcff\n" + "y" * 1000, 1.0)
    scraped.chat("gpt-after")
    text = scraped.scrape()
    assert value(text, "llm_requests_total", model="gpt-after") == 1
    assert value(text, "llm_requests_total", model="gpt-host") == 1
    (row,) = [s for s in series(text, "llm_requests_total") if s["model"] == "gpt-in-workflow"]
    assert row["workflow"] == "wf-\ufffd\ufffd"
    hosts = {s["server_address"] for s in series(text, "gen_ai_client_operation_duration_seconds_count")}
    assert all(len(h) <= 255 and h.isprintable() for h in hosts)
    (evaluator,) = {s["evaluator"] for s in series(text, "llm_response_quality_score_count")}
    assert len(evaluator) <= 64 and evaluator.isprintable()


HUGE_COUNTS = ["1e308", '"__HUGE__"', "1.7976931348623157e308", str(MAX_TOKENS + 1), "-3", "1e18"]


@pytest.mark.parametrize("huge", HUGE_COUNTS)
def test_huge_usage_is_rejected_and_counted(
    scraped: Scraped, huge: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    scraped.chat("gpt-before")
    body = completion('"gpt-huge"', prompt="__P__").replace(
        '"__P__"', huge.replace('"__HUGE__"', "1" + "0" * 400)
    )
    scraped.chat("gpt-huge", body=body)
    scraped.chat("gpt-after")
    text = scraped.scrape()
    text = scraped.scrape()  # every scrape, not only the first
    for model in ("gpt-before", "gpt-after"):
        assert value(text, "llm_tokens_usage_total", model=model, token_type="input") > 0
    assert value(text, "llm_tokens_usage_total", model="gpt-huge", token_type="input") == 0
    assert value(text, "llm_tokens_usage_total", model="gpt-huge", token_type="output") == 2
    assert value(text, "llm_usage_rejected_total", model="gpt-huge", kind="tokens") == 1
    assert not [r for r in caplog.records if "Overflow" in r.getMessage()]


class Deferred:
    """A pricer that answers later, as genai-prices does while loading, with a hostile cost."""

    def __init__(self, cost: float) -> None:
        self.later: list[Any] = []
        self.value = cost

    def cost(self, provider: str, model: str, usage: Any, on_ready: Any) -> object:
        if model == "gpt-hostile":
            self.later.append(on_ready)
            return PENDING
        return 0.001


@pytest.mark.parametrize("cost", [float("inf"), float("nan"), 3.75e303, -1.0])
@pytest.mark.parametrize("deferred", [True, False])
def test_hostile_costs_are_rejected_on_both_pricing_paths(
    scraped: Scraped, cost: float, deferred: bool
) -> None:
    pricer = Deferred(cost)
    if not deferred:
        pricer.cost = lambda provider, model, usage, on_ready: cost if model == "gpt-hostile" else 0.001  # type: ignore[method-assign]
    pricing_module.set_pricer(pricer)
    scraped.chat("gpt-hostile")
    for on_ready in pricer.later:
        on_ready(cost)
    scraped.chat("gpt-fine")
    text = scraped.scrape()
    assert value(text, "llm_cost_usd_total", model="gpt-fine") == pytest.approx(0.001)
    assert value(text, "llm_cost_usd_total", model="gpt-hostile") == 0
    assert value(text, "llm_usage_rejected_total", model="gpt-hostile", kind="cost") == 1
    assert value(text, "llm_token_cost_per_request_count", model="gpt-hostile") == 0


def test_echoed_huge_model_names_keep_metrics_small(scraped: Scraped) -> None:
    """100 distinct echoed 100 kB model names: main gave a 513 MB /metrics; here it stays small."""
    for i in range(100):
        name = f"echo-{i}-" + "x" * 100_000
        scraped.chat(name, body=completion(json.dumps(name)))
    text = scraped.scrape()
    assert len(text) < 8_000_000  # 100 label sets of 128-character names, both families
    assert max(len(line) for line in text.splitlines()) < 1_500
    models = {
        s["gen_ai_response_model"] for s in series(text, "gen_ai_client_operation_duration_seconds_count")
    }
    assert models and all(len(m) <= MAX_LABEL_LENGTH for m in models)
