"""End to end: a real Prometheus scrapes an instrumented app driven against the mock provider.

The app (sample_e2e_app.py, a subprocess) runs a fixed workload of the sample apps; Prometheus 2.x runs
with the shipped configuration and rules, scraping every second. The tests check the exact counter
values the workload implies, the contract's three seed queries, every recording rule, every alert
rule's health, and every PromQL query of the Grafana dashboard.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sample_e2e_app as app

from sample_app import anthropic_cache, assistant, retrieval
from sample_app.prometheus_server import Prometheus, config_dir, free_port

DASHBOARD = config_dir().parent / "grafana" / "openllmetry-dashboard.json"
JOB = 'job="openllmetry"'
LATENCY_S = app.LATENCY_MS / 1000
WINDOW_S = 300  # the seed queries' [5m]


def words(text: str) -> int:
    """The mock provider's token count: whitespace-separated words."""
    return len(text.split())


def reply_words(prompt: str, limit: int | None = None) -> int:
    count = words("Mock reply: " + prompt)
    return min(count, limit) if limit is not None else count


# What the workload implies. Warm-up: one successful call per series; then ROUNDS rounds.
R = app.ROUNDS
ASSISTANT_ERRORS = sum(app.assistant_fails(i) is not None for i in range(R))
ANTHROPIC_ERRORS = sum(app.anthropic_fails(i) is not None for i in range(R))
RAG_ROUNDS = sum(i % 2 == 0 for i in range(R))
FANOUT_ROUNDS = R - RAG_ROUNDS
REQUESTS = {
    "gpt-4o-mini": 1 + R,
    "gpt-4.1-nano": 1 + R,
    "claude-haiku-4-5": 1 + R,
    "text-embedding-3-small": 2 * (1 + RAG_ROUNDS),
    "gpt-4o": 1 + RAG_ROUNDS,
    app.UNPRICED_MODEL: 1 + len(app.FANOUT_TICKETS) * FANOUT_ROUNDS,
}
ERRORS = {model: 0 for model in REQUESTS} | {
    "gpt-4o-mini": ASSISTANT_ERRORS,
    "claude-haiku-4-5": ANTHROPIC_ERRORS,
}
WARMUP_TOKENS = {  # per successful call (for embeddings: per answer, which embeds twice)
    "gpt-4o-mini": words(assistant.SYSTEM)
    + words(app.ASSISTANT_QUESTION)
    + reply_words(app.ASSISTANT_QUESTION),
    "gpt-4.1-nano": words(app.STREAM_PROMPT) + reply_words(app.STREAM_PROMPT),
    "claude-haiku-4-5": words(anthropic_cache.POLICY)
    + words(app.CACHE_QUESTION)
    + reply_words(app.CACHE_QUESTION),
    "text-embedding-3-small": words(" ".join(retrieval.DOCUMENTS)) + words(app.RAG_QUESTION),
}
SUCCESSES = {
    "gpt-4o-mini": 1 + R - ASSISTANT_ERRORS,
    "gpt-4.1-nano": 1 + R,
    "claude-haiku-4-5": 1 + R - ANTHROPIC_ERRORS,
    "text-embedding-3-small": 1 + RAG_ROUNDS,
}
TOKENS = {model: SUCCESSES[model] * WARMUP_TOKENS[model] for model in WARMUP_TOKENS}
# Without the warm-up: what the seed queries' rates see increase while Prometheus watches.
MAIN_TOKENS = {model: TOKENS[model] - WARMUP_TOKENS[model] for model in WARMUP_TOKENS}


def assert_implied_increase(increase: float, model: str, after_last_scrape: float = 0.0) -> None:
    """rate() * window is the increase Prometheus saw, extrapolated towards the window's ends.

    It saw the workload's tokens at least. Backwards, rate() extrapolates no further than where the
    counter would have been zero (at most the warm-up's tokens); forwards, it extrapolates over the
    time from the last scrape to the evaluation (`after_last_scrape`, a share of the sampled span).
    """
    upper = TOKENS[model] * (1.001 + after_last_scrape)
    assert MAIN_TOKENS[model] * 0.999 <= increase <= upper, (model, increase)


@dataclass
class Run:
    prometheus: Prometheus
    at: float  # a scrape timestamp after the workload ended: queries at it see no extrapolation tail

    def query(self, expr: str) -> list[tuple[dict[str, str], float]]:
        return self.prometheus.query(expr, at=self.at)

    def by(self, label: str, expr: str) -> dict[str, float]:
        return {labels.get(label, ""): value for labels, value in self.query(expr)}


