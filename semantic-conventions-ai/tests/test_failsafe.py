from __future__ import annotations

from typing import Any

import pytest
from core_fakes import FakeClient

from opentelemetry.semconv_ai import Patcher, Request, Surface, Telemetry
from opentelemetry.semconv_ai.testing import Capture


class BrokenRequest(Surface):
    def request(self, instance: Any, args: Any, kwargs: Any) -> Request:
        raise KeyError("adapter bug")


class BrokenResponse(Surface):
    def request(self, instance: Any, args: Any, kwargs: Any) -> Request:
        return Request("m-1", "acme")

    def response(self, op: Any, result: Any) -> Any:
        raise TypeError("adapter bug")


class BrokenHandler:
    def on_chunk(self, chunk: Any) -> None:
        raise ValueError("adapter bug")

    def on_end(self) -> None:
        raise ValueError("adapter bug")


class BrokenChunks(BrokenResponse):
    def response(self, op: Any, result: Any) -> Any:
        return result if isinstance(result, dict) else op.stream(result, BrokenHandler())


@pytest.mark.parametrize("surface", [BrokenRequest(), BrokenResponse(), BrokenChunks()])
def test_a_broken_hook_never_reaches_the_caller(capture: Capture, surface: Surface) -> None:
    patcher = Patcher(Telemetry("t", capture.tracer_provider, capture.meter_provider))
    patcher.patch(FakeClient, "create", surface)
    try:
        assert FakeClient().create(model="m-1")["id"] == "r-1"
        assert list(FakeClient().create(model="m-1", stream=True, chunks=3)) == [0, 1, 2]
    finally:
        patcher.restore()
    if isinstance(surface, BrokenRequest):
        assert capture.spans() == []
    else:
        assert len(capture.spans()) == 2


def test_broken_metrics_backend_does_not_break_the_call(instrumented: Capture) -> None:
    class Exploding:
        def __getattr__(self, name: str) -> Any:
            raise RuntimeError("meter exploded")

    from opentelemetry.semconv_ai import metrics

    telemetry = Telemetry("t", instrumented.tracer_provider, instrumented.meter_provider)
    telemetry.metrics = Exploding()  # type: ignore[assignment]
    patcher = Patcher(telemetry)
    patcher.patch(FakeClient, "acreate", BrokenResponse(), is_async=True)
    assert metrics  # the module stays importable
    patcher.restore()
    assert FakeClient().create()["id"] == "r-1"


def test_missing_method_is_skipped() -> None:
    patcher = Patcher(Telemetry("t"))
    assert patcher.patch(FakeClient, "does_not_exist", BrokenRequest()) is False
