"""Beyond one machine: two instances of one application and a second application, each with several
worker processes (PROMETHEUS_MULTIPROC_DIR), scraped by one real Prometheus with the shipped rules.

The recording rules, alerts and dashboard queries must add up the instances and keep `job`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from multiprocess_support import App, gunicorn, uvicorn, wait_for
from test_prometheus_e2e import dashboard_queries, grafana_to_promql

from llm_mock import MockProvider
from sample_app.prometheus_server import Prometheus

CALLS = {"app-a": (7, 3), "app-b": (4, 0)}  # (ok, failed) per application, app-a over two instances


@dataclass
class Fleet:
    prometheus: Prometheus
    at: float

    def by(self, expr: str, *labels: str) -> dict[tuple[str, ...], float]:
        return {
            tuple(found.get(k, "") for k in labels): value
            for found, value in self.prometheus.query(expr, at=self.at)
        }


@pytest.fixture(scope="module")
def fleet(prometheus_binary: str) -> Iterator[Fleet]:
    with MockProvider() as mock:
        url = mock.openai_base_url
        a1 = App(gunicorn("--workers", "2", "--max-requests", "4"), url, app_name="app-a")
        a2 = App(uvicorn(2), url, app_name="app-a")
        b1 = App(gunicorn("--preload", "--workers", "2"), url, app_name="app-b")
        apps = [a1, a2, b1]
        try:
            for app in apps:
                app.start()
                app.call(1)  # every series exists before Prometheus first scrapes it
            jobs = {"app-a": [a1.metrics_url[7:-8], a2.metrics_url[7:-8]], "app-b": [b1.metrics_url[7:-8]]}
            with Prometheus("unused", interval="1s", binary=prometheus_binary, jobs=jobs) as prometheus:
                wait_for(
                    "two scrapes of every target",
                    lambda: len(prometheus.query("count_over_time(llm_requests_total[1m]) >= 2")) == 3,
                )
                a1.call(4)
                a1.call(2, fail="500")
                a2.call(3)
                a2.call(1, fail="500")
                b1.call(4)
                done = time.time()

                def scraped_after() -> float | None:
                    stamps = [value for _, value in prometheus.query("timestamp(up)")]
                    return max(stamps) if len(stamps) == 3 and min(stamps) > done + 0.2 else None

                scrape_at = wait_for("a scrape of every target after the workload", scraped_after)
                wait_for("the rules to follow", lambda: prometheus.rules_evaluated_after(scrape_at + 1.0))
                yield Fleet(prometheus, time.time())
        finally:
            for app in apps:
                app.stop()


def test_totals_per_application_across_instances_and_workers(fleet: Fleet) -> None:
    requests = fleet.by("sum by (job) (llm_requests_total)", "job")
    assert requests == {("app-a",): 1 + 1 + 10, ("app-b",): 1 + 4}
    errors = fleet.by("sum by (job) (llm_operation_errors_total)", "job")
    assert errors == {("app-a",): 3, ("app-b",): 0}
    instances = fleet.by("count by (job) (llm_requests_total)", "job")
    assert instances == {("app-a",): 2, ("app-b",): 1}  # one series per instance: no worker duplicates


def test_recording_rules_keep_job_and_sum_instances(fleet: Fleet) -> None:
    rates = fleet.prometheus.query("model:llm_requests:rate5m")
    assert {labels["job"] for labels, _ in rates} == {"app-a", "app-b"}
    assert all("instance" not in labels for labels, _ in rates), rates
    assert len(rates) == 2  # app-a's two instances add up into one series
    ratio = fleet.by("model:llm_operation_error_ratio:rate5m", "job")
    assert ratio[("app-b",)] == 0.0
    assert 0.1 < ratio[("app-a",)] < 0.6, ratio  # 3 of 10 in the window, as rate() extrapolates
    for labels, _ in fleet.prometheus.query("model:llm_tokens_usage:rate5m"):
        assert labels["job"] in ("app-a", "app-b")


def test_every_rule_is_healthy(fleet: Fleet) -> None:
    for group in fleet.prometheus.rule_groups():
        for rule in group["rules"]:
            assert rule["health"] == "ok", (rule["name"], rule.get("lastError"))


@pytest.mark.parametrize(("title", "expr"), dashboard_queries(), ids=lambda value: value[:40])
def test_dashboard_queries_per_application(fleet: Fleet, title: str, expr: str) -> None:
    if any(word in expr for word in ("quality", "cost", "chunk", "details", "unpriced")):
        pytest.skip("this workload has no evaluations, costs, streams, cache tokens or unpriced models")
    for job in ("app-a", "app-b") if "error_type" not in expr else ("app-a",):  # app-b never fails
        query = grafana_to_promql(expr.replace('job=~"$job"', f'job=~"{job}"'))
        values = [value for _, value in fleet.prometheus.query(query)]
        assert any(math.isfinite(v) for v in values), (title, job, json.dumps(query))
