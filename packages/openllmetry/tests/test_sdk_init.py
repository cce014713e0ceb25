"""openllmetry.init(): each scenario runs in its own process, since global providers can be set once.

The scenarios use the real openai SDK against the mock provider: "hello there" is 2 input tokens and
the reply "Mock reply: hello there" 4 output tokens.
"""

from __future__ import annotations

import socket
import textwrap
from typing import Any

import pytest
from sdk_support import HOST, clean_env, free_port, last_json, names, run_python, value

PRELUDE = """
import json, logging, os, socket, sys
from sdk_support import chat, samples, scrape, wait_for
URL = os.environ["MOCK_URL"]
"""
LOGGING = """
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="LOG %(levelname)s %(name)s %(message)s")
"""
CHAT = {"model": "gpt-4o-mini", "provider": "openai", "operation": "chat"}
# A price file makes costs exact whatever genai-prices says: 1 USD per million input tokens, 2 per output.
PRICES = {"models": [{"provider": "openai", "model": "gpt-4o-mini", "input_mtok": 1.0, "output_mtok": 2.0}]}
COST_PER_CALL = (2 * 1.0 + 4 * 2.0) / 1e6


def scenario(mock_provider: Any, body: str, *, log: bool = True, **env: str) -> tuple[Any, str]:
    port = env.pop("port", None) or str(free_port())
    code = PRELUDE + (LOGGING if log else "") + textwrap.dedent(body)
    proc = run_python(
        code, env=clean_env(MOCK_URL=mock_provider.openai_base_url, OTEL_EXPORTER_PROMETHEUS_PORT=port, **env)
    )
    return last_json(proc), proc.stderr


def log_lines(stderr: str, level: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"LOG {level} ")]


def test_default_init_serves_both_families_with_workflow_labels_resource_and_cost(mock_provider: Any) -> None:
    out, stderr = scenario(
        mock_provider,
        f"""
        import openllmetry
        from openllmetry import workflow
        openllmetry.init(
            "svc-a", resource_attributes={{"deployment.environment": "test"}}, pricing={PRICES!r}
        )

        @workflow(name="ai_assistant")
        def assist():
            return chat(URL)

        assist(); assist(); chat(URL)
        try:
            chat(URL, **{{"x-mock-fail": "500"}})
        except Exception as exc:
            failed = type(exc).__name__
        text = wait_for(lambda: (t := scrape()).count("llm_cost_usd_total{{") >= 2 and t)
        info = [l for l in text.splitlines() if l.startswith("target_info")]
        print(json.dumps({{"samples": samples(text), "info": info, "failed": failed}}))
        """,
    )
    found = out["samples"]
    assert out["failed"] == "InternalServerError"
    assert value(found, "llm_requests_total", **CHAT, workflow="ai_assistant") == 2
    assert value(found, "llm_requests_total", **CHAT, workflow="") == 2
    assert value(found, "llm_operation_errors_total", **CHAT, workflow="ai_assistant") == 0
    assert value(found, "llm_operation_errors_total", **CHAT, workflow="") == 1
    assert value(found, "llm_tokens_usage_total", **CHAT, workflow="ai_assistant", token_type="input") == 4
    assert value(found, "llm_tokens_usage_total", **CHAT, workflow="ai_assistant", token_type="output") == 8
    assert value(found, "llm_operation_duration_seconds_count", **CHAT) == 4
    assert value(found, "llm_cost_usd_total", **CHAT, workflow="ai_assistant") == pytest.approx(
        2 * COST_PER_CALL
    )
    assert value(found, "llm_token_cost_per_request_count", **CHAT) == 3
    genai = {
        "gen_ai_operation_name": "chat",
        "gen_ai_provider_name": "openai",
        "gen_ai_request_model": "gpt-4o-mini",
    }
    assert value(found, "gen_ai_client_operation_duration_seconds_count", **genai) == 4
    assert value(found, "gen_ai_client_operation_duration_seconds_count", **genai, error_type="") == 3
    assert value(found, "gen_ai_client_token_usage_count", **genai, gen_ai_token_type="output") == 3
    assert value(found, "gen_ai_client_token_usage_sum", **genai, gen_ai_token_type="output") == 12
    [info] = out["info"]
    assert 'service_name="svc-a"' in info and 'deployment_environment="test"' in info
    assert log_lines(stderr, "ERROR") == [] and log_lines(stderr, "WARNING") == []
    assert any(
        "serving Prometheus metrics on http://127.0.0.1:" in line for line in log_lines(stderr, "INFO")
    )


