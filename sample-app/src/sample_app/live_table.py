"""The demo's live table: per-model numbers read from the app's own /metrics, rendered with rich.

It needs nothing but the exposition text, so it works without a Prometheus server. Percentiles are
estimated from the duration histogram's buckets the way PromQL's `histogram_quantile` does.
"""

from __future__ import annotations

import math
import urllib.request
from collections import defaultdict, deque
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families
from rich import box
from rich.table import Table

Key = tuple[str, str]  # (provider, model)


@dataclass
class ModelStats:
    requests: float = 0.0
    errors: float = 0.0
    tokens: float = 0.0
    cost: float = 0.0
    buckets: dict[float, float] = field(default_factory=lambda: defaultdict(float))  # le -> cumulative


def read_metrics(url: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def parse(text: str) -> dict[Key, ModelStats]:
    """Per (provider, model): totals since the app started, summed over workflows and operations."""
    stats: dict[Key, ModelStats] = defaultdict(ModelStats)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name, labels = sample.name, sample.labels
            if not name.startswith("llm_"):
                continue
            entry = stats[(labels.get("provider", ""), labels.get("model", ""))]
            if name == "llm_requests_total":
                entry.requests += sample.value
            elif name == "llm_operation_errors_total":
                entry.errors += sample.value
            elif name == "llm_tokens_usage_total":
                entry.tokens += sample.value
            elif name == "llm_cost_usd_total":
                entry.cost += sample.value
            elif name == "llm_operation_duration_seconds_bucket":
                entry.buckets[float(labels["le"])] += sample.value
    return {key: value for key, value in stats.items() if value.requests}


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """PromQL's histogram_quantile over cumulative buckets; None without observations."""
    bounds = sorted(buckets)
    if not bounds or not math.isinf(bounds[-1]):
        return None
    total = buckets[bounds[-1]]
    if total <= 0:
        return None
    rank = q * total
    below_bound, below_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return below_bound  # the highest finite bound, as PromQL answers
            if count == below_count:
                return bound
            return below_bound + (bound - below_bound) * (rank - below_count) / (count - below_count)
        below_bound, below_count = bound, count
    return below_bound


@dataclass
class Row:
    provider: str
    model: str
    requests: int
    error_rate: float
    p50: float | None
    p95: float | None
    tokens_per_second: float
    cost: float


class LiveStats:
    """Turns successive snapshots into rows; tokens per second are over the last `window` seconds.

    A window of several refreshes has data for most models even when each model gets a call only
    every few seconds (a window of one refresh would read 0 tok/s for most of them).
    """

    def __init__(self, start: float, window: float = 15.0) -> None:
        self._history: deque[tuple[float, dict[Key, ModelStats]]] = deque([(start, {})])
        self._span = window
        self.window = 0.0  # seconds covered by the last rows' tokens per second

    def rows(self, snapshot: dict[Key, ModelStats], now: float) -> list[Row]:
        # From the newest snapshot at least `window` old (or the start): the window always has data.
        while len(self._history) > 1 and self._history[1][0] <= now - self._span:
            self._history.popleft()
        base_time, previous = self._history[0]
        self.window = max(now - base_time, 1e-9)
        self._history.append((now, snapshot))
        rows = []
        for (provider, model), stats in sorted(snapshot.items()):
            before = previous.get((provider, model))
            rate = (stats.tokens - (before.tokens if before else 0.0)) / self.window
            rows.append(
                Row(
                    provider,
                    model,
                    int(stats.requests),
                    stats.errors / stats.requests if stats.requests else 0.0,
                    quantile(0.50, stats.buckets),
                    quantile(0.95, stats.buckets),
                    rate,
                    stats.cost,
                )
            )
        return rows


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def render(rows: list[Row], title: str) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    table.collapse_padding = True  # one space between columns: fits an 80-column terminal
    table.add_column("model", no_wrap=True)
    table.add_column("provider", no_wrap=True)
    for name in ("reqs", "errors", "p50", "p95", "tok/s", "cost"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in rows:
        errors = f"{row.error_rate:.1%}"
        table.add_row(
            row.model,
            row.provider,
            str(row.requests),
            f"[red]{errors}[/]" if row.error_rate >= 0.05 else errors,
            _seconds(row.p50),
            _seconds(row.p95),
            f"{row.tokens_per_second:.0f}",
            f"${row.cost:.4f}",
        )
    if rows:
        requests = sum(r.requests for r in rows)
        errors = sum(r.error_rate * r.requests for r in rows)
        table.add_section()
        table.add_row(
            "all",
            "",
            str(requests),
            f"{errors / requests:.1%}" if requests else "-",
            "",
            "",
            f"{sum(r.tokens_per_second for r in rows):.0f}",
            f"${sum(r.cost for r in rows):.4f}",
            style="bold",
        )
    return table
