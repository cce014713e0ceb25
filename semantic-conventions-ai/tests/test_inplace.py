"""Core pieces Bedrock needed: streams observed in place through a parser, per-call operation names,
wrappers for functions an SDK builds at run time, and botocore's error codes."""

from __future__ import annotations

import asyncio
import gc
import io
from typing import Any

import pytest

from opentelemetry.semconv_ai import Request, Surface, Telemetry, error_type, is_patched, names, wrap
from opentelemetry.semconv_ai.inplace import end_on_close, observe_calls, observe_end, replayed, serve_again
from opentelemetry.semconv_ai.testing import Capture


class EventStream:
    """Shaped like botocore's: raw events, each parsed; a bad one raises from the parser."""

    def __init__(self, raw: list[Any]) -> None:
        self._events = iter(raw)
        self.closed = False

    def parse(self, event: Any) -> Any:
        if event == "boom":
            raise ValueError("exception event")
        return {"event": event}

    def __iter__(self) -> Any:
        for event in self._events:
            yield self.parse(event)

    def close(self) -> None:
        self.closed = True


def watched(cap: Capture, raw: list[Any]) -> EventStream:
    op = Telemetry("t", cap.tracer_provider, cap.meter_provider).start("chat", Request("m", "acme"))
    op.detach()  # as once the SDK call has returned
    observer = op.observer(None)
    stream = EventStream(raw)
    stream.parse = observe_calls(stream.parse, observer)  # type: ignore[method-assign]
    stream._events = observe_end(stream._events, observer)
    end_on_close(stream, observer)
    return stream


def test_parsed_events_are_chunks_and_exhaustion_ends(capture: Capture) -> None:
    assert [e["event"] for e in watched(capture, [1, 2, 3])] == [1, 2, 3]
    assert capture.count("gen_ai.client.operation.time_to_first_chunk") == 1
    assert len(capture.spans()) == 1


def test_a_parser_that_raises_fails_the_operation(capture: Capture) -> None:
    with pytest.raises(ValueError):
        list(watched(capture, [1, "boom", 3]))
    (span,) = capture.spans()
    assert span.attributes["error.type"] == "ValueError"


def test_close_and_collection_end_once(capture: Capture) -> None:
    stream = watched(capture, [1, 2])
    next(iter(stream))
    stream.close()
    stream.close()
    assert stream.closed and len(capture.spans()) == 1
    watched(capture, [1])
    gc.collect()
    assert len(capture.spans()) == 2


def test_async_parser_and_events(capture: Capture) -> None:
    op = Telemetry("t", capture.tracer_provider, capture.meter_provider).start("chat", Request("m", "acme"))
    op.detach()
    observer = op.observer(None)

    async def parse(event: Any) -> Any:
        return event * 10

    async def events() -> Any:
        for event in (1, 2):
            yield event

    async def main() -> list[Any]:
        parsed = observe_calls(parse, observer)
        return [await parsed(event) async for event in observe_end(events(), observer)]

    assert asyncio.run(main()) == [10, 20]
    assert len(capture.spans()) == 1


class PerCall(Surface):
    operation = names.CHAT

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        return Request("m", "acme", operation=kwargs.get("kind"))


def test_request_operation_overrides_the_surface_and_wrap_marks(capture: Capture) -> None:
    telemetry = Telemetry("t", capture.tracer_provider, capture.meter_provider)

    def call(self: Any, **kwargs: Any) -> str:
        return "ok"

    wrapped = wrap(call, telemetry, PerCall())
    assert is_patched(wrapped) and wrapped.__name__ == "call"
    assert wrapped(None, kind=names.EMBEDDINGS) == "ok"
    assert wrapped(None) == "ok"
    assert [s.name for s in capture.spans()] == ["embeddings m", "chat m"]
    telemetry.enabled = False  # what Patcher.restore() does: the wrapper passes through
    assert wrapped(None) == "ok" and len(capture.spans()) == 2


def test_botocore_error_codes() -> None:
    class ClientError(Exception):
        def __init__(self, code: Any) -> None:
            self.response = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {}}

    assert error_type(ClientError("ThrottlingException")) == "ThrottlingException"
    assert error_type(ClientError("modelStreamErrorException")) == "modelStreamErrorException"
    assert error_type(ClientError(None)) == "ClientError"


class Body(io.IOBase):
    """Read-once, like botocore's StreamingBody: everything goes through `read`."""

    def __init__(self, data: bytes) -> None:
        self.raw = io.BytesIO(data)

    def read(self, amt: int | None = None) -> bytes:
        return self.raw.read(amt)

    def iter_lines(self) -> Any:
        return iter(self.read().splitlines())


def test_a_read_once_body_is_served_again() -> None:
    body = Body(b"line one\nline two")
    serve_again(body, body.read())
    assert replayed(body) == b"line one\nline two"
    assert body.read(4) == b"line" and body.tell() == 4
    assert body.read() == b" one\nline two" and body.read() == b""
    body = Body(b"abc")
    serve_again(body, body.read())
    assert list(body.iter_lines()) == [b"abc"]
    failed = Body(b"")
    serve_again(failed, ConnectionError("cut"))
    assert replayed(failed) is None
    with pytest.raises(ConnectionError):
        failed.read()


def test_an_async_body_is_served_again() -> None:
    body = Body(b"")
    serve_again(body, b"12345", is_async=True)

    async def main() -> bytes:
        return await body.read(2) + await body.read()

    assert asyncio.run(main()) == b"12345"
