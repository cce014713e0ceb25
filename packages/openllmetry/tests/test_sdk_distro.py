"""Zero-code: `opentelemetry-instrument python app.py` with our distro and configurator, in a subprocess.

No OTLP exporter is installed in the workspace, which is the case the distro must survive.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sdk_support import HERE, HOST, clean_env, free_port, last_json, value

INSTRUMENT = str(Path(sys.executable).with_name("opentelemetry-instrument"))
CHAT = {"model": "gpt-4o-mini", "provider": "openai", "operation": "chat"}
APP = """
import json, os
from sdk_support import chat, samples, scrape, wait_for
from opentelemetry.semconv_ai import is_patched
import openai
URL = os.environ["MOCK_URL"]
"""


def zero_code(mock_provider: Any, body: str, **env: str) -> tuple[Any, str]:
    env.setdefault("OTEL_EXPORTER_PROMETHEUS_PORT", str(free_port()))
    proc = subprocess.run(
        [INSTRUMENT, sys.executable, "-c", APP + textwrap.dedent(body)],
        env=clean_env(MOCK_URL=mock_provider.openai_base_url, **env),
        capture_output=True,
        text=True,
        timeout=90,
        cwd=HERE,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return last_json(proc), proc.stderr


def test_prometheus_zero_code_serves_both_families_with_cost_and_quality(
    mock_provider: Any, tmp_path: Path
) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(
        json.dumps({"models": [{"model": "gpt-4o-mini", "input_mtok": 1.0, "output_mtok": 2.0}]})
    )
    out, stderr = zero_code(
        mock_provider,
        """
        from openllmetry import workflow
        ask = workflow(name="ai_assistant")(lambda: chat(URL))
        ask(); ask(); chat(URL)
        ready = lambda t: 'evaluator="finish_reason"' in t and "llm_cost_usd_total{" in t
        text = wait_for(lambda: ready(t := scrape()) and t)
        print(json.dumps({"samples": samples(text), "traces": os.environ.get("OTEL_TRACES_EXPORTER"),
                          "logs": os.environ.get("OTEL_LOGS_EXPORTER")}))
        """,
        OTEL_METRICS_EXPORTER="prometheus",
        OPENLLMETRY_PRICING_FILE=str(prices),
    )
    found = out["samples"]
    assert value(found, "llm_requests_total", **CHAT, workflow="ai_assistant") == 2
    assert value(found, "llm_requests_total", **CHAT, workflow="") == 1
    assert value(found, "llm_operation_errors_total", **CHAT) == 0
    assert value(found, "llm_tokens_usage_total", **CHAT, token_type="input") == 6
    assert value(found, "llm_tokens_usage_total", **CHAT, token_type="output") == 12
    assert value(found, "llm_cost_usd_total", **CHAT) == pytest.approx(3 * (2 * 1.0 + 4 * 2.0) / 1e6)
    assert value(found, "llm_response_quality_score_count", **CHAT, evaluator="finish_reason") == 3
    genai = {"gen_ai_operation_name": "chat", "gen_ai_provider_name": "openai"}
    assert value(found, "gen_ai_client_operation_duration_seconds_count", **genai, error_type="") == 3
    assert value(found, "gen_ai_client_token_usage_sum", **genai, gen_ai_token_type="input") == 6
    # No OTLP exporter installed: traces and logs default to none, quietly (one INFO line, not shown).
    assert (out["traces"], out["logs"]) == ("none", "none")
    assert stderr.strip() == ""


def test_an_exporter_that_is_not_installed_is_dropped_with_a_warning(mock_provider: Any) -> None:
    out, stderr = zero_code(
        mock_provider,
        """
        chat(URL)
        print(json.dumps(samples(scrape())))
        """,
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_LOGS_EXPORTER="none",
    )
    # OTEL_METRICS_EXPORTER unset: the distro's default is Prometheus.
    assert value(out, "llm_requests_total", **CHAT) == 1
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "otlp_proto_http" in lines[0] and "openllmetry[otlp]" in lines[0]


def test_a_busy_port_in_zero_code_gives_one_error_and_the_app_runs_instrumented(mock_provider: Any) -> None:
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        out, stderr = zero_code(
            mock_provider,
            """
            reply = chat(URL).choices[0].message.content
            print(json.dumps({"reply": reply,
                              "patched": is_patched(openai.resources.chat.completions.Completions.create)}))
            """,
            OTEL_METRICS_EXPORTER="prometheus",
            OTEL_EXPORTER_PROMETHEUS_PORT=str(port),
        )
    assert out == {"reply": "Mock reply: hello there", "patched": True}
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert f"127.0.0.1:{port}" in lines[0] and "OTEL_EXPORTER_PROMETHEUS_PORT" in lines[0]
