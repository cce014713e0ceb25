"""The Bedrock sample runs as it is (its `main()`, against the mock) and records exactly its calls."""

from __future__ import annotations

import os
import subprocess
import sys

from sample_app.prometheus_server import free_port

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


def test_bedrock_sample_records_three_operations_under_its_workflow() -> None:
    env = {**os.environ, "SAMPLE_APP_MOCK": "1", "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1"}
    env["OTEL_EXPORTER_PROMETHEUS_PORT"] = str(free_port())
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    result = subprocess.run(
        [sys.executable, "-m", "sample_app.bedrock_app"], env=env, timeout=60, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    labels = f'model="{MODEL}",operation="chat",provider="aws.bedrock"'
    # system (6 words) + question (6), then 7 and 8 input words; each reply is "Mock reply: " + its prompt.
    for series in (
        f'llm_requests_total{{{labels},workflow="bedrock_triage"}} 3',
        f'llm_operation_errors_total{{{labels},workflow="bedrock_triage"}} 0',
        f'llm_tokens_usage_total{{{labels},token_type="input",workflow="bedrock_triage"}} 27',
        f'llm_tokens_usage_total{{{labels},token_type="output",workflow="bedrock_triage"}} 27',
    ):
        assert series in result.stdout, result.stdout
    assert f"llm_cost_usd_total{{{labels}" in result.stdout  # the us. prefix is priced
