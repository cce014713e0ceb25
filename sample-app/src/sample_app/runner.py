"""The few lines every sample's `main()` shares: init, run, show what was recorded, shut down."""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

import openllmetry

SHOWN_SERIES = (
    "llm_requests_total",
    "llm_operation_errors_total",
    "llm_tokens_usage_total",
    "llm_cost_usd_total",
)


def metrics_url() -> str:
    host = os.environ.get("OTEL_EXPORTER_PROMETHEUS_HOST", "").strip() or "localhost"
    port = os.environ.get("OTEL_EXPORTER_PROMETHEUS_PORT", "").strip() or "9464"
    return f"http://{host}:{port}/metrics"


def recorded_series(url: str | None = None, names: tuple[str, ...] = SHOWN_SERIES) -> list[str]:
    """`name{labels} value` of the series `names` on a /metrics endpoint, without the exporter's
    otel_scope_* labels (empty when it cannot be read)."""
    try:
        with urllib.request.urlopen(url or metrics_url(), timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return []
    lines = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in names:
                labels = ",".join(
                    f'{k}="{v}"' for k, v in sorted(sample.labels.items()) if not k.startswith("otel_scope_")
                )
                lines.append(f"{sample.name}{{{labels}}} {sample.value:g}")
    return lines


def run_sample(app_name: str, body: Callable[[], object]) -> None:
    """Instrument, run `body`, print its result and the series it produced, then flush and stop."""
    openllmetry.init(app_name=app_name)
    try:
        print(body())
        # Prices load in the background on first use and the first calls' costs follow shortly;
        # a model without a known price never gets a cost line, hence the deadline.
        lines = recorded_series()
        deadline = time.monotonic() + 3
        while lines and not any(line.startswith("llm_cost_usd_total") for line in lines):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
            lines = recorded_series()
        if lines:
            print(f"\nRecorded on {metrics_url()}:")
            print("\n".join("  " + line for line in lines))
    finally:
        openllmetry.shutdown()
