"""The conformance suite every provider package runs against its mock routes.

Subclass `Conformance` in a test module (as `TestAcmeConformance`), give the instrumentor, the
provider name, a client factory and the cases; pytest collects the rest. See the core README
("The conformance suite"). The `mock_provider` fixture comes from the `llm-mock-provider` package.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from opentelemetry.trace import SpanKind, StatusCode

from .. import config, names
from . import Capture

CUT = {"x-mock-fail": "cut", "x-mock-cut-after": "1"}
RATE_LIMITED = {"x-mock-fail": "429"}
MODES = ("sync", "async")
# Test methods that only apply to streaming cases.
_STREAM_TESTS = frozenset(
    {"test_stream_closed", "test_stream_broken", "test_stream_cut", "test_stream_dropped"}
)


@dataclass(frozen=True)
class Case:
    """One SDK call the suite makes, and what it must report."""

    name: str
    operation: str
    model: str
    call: Callable[[Any], Any]
    """`call(client)`: the SDK's result; a coroutine for the async client. For a stream: an iterable,
    an async iterable, or a context manager that gives one (`.stream()` managers)."""
    input_tokens: int | None
    output_tokens: int | None
    stream: bool = False
    sync: bool = True
    is_async: bool = True
    captures_input: bool = True
    """Whether content capture records input messages for this call."""


class _Clients:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.made: dict[Any, Any] = {}

    def close(self) -> None:
        for client in self.made.values():
            try:
                done = client.close()
                if inspect.isawaitable(done):
                    self.loop.run_until_complete(done)
            except Exception:
                pass
        self.loop.close()


class Conformance:
    """Base class of a provider's conformance tests (not collected itself: no `Test` prefix)."""

    instrumentor: ClassVar[Any]
    """The instrumentor class."""
    provider: ClassVar[str]
    """`gen_ai.provider.name` and the `provider` label of every case."""
    cases: ClassVar[list[Case]] = []
    instrument_kwargs: ClassVar[dict[str, Any]] = {}

    def client(self, mock: Any, *, is_async: bool, headers: dict[str, str]) -> Any:
        """A client of the SDK against `mock` that sends `headers` with every request, without retries."""
        raise NotImplementedError

    def patched(self) -> list[tuple[str, str, str]]:
        """(module, class, method) of every patched method; by default from the instrumentor's table."""
        out = []
        for row in self.instrumentor().patches(**self.instrument_kwargs):
            out.append((row.module, row.owner, row.method))
            twin = "Async" + row.owner if row.async_owner == "Async" else row.async_owner
            if twin:
                out.append((row.module, twin, row.method))
        return out

    def pytest_generate_tests(self, metafunc: Any) -> None:
        if "case" in metafunc.fixturenames:
            cases = [c for c in self.cases if c.stream or metafunc.function.__name__ not in _STREAM_TESTS]
            metafunc.parametrize("case", cases, ids=[c.name for c in cases])
        if "mode" in metafunc.fixturenames:
            metafunc.parametrize("mode", MODES)

    @pytest.fixture
    def capture(self) -> Iterator[Capture]:
        config.reset()
        cap = Capture()
        instrumentor = self.instrumentor()
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
        instrumentor.instrument(
            tracer_provider=cap.tracer_provider, meter_provider=cap.meter_provider, **self.instrument_kwargs
        )
        yield cap
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
        cap.shutdown()
        config.reset()

    # -- the tests -------------------------------------------------------------------------------

    def test_call(self, mock_provider: Any, capture: Capture, case: Case, mode: str) -> None:
        """One CLIENT span with the conventions' attributes; exact tokens in both metric families."""
        self.run(mock_provider, case, mode)
        span = self.one_span(capture, case)
        attributes = dict(span.attributes or {})
        assert attributes[names.SERVER_ADDRESS] == "127.0.0.1"
        assert attributes[names.SERVER_PORT] == mock_provider.port
        assert span.status.status_code is not StatusCode.ERROR
        assert attributes.get(names.USAGE_INPUT_TOKENS) == case.input_tokens
        assert attributes.get(names.USAGE_OUTPUT_TOKENS) == case.output_tokens
        if case.stream:
            assert attributes.get(names.REQUEST_STREAM) is True
        self.assert_counted(capture, case)
        labels = self.labels(case)
        genai = {names.PROVIDER_NAME: self.provider, names.REQUEST_MODEL: case.model}
        for kind, expected in (("input", case.input_tokens), ("output", case.output_tokens)):
            assert capture.value("llm.tokens.usage", labels, token_type=kind) == (expected or 0)
            assert capture.value("gen_ai.client.token.usage", genai, **{names.TOKEN_TYPE: kind}) == (
                expected or 0
            )
        if case.stream:
            assert capture.count("gen_ai.client.operation.time_to_first_chunk", genai) == 1

    def test_error(self, mock_provider: Any, capture: Capture, case: Case, mode: str) -> None:
        """A 429 raises the SDK's own exception, unchanged; the span and the metrics carry the error."""
        instrumentor = self.instrumentor()
        instrumentor.uninstrument()
        bare = self.raised(mock_provider, case, mode, RATE_LIMITED)
        instrumentor.instrument(
            tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider
        )
        seen = self.raised(mock_provider, case, mode, RATE_LIMITED)
        assert self.same_error(seen, bare), (seen, bare)
        span = self.one_span(capture, case)
        assert span.status.status_code is StatusCode.ERROR
        assert (span.attributes or {}).get(names.ERROR_TYPE)
        self.assert_counted(capture, case, errors=1)

    def test_content(self, mock_provider: Any, capture: Capture, case: Case) -> None:
        """No content by default; input (and output) messages when capture is on."""
        self.run(mock_provider, case, "sync")
        assert names.INPUT_MESSAGES not in (capture.spans()[0].attributes or {})
        assert names.OUTPUT_MESSAGES not in (capture.spans()[0].attributes or {})
        capture.exporter.clear()
        config.configure(capture_content=True)
        self.run(mock_provider, case, "sync")
        attributes = dict(capture.spans()[0].attributes or {})
        if case.captures_input:
            assert names.INPUT_MESSAGES in attributes
        if case.operation in (names.CHAT, names.TEXT_COMPLETION):
            assert names.OUTPUT_MESSAGES in attributes

    def test_stream_closed(self, mock_provider: Any, capture: Capture, case: Case, mode: str) -> None:
        """A stream closed after its first chunk ends the operation once, without an error."""
        self.run(mock_provider, case, mode, consume=_first_then_close)
        span = self.one_span(capture, case)
        assert span.status.status_code is not StatusCode.ERROR
        self.assert_counted(capture, case)

    def test_stream_broken(self, mock_provider: Any, capture: Capture, case: Case, mode: str) -> None:
        """A loop that breaks and drops the stream ends the operation once."""
        self.run(mock_provider, case, mode, consume=_first_then_drop)
        self.collect(capture)
        self.one_span(capture, case)
        self.assert_counted(capture, case)

    def test_stream_cut(self, mock_provider: Any, capture: Capture, case: Case, mode: str) -> None:
        """A connection cut mid-stream fails the operation with the SDK's error, raised unchanged."""
        error = self.raised(mock_provider, case, mode, CUT)
        assert error is not None
        span = self.one_span(capture, case)
        assert span.status.status_code is StatusCode.ERROR
        self.assert_counted(capture, case, errors=1)

    def test_stream_dropped(self, mock_provider: Any, capture: Capture, case: Case) -> None:
        """A stream garbage-collected unread ends the operation once."""
        self.run(mock_provider, case, "sync", consume=_drop)
        self.collect(capture)
        if capture.spans():  # a `.stream()` manager never entered starts no operation
            self.one_span(capture, case)
            self.assert_counted(capture, case)

    def test_uninstrument(self, mock_provider: Any, capture: Capture) -> None:
        """uninstrument() puts back every patched method exactly, and calls make no span."""
        instrumentor = self.instrumentor()
        instrumentor.uninstrument()
        originals = {key: _method(*key) for key in self.patched()}
        instrumentor.instrument(
            tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider
        )
        for case in self.cases:
            self.run(mock_provider, case, "sync" if case.sync else "async")
        assert len(capture.spans()) == len(self.cases)
        patched = {key: _method(*key) for key in originals}
        assert any(patched[key] is not originals[key] for key in originals)
        instrumentor.uninstrument()
        assert {key: _method(*key) for key in originals} == originals
        capture.exporter.clear()
        for case in self.cases:
            self.run(mock_provider, case, "sync" if case.sync else "async")
        assert capture.spans() == []

    # -- helpers ---------------------------------------------------------------------------------

    def run(
        self,
        mock: Any,
        case: Case,
        mode: str,
        consume: Callable[[Any], Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Make the call of `case` (sync or async) and consume its result with `consume`."""
        if (mode == "sync" and not case.sync) or (mode == "async" and not case.is_async):
            pytest.skip(f"{case.name} has no {mode} form")
        if mode == "async":
            client = self._client(mock, True, headers or {})

            async def main() -> Any:
                result = case.call(client)
                if inspect.isawaitable(result):
                    result = await result
                return await _consume_async(result, consume)

            return self._state().loop.run_until_complete(main())
        return _consume(case.call(self._client(mock, False, headers or {})), consume)

    def collect(self, capture: Capture) -> None:
        """Collect garbage until the dropped stream has ended (a full collection is slow in big processes);
        the event loop runs in between, as in an application, to finalize async generators."""
        loop = self._state().loop
        for generation in (0, 2, 2):
            if capture.spans():
                return
            gc.collect(generation)
            loop.run_until_complete(asyncio.sleep(0))

    def _state(self) -> _Clients:
        # Clients are slow to make (~0.1 s each: TLS setup), so one per (mode, headers) serves a class;
        # async ones live on one event loop for the class.
        state = type(self).__dict__.get("_clients")
        if state is None:
            state = _Clients()
            type.__setattr__(type(self), "_clients", state)
        return state

    def _client(self, mock: Any, is_async: bool, headers: dict[str, str]) -> Any:
        state = self._state()
        key = (mock.port, is_async, tuple(sorted(headers.items())))
        client = state.made.get(key)
        if client is None:
            client = state.made[key] = self.client(mock, is_async=is_async, headers=headers)
        return client

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _close_clients(cls) -> Iterator[None]:
        yield
        state = cls.__dict__.get("_clients")
        if state is not None:
            type.__delattr__(cls, "_clients")
            state.close()

    def raised(self, mock: Any, case: Case, mode: str, headers: dict[str, str]) -> BaseException:
        with pytest.raises(Exception) as info:
            self.run(mock, case, mode, headers=headers)
        return info.value

    def same_error(self, seen: BaseException, bare: BaseException) -> bool:
        """Whether the instrumented call raised what the bare one did. Override for SDKs whose message
        holds per-request details (cohere's holds the response headers: request id, date)."""
        return type(seen) is type(bare) and str(seen) == str(bare)

    def one_span(self, capture: Capture, case: Case) -> Any:
        span = capture.one_span()
        assert span.name == f"{case.operation} {case.model}"
        assert span.kind is SpanKind.CLIENT
        attributes = dict(span.attributes or {})
        assert attributes[names.OPERATION_NAME] == case.operation
        assert attributes[names.PROVIDER_NAME] == self.provider
        assert attributes[names.REQUEST_MODEL] == case.model
        return span

    def labels(self, case: Case) -> dict[str, str]:
        return {"provider": self.provider, "operation": case.operation, "model": case.model}

    def assert_counted(self, capture: Capture, case: Case, *, errors: int = 0) -> None:
        labels = self.labels(case)
        assert capture.value("llm.requests", labels) == 1
        assert capture.value("llm.operation.errors", labels) == errors
        assert capture.count("llm.operation.duration", labels) == 1
        assert capture.count("gen_ai.client.operation.duration", {names.PROVIDER_NAME: self.provider}) == 1


def _method(module: str, owner: str, method: str) -> Any:
    try:
        cls = getattr(importlib.import_module(module), owner, None)
    except ImportError:  # a module of other SDK versions
        return None
    return None if cls is None else cls.__dict__.get(method)


# -- consuming results: a manager is entered, a stream read; a plain result is returned as is --------


def _is_manager(result: Any) -> bool:
    return hasattr(result, "__enter__") and not hasattr(type(result), "__next__")


def _is_async_manager(result: Any) -> bool:
    return hasattr(result, "__aenter__") and not hasattr(type(result), "__anext__")


def _drain(stream: Any) -> Any:
    return list(stream)


def _closable(stream: Any, *names: str) -> None:
    """Skips the test on an SDK whose streams cannot be closed (early openai 1.x); the proxy reports
    the SDK's class."""
    if not any(callable(getattr(stream.__class__, name, None)) for name in names):
        pytest.skip(f"{stream.__class__.__name__} of this SDK version has no {' or '.join(names)}()")


def _first_then_close(stream: Any) -> Any:
    _closable(stream, "close")
    for chunk in stream:
        stream.close()
        return chunk
    return None


def _first_then_drop(stream: Any) -> Any:
    for chunk in stream:
        return chunk
    return None


def _drop(stream: Any) -> None:
    return None


def _consume(result: Any, consume: Callable[[Any], Any] | None) -> Any:
    consume = consume or _drain
    if _is_manager(result):
        with result as stream:
            return consume(stream) if consume is not _drop else None
    if hasattr(type(result), "__next__"):
        return consume(result)
    return result


async def _consume_async(result: Any, consume: Callable[[Any], Any] | None) -> Any:
    if _is_async_manager(result):
        async with result as stream:
            return await _consume_async_stream(stream, consume)
    if hasattr(type(result), "__anext__") or hasattr(result, "__aiter__"):
        return await _consume_async_stream(result, consume)
    return result


async def _consume_async_stream(stream: Any, consume: Callable[[Any], Any] | None) -> Any:
    if consume is None or consume is _drain:
        return [chunk async for chunk in stream]
    if consume is _first_then_close:
        _closable(stream, "aclose", "close")
    async for chunk in stream:
        if consume is _first_then_close:
            close = getattr(stream, "aclose", None) or stream.close
            await close()
        return chunk
    return None