def test_given_readers_and_span_exporter_are_used_as_given(mock_provider: Any) -> None:
    out, _ = scenario(
        mock_provider,
        """
        import openllmetry
        from openllmetry import task
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        memory, spans = InMemoryMetricReader(), InMemorySpanExporter()
        openllmetry.init("svc-b", metric_readers=[PrometheusMetricReader(), memory], exporter=spans,
                         disable_batch=True, capture_content=True)
        task(name="draft")(lambda: chat(URL))()
        finished = {s.name: s for s in spans.get_finished_spans()}  # simple processor: already exported
        llm, parent = finished["chat gpt-4o-mini"], finished["draft"]
        points = [p for rm in memory.get_metrics_data().resource_metrics for sm in rm.scope_metrics
                  for m in sm.metrics if m.name == "llm.requests" for p in m.data.data_points]
        print(json.dumps({
            "child": llm.parent.span_id == parent.context.span_id,
            "service": llm.resource.attributes["service.name"],
            "input": llm.attributes.get("gen_ai.input.messages"),
            "memory": [p.value for p in points],
            "served": samples(scrape()),
        }))
        """,
    )
    assert out["child"] is True
    assert out["service"] == "svc-b"
    assert out["input"] == '[{"role":"user","parts":[{"type":"text","content":"hello there"}]}]'
    assert out["memory"] == [1]
    assert value(out["served"], "llm_requests_total", **CHAT) == 1


def test_no_server_without_a_prometheus_reader_and_shutdown_flushes_and_uninstruments(
    mock_provider: Any,
) -> None:
    port = free_port()
    out, stderr = scenario(
        mock_provider,
        """
        import openai, openllmetry, socket
        from opentelemetry.semconv_ai import is_patched
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        create = lambda: openai.resources.chat.completions.Completions.create
        spans = InMemorySpanExporter()
        openllmetry.init("svc-c", metric_readers=[InMemoryMetricReader()], exporter=spans,
                         block_instruments=["anthropic"])
        openllmetry.init("svc-c-again")
        patched = is_patched(create())
        chat(URL)
        with socket.socket() as sock:
            refused = sock.connect_ex(("127.0.0.1", int(os.environ["OTEL_EXPORTER_PROMETHEUS_PORT"]))) != 0
        openllmetry.shutdown()  # flushes the batch processor
        exported = [s.name for s in spans.get_finished_spans()]
        print(json.dumps({"patched": patched, "refused": refused, "exported": exported,
                          "unpatched": not is_patched(create()),
                          "anthropic": any(m.split(".")[0] == "anthropic" for m in sys.modules)}))
        """,
        port=str(port),
        OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="",
    )
    assert out == {
        "patched": True,
        "refused": True,
        "exported": ["chat gpt-4o-mini"],
        "unpatched": True,
        "anthropic": False,
    }
    assert any("already initialized" in line for line in log_lines(stderr, "INFO"))


def test_a_busy_port_gives_one_clear_error_and_the_app_keeps_running(mock_provider: Any) -> None:
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        out, stderr = scenario(
            mock_provider,
            """
            import openllmetry
            openllmetry.init("svc-d")
            reply = chat(URL).choices[0].message.content
            openllmetry.shutdown()
            print(json.dumps({"reply": reply}))
            """,
            log=False,  # what a user sees with no logging configured
            port=str(port),
        )
    assert out == {"reply": "Mock reply: hello there"}
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert f"127.0.0.1:{port}" in lines[0] and "OTEL_EXPORTER_PROMETHEUS_PORT" in lines[0]


