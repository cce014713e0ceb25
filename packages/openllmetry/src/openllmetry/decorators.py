"""`@workflow`, `@agent`, `@tool` and `@task`: spans around the application's own functions.

Each works on sync and async functions and on sync and async generators (the span then lasts until the
generator ends). LLM operations inside become children of the span, and inside a `@workflow` their
`llm_*` series carry its name as the `workflow` label. Names come from code, never from data: a name
built from user input would create one Prometheus series per value.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from opentelemetry import context, trace
from opentelemetry.semconv_ai import names
from opentelemetry.semconv_ai.context import enter_workflow, exit_workflow
from opentelemetry.semconv_ai.errors import class_name, record_error, scrub_logs
from opentelemetry.semconv_ai.labels import normalize_label
from opentelemetry.trace import SpanKind

from .version import __version__

logger = logging.getLogger("openllmetry")
scrub_logs("openllmetry")

F = TypeVar("F", bound=Callable[..., Any])

SCOPE = "openllmetry"


class _Kind(NamedTuple):
    operation: str | None  # gen_ai.operation.name; None for a plain span
    name_key: str | None  # the attribute that carries the decorated name
    sets_workflow: bool


WORKFLOW = _Kind(names.INVOKE_WORKFLOW, names.WORKFLOW_NAME, True)
AGENT = _Kind(names.INVOKE_AGENT, names.AGENT_NAME, False)
TOOL = _Kind(names.EXECUTE_TOOL, names.TOOL_NAME, False)
TASK = _Kind(None, None, False)

_cached: list[tuple[Any, trace.Tracer]] = []


def _tracer() -> trace.Tracer:
    # Looked up per call and cached per provider: the global provider may be set after decoration.
    provider = trace.get_tracer_provider()
    if _cached and _cached[0][0] is provider:
        return _cached[0][1]
    tracer = trace.get_tracer(SCOPE, __version__, provider, schema_url=names.SCHEMA_URL)
    _cached[:] = [(provider, tracer)]
    return tracer


class _Call:
    """One decorated call: its span, and entering and leaving the span's context (and workflow)."""

    __slots__ = ("ctx", "kind", "name", "span")

    def __init__(self, kind: _Kind, name: str) -> None:
        attributes: dict[str, Any] = {}
        span_name = name
        if kind.operation is not None and kind.name_key is not None:
            attributes = {names.OPERATION_NAME: kind.operation, kind.name_key: name}
            span_name = f"{kind.operation} {name}"
        if kind is TOOL:
            attributes["gen_ai.tool.type"] = "function"
        self.kind = kind
        self.name = name
        self.span = _tracer().start_span(span_name, kind=SpanKind.INTERNAL, attributes=attributes)
        self.ctx = trace.set_span_in_context(self.span)

    def enter(self) -> tuple[object, object]:
        workflow = enter_workflow(self.name) if self.kind.sets_workflow else None
        return context.attach(self.ctx), workflow

    def leave(self, tokens: tuple[object, object]) -> None:
        context_token, workflow_token = tokens
        context.detach(context_token)  # type: ignore[arg-type]
        if workflow_token is not None:
            exit_workflow(workflow_token)  # type: ignore[arg-type]

    def fail(self, exc: BaseException) -> None:
        try:
            self.span.set_attribute(names.ERROR_TYPE, class_name(exc))
            record_error(self.span, exc)
        except Exception:
            logger.debug("recording an error on the %s span failed", self.name, exc_info=True)

    def end(self) -> None:
        try:
            self.span.end()
        except BaseException as exc:  # an exporter's SystemExit too: only the caller's interrupt escapes
            if isinstance(exc, KeyboardInterrupt):
                raise
            logger.debug("ending the %s span failed", self.name, exc_info=True)


def _start(kind: _Kind, name: str) -> _Call | None:
    try:
        return _Call(kind, name)
    except Exception:
        logger.debug("starting the %s span failed; running without it", name, exc_info=True)
        return None


