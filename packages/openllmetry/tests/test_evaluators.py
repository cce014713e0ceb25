"""Quality scores: built-in and user evaluators off the call path, drops counted, late feedback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from openllmetry import evaluators
from opentelemetry.semconv_ai import (
    Operation,
    Patcher,
    Request,
    Surface,
    Telemetry,
    config,
    metrics_for,
    pricing,
)
from opentelemetry.semconv_ai.pricing import NoPrices
from opentelemetry.semconv_ai.testing import Capture

QUALITY = "llm.response.quality_score"
LLM = {"model": "m-1", "provider": "acme", "operation": "chat", "workflow": ""}


@pytest.fixture
def cap() -> Iterator[Capture]:
    pricing.set_pricer(NoPrices())
    capture = Capture()
    yield capture
    evaluators.stop()
    config.reset()
    pricing.set_pricer(None)
    capture.shutdown()


def text(content: str, finish: str = "stop") -> list[dict[str, Any]]:
    return [{"role": "assistant", "parts": [{"type": "text", "content": content}], "finish_reason": finish}]


def run(
    cap: Capture,
    *,
    finish: list[str] | None = None,
    output: list[dict[str, Any]] | None = None,
    output_type: str | None = None,
    fail: BaseException | None = None,
    operation: str = "chat",
    model: str = "m-1",
) -> Operation:
    """One operation through the core, as an adapter would report it."""
    op = Telemetry("t", cap.tracer_provider, cap.meter_provider).start(
        operation, Request(model, "acme", output_type=output_type)
    )
    op.set_response(model=model, finish_reasons=finish)
    op.set_usage(input_tokens=3, output_tokens=2)
    if output is not None:
        if op.collect_output:
            op.set_output(output)
        else:  # what adapters report when no content is kept
            op.answered = any(
                p["type"] != "reasoning" and (p["type"] != "text" or p["content"].strip())
                for m in output
                for p in m["parts"]
            )
    if fail is not None:
        op.fail(fail)
    else:
        op.end()
    return op


def scores(cap: Capture, evaluator: str, **labels: Any) -> tuple[int, float]:
    """(how many scores, their sum) of one evaluator."""
    match = {**LLM, **labels, "evaluator": evaluator}
    return cap.count(QUALITY, match), cap.value(QUALITY, match)


def test_builtin_finish_reason(cap: Capture) -> None:
    evaluators.start(builtins=["finish_reason"])
    run(cap, finish=["stop"])
    run(cap, finish=["end_turn"])
    run(cap, finish=["tool_calls"])
    run(cap, finish=["length"])
    run(cap, finish=["content_filter"])
    run(cap, finish=["stop", "length"])  # two choices: their mean
    run(cap, fail=TimeoutError("slow"))
    run(cap, finish=["something_new"])  # unknown reasons give no score
    evaluators.stop()  # evaluates everything queued first
    assert scores(cap, "finish_reason") == (7, 1 + 1 + 1 + 0.5 + 0 + 0.75 + 0)
    assert {p.attributes["evaluator"] for p in cap.metrics()[QUALITY]} == {"finish_reason"}


@pytest.mark.parametrize("content", [False, True], ids=["answered-flag", "captured-messages"])
def test_builtin_non_empty(cap: Capture, content: bool) -> None:
    config.configure(capture_content=content)
    evaluators.start(builtins=["non_empty"])
    run(cap, finish=["stop"], output=text("hello"))
    call = {"type": "tool_call", "id": "c1", "name": "lookup", "arguments": {}}
    run(cap, finish=["tool_calls"], output=[{"role": "assistant", "parts": [call]}])
    run(cap, finish=["stop"], output=text("  \n"))
    run(
        cap,
        finish=["stop"],
        output=[{"role": "assistant", "parts": [{"type": "reasoning", "content": "hm"}]}],
    )
    run(cap, finish=["stop"], output=[])
    run(cap, fail=ConnectionError("cut"))  # no answer to judge
    # No output reported, but 2 output tokens: the core's default answers True (the provider contract).
    run(cap, finish=["stop"], output=None)
    run(cap, operation="embeddings")  # only operations that answer are judged
    evaluators.stop()
    assert scores(cap, "non_empty") == (6, 3)


def test_builtin_json_valid(cap: Capture) -> None:
    evaluators.start(builtins=["json_valid"])
    run(cap, finish=["stop"], output=text('{"answer": 42}'), output_type="json")
    run(cap, finish=["stop"], output=text('{"answer": 4'), output_type="json")
    run(cap, finish=["stop"], output=text("not json"), output_type="json")
    run(cap, finish=["stop"], output=text("plain text"))  # no JSON requested: no score
    evaluators.stop()
    assert scores(cap, "json_valid") == (3, 1)


def test_all_builtins_are_on_by_default(cap: Capture) -> None:
    evaluators.start()
    op = run(cap, finish=["stop"], output=text("{}"), output_type="json")
    evaluators.stop()
    assert op.collect_output  # the answer was collected for the evaluators, content capture being off
    assert "gen_ai.output.messages" not in cap.spans()[0].attributes
    assert {p.attributes["evaluator"]: p.sum for p in cap.metrics()[QUALITY]} == {
        "finish_reason": 1.0,
        "non_empty": 1.0,
        "json_valid": 1.0,
    }


def test_builtins_can_be_switched_off(cap: Capture) -> None:
    evaluators.start(builtins=False)
    op = run(cap, finish=["stop"], output=text("hi"))
    evaluators.stop()
    assert not op.collect_output
    assert QUALITY not in cap.metrics()


def test_user_evaluators_see_content_that_is_not_exported(cap: Capture) -> None:
    seen: list[evaluators.EvaluationInput] = []

    def polite(result: evaluators.EvaluationInput) -> float:
        seen.append(result)
        return 1.0 if "please" in result.text else 0.0

    class Length:
        name = "short_enough"

        def __call__(self, result: evaluators.EvaluationInput) -> bool:
            return len(result.text) < 20

    evaluators.start([polite, Length()], builtins=False)
    run(cap, finish=["stop"], output=text("SECRET please"))
    run(cap, finish=["stop"], output=text("SECRET no, and a much longer answer"))
    evaluators.stop()
    assert scores(cap, "polite") == (2, 1.0)
    assert scores(cap, "short_enough") == (2, 1.0)
    assert seen[0].text == "SECRET please"
    assert seen[0].finish_reasons == ("stop",)
    assert (seen[0].model, seen[0].provider, seen[0].operation) == ("m-1", "acme", "chat")
    assert (seen[0].input_tokens, seen[0].output_tokens) == (3, 2)
    for span in cap.spans():
        assert "SECRET" not in repr(dict(span.attributes))


def test_user_scores_are_clamped_and_bad_ones_skipped(cap: Capture) -> None:
    answers = iter([1.5, -2, float("nan"), "0.5", None, True])

    def boom(result: evaluators.EvaluationInput) -> float:
        raise RuntimeError("evaluator bug")

    evaluators.start({"odd": lambda result: next(answers), "boom": boom}, builtins=False)
    for _ in range(6):
        run(cap, finish=["stop"])
    evaluators.stop()
    assert scores(cap, "odd") == (3, 1 + 0 + 1)  # NaN, a string and None give no score
    assert scores(cap, "boom") == (0, 0)
    assert cap.value("llm.requests", LLM) == 6


def test_a_slow_evaluator_never_slows_the_calls(cap: Capture) -> None:
    entered = threading.Event()
    release = threading.Event()
    evaluated: list[str] = []

    def slow(result: evaluators.EvaluationInput) -> float:
        entered.set()
        assert release.wait(30)
        evaluated.append(result.model)
        return 1.0

    evaluators.start([slow], builtins=False, queue_size=2)
    run(cap, model="m-1")
    assert entered.wait(30)  # the worker is now stuck in the first evaluation
    for _ in range(9):
        run(cap, model="m-1")
    # Every call has returned while the evaluator is still blocked: none of them waited for it.
    assert not release.is_set()
    assert cap.value("llm.requests", LLM) == 10
    assert cap.value("llm.evaluations.dropped", LLM) == 7  # 1 being evaluated, 2 queued
    release.set()
    evaluators.stop()
    assert evaluated == ["m-1"] * 3
    assert scores(cap, "slow") == (3, 3.0)


class Client:
    def create(self, model: str) -> str:
        return "ok"


class ClientSurface(Surface):
    def request(self, instance: Any, args: Any, kwargs: Any) -> Request:
        return Request(kwargs["model"], "acme")

    def response(self, op: Operation, result: Any) -> Any:
        op.set_response(finish_reasons=["stop"])
        return result


def test_an_evaluator_calling_an_llm_makes_no_telemetry(cap: Capture) -> None:
    patcher = Patcher(Telemetry("t", cap.tracer_provider, cap.meter_provider))
    patcher.patch(Client, "create", ClientSurface())
    try:

        def judge(result: evaluators.EvaluationInput) -> float:
            return 1.0 if Client().create(model="judge") == "ok" else 0.0

        evaluators.start([judge], builtins=False)
        Client().create(model="m-1")
        evaluators.stop()
    finally:
        patcher.restore()
    assert scores(cap, "judge") == (1, 1.0)
    assert [s.name for s in cap.spans()] == ["chat m-1"]
    assert cap.value("llm.requests", model="judge") == 0


def test_start_replaces_and_stop_is_idempotent(cap: Capture) -> None:
    evaluators.start([lambda r: 1.0], builtins=False)
    evaluators.start(builtins=["finish_reason"])
    run(cap, finish=["stop"])
    evaluators.stop()
    evaluators.stop()
    run(cap, finish=["stop"])
    assert {p.attributes["evaluator"] for p in cap.metrics()[QUALITY]} == {"finish_reason"}
    assert scores(cap, "finish_reason") == (1, 1.0)


def test_record_quality_for_late_feedback(cap: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    # record_quality() uses the global MeterProvider; the test points it at its own instead.
    monkeypatch.setattr(evaluators, "metrics_for", lambda provider=None: metrics_for(cap.meter_provider))
    import openllmetry

    openllmetry.record_quality(1, model="m-1", provider="acme")
    openllmetry.record_quality(False, model="m-1", provider="acme")
    openllmetry.record_quality(0.8, model="m-1", provider="acme", evaluator="rating", workflow="support")
    openllmetry.record_quality(float("inf"), model="m-1", provider="acme")  # ignored
    openllmetry.record_quality("bad", model=None, provider="acme")  # type: ignore[arg-type]
    assert scores(cap, "user_feedback") == (2, 1.0)
    assert scores(cap, "rating", workflow="support") == (1, 0.8)
    point = next(p for p in cap.metrics()[QUALITY] if p.attributes["evaluator"] == "rating")
    assert point.attributes == {**LLM, "workflow": "support", "evaluator": "rating"}


def test_with_the_real_openai_client(cap: Capture, mock_provider: Any) -> None:
    import openai

    instrumentation = pytest.importorskip("opentelemetry.instrumentation.openai")
    instrumentor = instrumentation.OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=cap.tracer_provider, meter_provider=cap.meter_provider)
    client = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key="sk-test", max_retries=0)
    evaluators.start()
    try:
        prompt = [{"role": "user", "content": "answer in JSON"}]
        as_json = {"type": "json_object"}
        client.chat.completions.create(
            model="m-1",
            messages=prompt,
            response_format=as_json,
            extra_headers={"x-mock-reply": '{"ok": true}'},
        )
        client.chat.completions.create(
            model="m-1", messages=prompt, response_format=as_json, extra_headers={"x-mock-reply": "sorry, no"}
        )
        client.chat.completions.create(
            model="m-1", messages=prompt, extra_headers={"x-mock-tool-call": "lookup"}
        )
        stream = client.chat.completions.create(model="m-1", messages=prompt, stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="m-1", messages=prompt, extra_headers={"x-mock-fail": "429"})
        evaluators.stop()
    finally:
        client.close()
        instrumentor.uninstrument()
    openai_labels = {"provider": "openai"}
    assert scores(cap, "finish_reason", **openai_labels) == (5, 4.0)
    assert scores(cap, "non_empty", **openai_labels) == (4, 4.0)
    assert scores(cap, "json_valid", **openai_labels) == (2, 1.0)
    assert "answer in JSON" not in repr([dict(s.attributes) for s in cap.spans()])


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_non_empty_from_real_clients_without_content(
    cap: Capture, mock_provider: Any, provider: str, stream: bool
) -> None:
    """With content capture off, adapters report whether there was an answer without keeping its text."""
    module = pytest.importorskip(f"opentelemetry.instrumentation.{provider}")
    instrumentor = module.OpenAIInstrumentor() if provider == "openai" else module.AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=cap.tracer_provider, meter_provider=cap.meter_provider)
    evaluators.start(builtins=["non_empty"])
    replies = [{"x-mock-reply": "an answer"}, {"x-mock-reply": ""}, {"x-mock-tool-call": "lookup"}]
    try:
        if provider == "openai":
            import openai

            client: Any = openai.OpenAI(
                base_url=mock_provider.openai_base_url, api_key="sk-test", max_retries=0
            )
            for headers in replies:
                result = client.chat.completions.create(
                    model="m-1",
                    messages=[{"role": "user", "content": "hi"}],
                    stream=stream,
                    extra_headers=headers,
                )
                if stream:
                    list(result)
        else:
            import anthropic

            client = anthropic.Anthropic(
                base_url=mock_provider.anthropic_base_url, api_key="sk-test", max_retries=0
            )
            tools = [{"name": "lookup", "description": "d", "input_schema": {"type": "object"}}]
            for headers in replies:
                result = client.messages.create(
                    model="m-1",
                    max_tokens=64,
                    messages=[{"role": "user", "content": "hi"}],
                    tools=tools,
                    stream=stream,
                    extra_headers=headers,
                )
                if stream:
                    list(result)
        evaluators.stop()
    finally:
        client.close()
        instrumentor.uninstrument()
    assert scores(cap, "non_empty", provider=provider) == (3, 2.0)