def test_an_existing_meter_and_tracer_provider_are_kept(mock_provider: Any) -> None:
    out, stderr = scenario(
        mock_provider,
        """
        from opentelemetry import metrics, trace
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        import openllmetry

        reader = InMemoryMetricReader()
        meter_provider, tracer_provider = MeterProvider(metric_readers=[reader]), TracerProvider()
        metrics.set_meter_provider(meter_provider)
        trace.set_tracer_provider(tracer_provider)
        spans = InMemorySpanExporter()
        openllmetry.init("svc-e", exporter=spans, disable_batch=True)
        chat(URL)
        points = [p for rm in reader.get_metrics_data().resource_metrics for sm in rm.scope_metrics
                  for m in sm.metrics if m.name == "llm.requests" for p in m.data.data_points]
        with socket.socket() as sock:
            served = sock.connect_ex(("127.0.0.1", int(os.environ["OTEL_EXPORTER_PROMETHEUS_PORT"]))) == 0
        print(json.dumps({
            "same": [metrics.get_meter_provider() is meter_provider,
                     trace.get_tracer_provider() is tracer_provider],
            "requests": [p.value for p in points],
            "spans": [s.name for s in spans.get_finished_spans()],
            "input": [s.attributes.get("gen_ai.input.messages") for s in spans.get_finished_spans()],
            "served": served,
        }))
        """,
    )
    assert out == {
        "same": [True, True],
        "requests": [1],
        "spans": ["chat gpt-4o-mini"],
        "input": [None],
        "served": False,
    }
    [warning] = log_lines(stderr, "WARNING")
    assert "MeterProvider" in warning and "PrometheusMetricReader" in warning


def test_either_metric_family_can_be_switched_off_by_argument(mock_provider: Any) -> None:
    out, _ = scenario(
        mock_provider,
        """
        import openllmetry
        openllmetry.init("svc-f", metric_families="llm")
        chat(URL)
        print(json.dumps(samples(scrape())))
        """,
    )
    assert value(out, "llm_requests_total", **CHAT) == 1
    assert not any(name.startswith("gen_ai_") for name in names(out))


def test_environment_switches_a_family_off_and_a_missing_otlp_exporter_warns_once(mock_provider: Any) -> None:
    out, stderr = scenario(
        mock_provider,
        """
        import openllmetry
        openllmetry.init("svc-g")
        chat(URL)
        print(json.dumps(samples(scrape())))
        """,
        OPENLLMETRY_METRIC_FAMILIES="gen_ai",
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:1",
    )
    assert value(out, "gen_ai_client_operation_duration_seconds_count", gen_ai_operation_name="chat") == 1
    assert not any(name.startswith("llm_") for name in names(out))
    [warning] = log_lines(stderr, "WARNING")
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in warning and "openllmetry[otlp]" in warning


def test_a_failing_step_is_logged_and_the_other_steps_still_run(mock_provider: Any) -> None:
    out, stderr = scenario(
        mock_provider,
        """
        import openai, openllmetry
        from opentelemetry.semconv_ai import is_patched
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        spans = InMemorySpanExporter()
        openllmetry.init("svc-h", metric_readers=["not a reader"], exporter=spans, disable_batch=True)
        reply = chat(URL).choices[0].message.content
        print(json.dumps({"reply": reply, "spans": [s.name for s in spans.get_finished_spans()],
                          "patched": is_patched(openai.resources.chat.completions.Completions.create)}))
        """,
    )
    assert out == {"reply": "Mock reply: hello there", "spans": ["chat gpt-4o-mini"], "patched": True}
    [warning] = log_lines(stderr, "WARNING")
    assert "_setup_metrics failed" in warning