def _wrap_function(fn: Callable[..., Any], kind: _Kind, name: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        call = _start(kind, name)
        if call is None:
            return fn(*args, **kwargs)
        tokens = call.enter()
        try:
            return fn(*args, **kwargs)
        except BaseException as exc:
            call.fail(exc)
            raise
        finally:
            call.leave(tokens)
            call.end()

    return wrapper


def _wrap_coroutine(fn: Callable[..., Any], kind: _Kind, name: str) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        call = _start(kind, name)
        if call is None:
            return await fn(*args, **kwargs)
        tokens = call.enter()
        try:
            return await fn(*args, **kwargs)
        except BaseException as exc:
            call.fail(exc)
            raise
        finally:
            call.leave(tokens)
            call.end()

    return wrapper


# Generators: the span's context is entered around each step of the inner generator only, so nothing
# leaks into the caller while the generator is suspended, and the span ends when the generator does.


def _wrap_generator(fn: Callable[..., Any], kind: _Kind, name: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        call = _start(kind, name)
        if call is None:
            return (yield from fn(*args, **kwargs))
        try:
            tokens = call.enter()
            try:
                inner = fn(*args, **kwargs)
            finally:
                call.leave(tokens)
            sent: Any = None
            thrown: BaseException | None = None
            while True:
                tokens = call.enter()
                try:
                    item = inner.send(sent) if thrown is None else inner.throw(thrown)
                except StopIteration as stop:
                    return stop.value
                finally:
                    call.leave(tokens)
                sent, thrown = None, None
                try:
                    sent = yield item
                except GeneratorExit:
                    tokens = call.enter()
                    try:
                        inner.close()
                    finally:
                        call.leave(tokens)
                    raise
                except BaseException as exc:
                    thrown = exc
        except GeneratorExit:
            raise
        except BaseException as exc:
            call.fail(exc)
            raise
        finally:
            call.end()

    return wrapper


def _wrap_async_generator(fn: Callable[..., Any], kind: _Kind, name: str) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        call = _start(kind, name)
        if call is None:
            async for item in fn(*args, **kwargs):
                yield item
            return
        try:
            tokens = call.enter()
            try:
                inner = fn(*args, **kwargs)
            finally:
                call.leave(tokens)
            sent: Any = None
            thrown: BaseException | None = None
            while True:
                tokens = call.enter()
                try:
                    item = await (inner.asend(sent) if thrown is None else inner.athrow(thrown))
                except StopAsyncIteration:
                    return
                finally:
                    call.leave(tokens)
                sent, thrown = None, None
                try:
                    sent = yield item
                except GeneratorExit:
                    tokens = call.enter()
                    try:
                        await inner.aclose()
                    finally:
                        call.leave(tokens)
                    raise
                except BaseException as exc:
                    thrown = exc
        except GeneratorExit:
            raise
        except BaseException as exc:
            call.fail(exc)
            raise
        finally:
            call.end()

    return wrapper


def _wrap(fn: Callable[..., Any], kind: _Kind, name: str | None) -> Callable[..., Any]:
    if not callable(fn):
        raise TypeError(f"expected a function to decorate, got {fn!r}")
    name = normalize_label(name or getattr(fn, "__name__", None), "unnamed")  # a span name and a label
    if inspect.isasyncgenfunction(fn):
        wrapper = _wrap_async_generator(fn, kind, name)
    elif inspect.isgeneratorfunction(fn):
        wrapper = _wrap_generator(fn, kind, name)
    elif inspect.iscoroutinefunction(fn):
        wrapper = _wrap_coroutine(fn, kind, name)
    else:
        wrapper = _wrap_function(fn, kind, name)
    return functools.wraps(fn)(wrapper)


def _decorator(kind: _Kind, public_name: str, doc: str) -> Callable[..., Any]:
    def decorator(name: str | Callable[..., Any] | None = None) -> Any:
        if callable(name):  # used bare: @workflow
            return _wrap(name, kind, None)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string, got {name!r}")

        def decorate(fn: F) -> F:
            return _wrap(fn, kind, name)  # type: ignore[return-value]

        return decorate

    decorator.__name__ = decorator.__qualname__ = public_name
    decorator.__doc__ = doc
    return decorator


workflow = _decorator(
    WORKFLOW,
    "workflow",
    "`invoke_workflow {name}` span; `name` is the `workflow` label of LLM metrics inside.",
)
agent = _decorator(AGENT, "agent", "`invoke_agent {name}` span with `gen_ai.agent.name`.")
tool = _decorator(TOOL, "tool", "`execute_tool {name}` span with `gen_ai.tool.name`.")
task = _decorator(TASK, "task", "A plain INTERNAL span named `name` (default: the function's name).")