def _wait(what: str, condition: Callable[[], object], timeout: float = 30.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _read_line(process: subprocess.Popen[str], expected: str) -> None:
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line == expected, (
        f"e2e app said {line!r}; stderr:\n{process.stderr.read() if process.stderr else ''}"
    )


@pytest.fixture(scope="module")
def run(prometheus_binary: str) -> Iterator[Run]:
    port = free_port()
    env = {
        **os.environ,
        "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
        "OTEL_EXPORTER_PROMETHEUS_PORT": str(port),
    }
    env.update({"SAMPLE_APP_MOCK": "1", "OTEL_EXPORTER_OTLP_ENDPOINT": ""})
    # Prometheus starts first (scraping a target that is not up yet) while the app imports.
    with Prometheus(f"127.0.0.1:{port}", interval="1s", binary=prometheus_binary) as prometheus:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("sample_e2e_app.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            _read_line(process, "ready")
            # Every series scraped twice before the workload starts, so rate() sees all of the workload.
            _wait(
                "two scrapes of the warmed-up app",
                lambda: prometheus.query(
                    f'count_over_time(llm_requests_total{{{JOB},model="gpt-4o-mini"}}[1m]) >= 2'
                ),
            )
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
            _read_line(process, "done")
            done = time.time()
            # A scrape that started after the workload ended, and a rule evaluation after it.
            scrape_at = _wait(
                "a scrape after the workload",
                lambda: [v for _, v in prometheus.query(f"timestamp(up{{{JOB}}})") if v > done + 0.2],
            )[0]
            # Every group must have finished an evaluation after it: a rule queried while its group is
            # mid-evaluation still returns the previous evaluation's value. A group's evaluation
            # timestamp is its interval slot, up to one interval (1 s) before the reported start.
            _wait(
                "every rule group evaluated after that scrape",
                lambda: prometheus.rules_evaluated_after(scrape_at + 1.0),
            )
            # And every recorded series' newest sample comes from such an evaluation (its timestamp is
            # the evaluation's): the tests below read recording rules at their newest sample.
            recorded = {
                rule["name"]
                for group in prometheus.rule_groups()
                for rule in group["rules"]
                if rule["type"] == "recording"
            }
            _wait(
                "every recording rule's newest sample to follow that scrape",
                lambda: all(
                    stamp > scrape_at
                    for name in recorded
                    for _, stamp in prometheus.query(f"timestamp({name})")
                ),
            )
            yield Run(prometheus, scrape_at)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(10)


def test_counters_match_the_workload_exactly(run: Run) -> None:
    assert run.by("model", "sum by (model) (llm_requests_total)") == REQUESTS
    assert run.by("model", "sum by (model) (llm_operation_errors_total)") == ERRORS
    assert run.by("model", "sum by (model) (llm_operation_duration_seconds_count)") == REQUESTS
    tokens = run.by("model", "sum by (model) (llm_tokens_usage_total)")
    assert {model: tokens[model] for model in TOKENS} == TOKENS
    # Anthropic prompt caching: the warm-up wrote the policy, every later success read it.
    policy = words(anthropic_cache.POLICY)
    details = run.by("token_type", 'sum by (token_type) (llm_tokens_details_total{model="claude-haiku-4-5"})')
    assert details == {"cache_creation": policy, "cache_read": (SUCCESSES["claude-haiku-4-5"] - 1) * policy}
    # Every failed operation has an error type on the GenAI duration histogram.
    failed = run.by(
        "gen_ai_request_model",
        'sum by (gen_ai_request_model) (gen_ai_client_operation_duration_seconds_count{error_type!=""})',
    )
    assert failed == {"gpt-4o-mini": ASSISTANT_ERRORS, "claude-haiku-4-5": ANTHROPIC_ERRORS}
    assert run.by("model", "sum by (model) (llm_unpriced_requests_total)") == {
        app.UNPRICED_MODEL: REQUESTS[app.UNPRICED_MODEL]
    }
    cost = run.by("model", "sum by (model) (llm_cost_usd_total)")
    assert set(cost) == set(REQUESTS) - {app.UNPRICED_MODEL}
    assert all(value > 0 for value in cost.values())


def test_seed_query_mean_duration_is_within_the_mock_latency_band(run: Run) -> None:
    results = run.query(
        "rate(llm_operation_duration_seconds_sum[5m]) / rate(llm_operation_duration_seconds_count[5m])"
    )
    assert {labels["model"] for labels, _ in results} == set(REQUESTS)
    for labels, value in results:
        # Every call waits the mock's latency once; nothing else here takes as long as a second.
        assert LATENCY_S <= value < 1.0, (labels, value)


def test_seed_query_error_rate_per_model(run: Run) -> None:
    results = run.query("rate(llm_operation_errors_total[5m]) / rate(llm_requests_total[5m])")
    by_model = {labels["model"]: value for labels, value in results}
    assert set(by_model) == set(REQUESTS)
    # rate() extrapolates a little differently for a counter first seen at 0 and one first seen at
    # 1 (the warm-up call), so the ratio is within a few percent of the workload's, not exact.
    assert by_model["gpt-4o-mini"] == pytest.approx(ASSISTANT_ERRORS / R, abs=0.03)
    assert by_model["claude-haiku-4-5"] == pytest.approx(ANTHROPIC_ERRORS / R, abs=0.03)
    for model in set(REQUESTS) - {"gpt-4o-mini", "claude-haiku-4-5"}:
        assert by_model[model] == 0.0


def test_seed_query_token_rate_per_model(run: Run) -> None:
    rates = run.by("model", "sum by (model) (rate(llm_tokens_usage_total[5m]))")
    assert set(rates) == set(REQUESTS)
    for model in MAIN_TOKENS:
        assert_implied_increase(rates[model] * WINDOW_S, model)


def test_recording_rules_agree_with_the_workload(run: Run) -> None:
    prom = run.prometheus
    ratio = {labels["model"]: v for labels, v in prom.query("model:llm_operation_error_ratio:rate5m")}
    assert ratio["gpt-4o-mini"] == pytest.approx(ASSISTANT_ERRORS / R, abs=0.03), ratio
    assert ratio["claude-haiku-4-5"] == pytest.approx(ANTHROPIC_ERRORS / R, abs=0.03), ratio
    assert ratio["gpt-4.1-nano"] == 0.0, ratio
    tokens = {labels["model"]: v for labels, v in prom.query("model:llm_tokens_usage:rate5m")}
    for model in MAIN_TOKENS:
        # Rules are evaluated up to a second after the last scrape of a ~10 s run.
        assert_implied_increase(tokens[model] * WINDOW_S, model, after_last_scrape=0.15)
    for labels, value in prom.query("model:llm_operation_duration_seconds:mean5m"):
        assert LATENCY_S <= value < 1.0, (labels, value)
    for labels, value in prom.query("model:llm_operation_duration_seconds:p95_5m"):
        # p95 of about ten calls is their slowest one: allow for a busy machine.
        assert LATENCY_S <= value <= 2.56, (labels, value)
    ttfc = {
        labels["model"]
        for labels, _ in prom.query("model:gen_ai_client_operation_time_to_first_chunk_seconds:p95_5m")
    }
    assert "gpt-4.1-nano" in ttfc, ttfc
    error_types = prom.query("model_error_type:gen_ai_client_operation_errors:rate5m")
    assert {labels["model"] for labels, _ in error_types} == {"gpt-4o-mini", "claude-haiku-4-5"}, error_types
    assert all(labels["error_type"] for labels, _ in error_types), error_types


def test_every_rule_is_healthy_and_every_recording_rule_has_data(run: Run) -> None:
    groups = run.prometheus.rule_groups()
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(groups) == 3 and len(rules) > 20
    for rule in rules:
        assert rule["health"] == "ok", (rule["name"], rule.get("lastError"))
        if rule["type"] == "recording":
            assert run.prometheus.query(rule["name"]), f"recording rule {rule['name']} has no data"


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target of every panel, rows included."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    flat = [p for panel in panels for p in [panel, *panel.get("panels", [])]]
    return [(panel["title"], target["expr"]) for panel in flat for target in panel.get("targets", [])]


GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}


def grafana_to_promql(expr: str) -> str:
    """Substitute what Grafana would: built-in intervals, and "All" (.*) for the dashboard's variables."""
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    return re.sub(r"\$\{?[a-z_]+\}?", ".*", expr)


def test_dashboard_has_the_panels_the_issue_asks_for() -> None:
    exprs = " ".join(expr for _, expr in dashboard_queries())
    for needle in (
        "histogram_quantile(0.95, sum by (le, model) (rate(llm_operation_duration_seconds_bucket",
        'gen_ai_client_operation_duration_seconds_count{error_type!=""',
        "sum by (model, token_type) (rate(llm_tokens_usage_total",
        "sum by (model) (rate(llm_cost_usd_total",
        "sum by (workflow) (rate(llm_cost_usd_total",
        "gen_ai_client_operation_time_to_first_chunk_seconds_bucket",
        "llm_response_quality_score_sum",
    ):
        assert needle in exprs, needle


@pytest.mark.parametrize(("title", "expr"), dashboard_queries(), ids=lambda value: value[:40])
def test_dashboard_query_returns_data(run: Run, title: str, expr: str) -> None:
    results = run.prometheus.query(grafana_to_promql(expr))  # raises on an invalid query
    values = [value for _, value in results]
    assert any(math.isfinite(v) for v in values), f"panel {title!r} would show No data: {expr}"
