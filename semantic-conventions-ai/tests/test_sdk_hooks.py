"""Hooks a provider adapter builds on: the current operation, and reading a failed call's exception."""

from __future__ import annotations

from typing import Any

import pytest

from opentelemetry.semconv_ai import Operation, Patcher, Request, Surface, Telemetry, current_operation
from opentelemetry.semconv_ai.testing import Capture


class Seen(Surface):
    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        return Request(kwargs.get("model", "m-1"), "acme")

    def error(self, op: Operation, exc: BaseException) -> None:
        op.set_attributes({"acme.request.id": "req-9"})


class Client:
    def __init__(self) -> None:
        self.seen: list[Operation | None] = []

    def create(self, model: str = "m-1", fail: BaseException | None = None) -> str:
        self.seen.append(current_operation())  # what an SDK's own tracing would ask
        if fail is not None:
            raise fail
        return "ok"


def test_current_operation_is_set_only_while_the_sdk_call_runs(capture: Capture) -> None:
    patcher = Patcher(Telemetry("test.scope", capture.tracer_provider, capture.meter_provider))
    patcher.patch(Client, "create", Seen())
    client = Client()
    try:
        assert current_operation() is None
        client.create()
        assert current_operation() is None
    finally:
        patcher.restore()
    [op] = client.seen
    assert isinstance(op, Operation)
    assert op.span.get_span_context() == capture.spans()[0].get_span_context()


def test_surface_error_reads_the_exception_before_the_span_ends(capture: Capture) -> None:
    patcher = Patcher(Telemetry("test.scope", capture.tracer_provider, capture.meter_provider))
    patcher.patch(Client, "create", Seen())
    try:
        with pytest.raises(KeyError):
            Client().create(fail=KeyError("x"))
    finally:
        patcher.restore()
    [span] = capture.spans()
    assert (span.attributes or {})["acme.request.id"] == "req-9"
    assert (span.attributes or {})["error.type"] == "KeyError"
