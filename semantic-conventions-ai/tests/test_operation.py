from __future__ import annotations

import asyncio

import pytest
from core_fakes import FakeClient

from opentelemetry.semconv_ai import enter_workflow, exit_workflow, names
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import SpanKind, StatusCode

LLM = {"model": "m-1", "provider": "acme", "operation": "chat", "workflow": ""}


def test_one_span_with_the_conventions_attributes(instrumented: Capture) -> None:
    result = FakeClient().create(model="m-1")
    assert result == {"model": "m-1-2024", "id": "r-1", "usage": (10, 4), "reason": "stop"}
    (span,) = instrumented.spans()
    assert span.name == "chat m-1"
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "acme",
        "gen_ai.request.model": "m-1",
        "server.address": "api.acme.test",
        "server.port": 443,
        "gen_ai.request.temperature": 0.5,
        "gen_ai.response.model": "m-1-2024",
        "gen_ai.response.id": "r-1",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 4,
    }


def test_exact_metrics_of_both_families(instrumented: Capture) -> None:
    for _ in range(3):
        FakeClient().create(model="m-1")
    cap = instrumented
    assert cap.value("llm.requests", LLM) == 3
    assert cap.value("llm.operation.errors", LLM) == 0
    assert cap.value("llm.tokens.usage", LLM, token_type="input") == 30
    assert cap.value("llm.tokens.usage", LLM, token_type="output") == 12
    assert cap.count("llm.operation.duration", LLM) == 3
    genai = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "acme",
        "gen_ai.request.model": "m-1",
        "gen_ai.response.model": "m-1-2024",
        "server.address": "api.acme.test",
        "server.port": 443,
    }
    assert cap.count("gen_ai.client.operation.duration", {**genai, "error.type": ""}) == 3
    assert cap.value("gen_ai.client.token.usage", {**genai, "gen_ai.token.type": "input"}) == 30
    assert cap.count("gen_ai.client.token.usage", {**genai, "gen_ai.token.type": "output"}) == 3
    metrics = cap.metrics()
    for name, points in metrics.items():
        keys = {frozenset(p.attributes) for p in points}
        assert len(keys) == 1, f"{name} has several label sets: {keys}"
    assert "gen_ai.client.operation.time_to_first_chunk" not in metrics


def test_failure_counts_once_and_propagates_the_same_exception(instrumented: Capture) -> None:
    boom = TimeoutError("slow")
    with pytest.raises(TimeoutError) as caught:
        FakeClient().create(model="m-1", fail=boom)
    assert caught.value is boom
    (span,) = instrumented.spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "TimeoutError"
    assert instrumented.value("llm.requests", LLM) == 1
    assert instrumented.value("llm.operation.errors", LLM) == 1
    assert instrumented.count("gen_ai.client.operation.duration", {"error.type": "TimeoutError"}) == 1
    assert "llm.tokens.usage" not in instrumented.metrics()


def test_provider_error_code_wins_over_class_name(instrumented: Capture) -> None:
    class APIStatusError(Exception):
        status_code = 429
        body = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}

    with pytest.raises(APIStatusError):
        FakeClient().create(fail=APIStatusError("429"))
    assert instrumented.spans()[0].attributes["error.type"] == "rate_limit_error"


def test_workflow_label_comes_from_the_context(instrumented: Capture) -> None:
    token = enter_workflow("ai_assistant")
    try:
        FakeClient().create(model="m-1")
    finally:
        exit_workflow(token)
    FakeClient().create(model="m-1")
    assert instrumented.value("llm.requests", {**LLM, "workflow": "ai_assistant"}) == 1
    assert instrumented.value("llm.requests", LLM) == 1


def test_async_surface(instrumented: Capture) -> None:
    async def main() -> None:
        await asyncio.gather(*(FakeClient().acreate(model="m-1") for _ in range(5)))

    asyncio.run(main())
    assert instrumented.value("llm.requests", LLM) == 5
    assert len(instrumented.spans()) == 5


def test_content_is_not_captured_by_default(instrumented: Capture) -> None:
    FakeClient().create()
    attrs = dict(instrumented.spans()[0].attributes)
    assert names.INPUT_MESSAGES not in attrs
    assert "SECRET" not in repr(attrs)


def test_content_capture_opt_in(instrumented: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.semconv_ai import config

    monkeypatch.setenv(config.CAPTURE_CONTENT_ENV, "true")
    config.reset()
    FakeClient().create()
    attrs = instrumented.spans()[0].attributes
    assert (
        attrs[names.INPUT_MESSAGES] == '[{"role":"user","parts":[{"type":"text","content":"SECRET-PROMPT"}]}]'
    )
    assert (
        attrs[names.OUTPUT_MESSAGES]
        == '[{"role":"assistant","parts":[{"type":"text","content":"SECRET-ANSWER"}]}]'
    )


def test_a_family_can_be_switched_off(instrumented: Capture) -> None:
    from opentelemetry.semconv_ai import configure

    configure(metric_families={"llm"})
    FakeClient().create()
    names_seen = set(instrumented.metrics())
    assert "llm.requests" in names_seen
    assert not any(n.startswith("gen_ai.") for n in names_seen)


def test_cardinality_cap_sends_overflow_to_other(capture: Capture) -> None:
    from opentelemetry.semconv_ai import Patcher, Telemetry, configure

    configure(cardinality_limit=3)
    from core_fakes import FakeSurface

    patcher = Patcher(Telemetry("t", capture.tracer_provider, capture.meter_provider))
    patcher.patch(FakeClient, "create", FakeSurface())
    try:
        for i in range(6):
            FakeClient().create(model=f"model-{i}")
    finally:
        patcher.restore()
    models = {p.attributes["model"] for p in capture.metrics()["llm.requests"]}
    assert models == {"model-0", "model-1", "model-2", "other"}
    assert capture.value("llm.requests", model="other") == 3
    assert capture.value("llm.label_overflow", model="other") == 3


def test_odd_models_are_normalised(instrumented: Capture) -> None:
    FakeClient().create(model=None)
    FakeClient().create(model="x" * 10_000)
    FakeClient().create(model="bad\nname\x00")
    models = {p.attributes["model"] for p in instrumented.metrics()["llm.requests"]}
    assert models == {"unknown", "x" * 128, "bad_name_"}
    assert instrumented.spans()[0].name == "chat"


def test_uninstrument_restores_the_original() -> None:
    from core_fakes import FakeSurface

    from opentelemetry.semconv_ai import Patcher, Telemetry

    original = FakeClient.__dict__["create"]
    patcher = Patcher(Telemetry("t"))
    patcher.patch(FakeClient, "create", FakeSurface())
    assert FakeClient.__dict__["create"] is not original
    patcher.restore()
    assert FakeClient.__dict__["create"] is original


def test_enum_finish_reasons_are_their_values(capture: Capture) -> None:
    """SDKs with enums of their own (together 1.x's `FinishReason`) report the value, not `Cls.NAME`."""
    import enum

    from opentelemetry.semconv_ai import Request, Telemetry

    class FinishReason(str, enum.Enum):
        STOP = "stop"

    op = Telemetry("test.scope", capture.tracer_provider, capture.meter_provider).start(
        names.CHAT, Request("m-1", "acme")
    )
    op.set_response(finish_reasons=[FinishReason.STOP, None, "length"])
    op.end()
    assert capture.spans()[0].attributes["gen_ai.response.finish_reasons"] == ("stop", "length")
