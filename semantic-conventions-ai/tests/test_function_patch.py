"""Module-level functions patched like methods; streams that iterate both ways; inside-operation streams."""

from __future__ import annotations

import asyncio
import types
from collections.abc import Iterator
from typing import Any

import pytest
from core_fakes import FakeClient, FakeSurface, Handler

from opentelemetry.semconv_ai import Patcher, Telemetry
from opentelemetry.semconv_ai.testing import Capture


def make_module() -> types.ModuleType:
    module = types.ModuleType("fake_functions")
    client = FakeClient()

    def create(model: Any = "m-1", **kwargs: Any) -> Any:
        return client.create(model, **kwargs)

    async def acreate(model: Any = "m-1", **kwargs: Any) -> Any:
        return await client.acreate(model, **kwargs)

    module.create, module.acreate = create, acreate
    return module


@pytest.fixture
def patcher(capture: Capture) -> Iterator[Patcher]:
    patcher = Patcher(Telemetry("test.scope", capture.tracer_provider, capture.meter_provider))
    yield patcher
    patcher.restore()


def test_module_functions_patched_and_restored(patcher: Patcher, capture: Capture) -> None:
    module = make_module()
    originals = module.create, module.acreate
    assert patcher.patch(module, "create", FakeSurface())
    assert patcher.patch(module, "acreate", FakeSurface(), is_async=True)
    assert asyncio.iscoroutinefunction(module.acreate)

    assert module.create(model="m-1")["usage"] == (10, 4)  # keyword-only calls: no `self` is taken
    assert asyncio.run(module.acreate("m-1"))["id"] == "r-1"
    assert [s.name for s in capture.spans()] == ["chat m-1", "chat m-1"]

    patcher.restore()
    assert (module.create, module.acreate) == originals


class BothWays:
    """A stream object that iterates sync and async (LiteLLM's `CustomStreamWrapper` does)."""

    def __init__(self, nested: Any = None) -> None:
        self.items = [1, 2]
        self.nested = nested

    def __iter__(self) -> BothWays:
        return self

    def __next__(self) -> int:
        if self.nested is not None:
            self.nested()  # an instrumented SDK called while the stream is read
        if not self.items:
            raise StopIteration
        return self.items.pop(0)

    def __aiter__(self) -> BothWays:
        return self

    async def __anext__(self) -> int:
        try:
            return self.__next__()
        except StopIteration:
            raise StopAsyncIteration from None


class BothWaysSurface(FakeSurface):
    def __init__(self, inside: bool = False) -> None:
        self.inside = inside

    def response(self, op: Any, result: Any) -> Any:
        if isinstance(result, BothWays):
            return op.stream(result, Handler(op), is_async=False, inside=self.inside)
        return super().response(op, result)


@pytest.mark.parametrize("inside", [False, True])
def test_stream_read_inside_the_operation(patcher: Patcher, capture: Capture, inside: bool) -> None:
    inner = make_module()
    patcher.patch(inner, "create", FakeSurface())
    module = types.ModuleType("outer")
    module.stream = lambda: BothWays(nested=lambda: inner.create(model="inner"))
    patcher.patch(module, "stream", BothWaysSurface(inside=inside))

    assert list(module.stream()) == [1, 2]  # a sync proxy, though the object has __aiter__ too
    names = sorted(s.name for s in capture.spans())
    # Inside: the SDK the stream calls stands aside. Otherwise each of its 3 calls is an operation.
    assert names == (["chat m-1"] if inside else ["chat inner"] * 3 + ["chat m-1"])
