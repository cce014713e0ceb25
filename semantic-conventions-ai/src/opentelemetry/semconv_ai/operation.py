"""One object per LLM operation: span start, response and usage, then end or fail, exactly once."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from enum import Enum
from functools import partial
from time import perf_counter
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind

from . import hooks, names
from .config import settings
from .content import to_json
from .context import current_workflow
from .errors import error_type as classify_error
from .errors import record_error
from .hooks import JSON_CONTENT, add_end_hook, remove_end_hook
from .labels import finite_count, normalize_label, normalize_model
from .metrics import Metrics, valid_cost
from .pricing import PENDING, Usage, get_pricer
from .request import Request, clean_attributes
from .stream import (
    AsyncInsideStreamProxy,
    AsyncStreamProxy,
    ChunkHandler,
    InsideStreamProxy,
    Observer,
    StreamProxy,
)

__all__ = ["JSON_CONTENT", "Operation", "add_end_hook", "current_operation", "remove_end_hook"]

logger = logging.getLogger("opentelemetry.semconv_ai")

_end_lock = threading.Lock()
MAX_HOST_LENGTH = 255


def _reset_after_fork() -> None:
    global _end_lock
    _end_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)

# The operation whose SDK call is running, in the context it attached (see `current_operation`).
_OPERATION_KEY = context.create_key("openllmetry-operation")


def current_operation() -> Operation | None:
    """The operation whose SDK call is running in this context; None outside one and once it returned.

    An SDK with tracing of its own asks this to make no second span for the same call.
    """
    value = context.get_value(_OPERATION_KEY)
    return value if isinstance(value, Operation) else None


class Operation:
    """One LLM operation: created by `Telemetry.start` / `begin`, ended exactly once."""

    __slots__ = (
        "_context",
        "_ended",
        "_metrics",
        "_observer",
        "_span_attributes",
        "_t0",
        "_token",
        "answered",
        "cache_creation_tokens",
        "cache_read_tokens",
        "chunks",
        "collect_output",
        "error_type",
        "finish_reasons",
        "input_tokens",
        "labels",
        "model",
        "operation",
        "output_messages",
        "output_tokens",
        "output_type",
        "provider",
        "reasoning_tokens",
        "request",
        "response_id",
        "response_model",
        "server_address",
        "server_port",
        "span",
        "streaming",
        "t_first",
        "t_last",
        "workflow",
    )

    def __init__(self, telemetry: Any, operation: str, request: Request) -> None:
        self._t0 = perf_counter()
        self._ended = False
        self._metrics = telemetry.metrics
        self._span_attributes: dict[str, Any] | None = None
        self._observer: Observer | None = None
        self.request = request
        self.operation = operation = request.operation or operation
        self.provider = request.provider
        self.model = model = normalize_model(request.model)
        self.workflow = normalize_label(current_workflow())
        self.server_address = normalize_label(request.server_address, "", MAX_HOST_LENGTH)
        self.server_port = request.server_port if request.server_port is not None else ""
        self.output_type = request.output_type
        self.labels = self._metrics.llm_labels(self.provider, operation, model, self.workflow)
        self.response_model: str | None = None
        self.response_id: str | None = None
        self.finish_reasons: tuple[str, ...] | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.cache_read_tokens: int | None = None
        self.cache_creation_tokens: int | None = None
        self.reasoning_tokens: int | None = None
        self.error_type: str | None = None
        self.output_messages: list[Any] | None = None
        self.collect_output = (
            settings.capture_content
            or hooks.content_hooks[0] > 0
            or (hooks.content_hooks[1] > 0 and request.output_type == names.OUTPUT_JSON)
        )
        # Whether the answer had any output (non-blank text, a tool call, ...); None: not known, and
        # then the end works it out from the output messages or the output tokens.
        self.answered: bool | None = None
        self.streaming = False
        self.t_first: float | None = None
        self.t_last: float | None = None
        self.chunks = 0

        attributes: dict[str, Any] = {
            names.OPERATION_NAME: operation,
            names.PROVIDER_NAME: self.provider,
            names.REQUEST_MODEL: model,
        }
        if self.server_address:
            attributes[names.SERVER_ADDRESS] = self.server_address
            if request.server_port is not None:
                attributes[names.SERVER_PORT] = request.server_port
        if request.output_type:
            attributes[names.OUTPUT_TYPE] = request.output_type
        if request.attributes:
            attributes.update(request.attributes)
        if settings.capture_content and settings.content_on_spans:
            attributes.update(_input_content(request))
        name = f"{operation} {model}" if request.model else operation
        self.span = telemetry.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        self._context = context.set_value(_OPERATION_KEY, self, trace.set_span_in_context(self.span))
        self._token: object | None = context.attach(self._context)

    @property
    def metrics(self) -> Metrics:
        """The metrics this operation records into (end hooks record quality scores here)."""
        return self._metrics

    # -- the adapter reports -------------------------------------------------------------

    def detach(self) -> None:
        """Leave the span's context; called once the SDK method has returned."""
        token = self._token
        if token is not None:
            self._token = None
            try:
                context.detach(token)  # type: ignore[arg-type]
            except Exception:
                logger.debug("context detach failed", exc_info=True)

    def set_response(
        self, *, model: Any = None, response_id: Any = None, finish_reasons: Sequence[Any] | None = None
    ) -> None:
        if isinstance(model, str) and model:
            self.response_model = normalize_model(model)
        if isinstance(response_id, str) and response_id:
            self.response_id = response_id
        if finish_reasons:
            self.finish_reasons = tuple(
                str(r.value if isinstance(r, Enum) else r)[:64] for r in finish_reasons if r is not None
            )

    def set_usage(
        self,
        *,
        input_tokens: Any = None,
        output_tokens: Any = None,
        cache_read: Any = None,
        cache_creation: Any = None,
        reasoning: Any = None,
    ) -> None:
        """Token counts; `input_tokens` is all input, cached included. None leaves a count unchanged."""
        if input_tokens is not None:
            self.input_tokens = self._count(input_tokens)
        if output_tokens is not None:
            self.output_tokens = self._count(output_tokens)
        if cache_read is not None:
            self.cache_read_tokens = self._count(cache_read)
        if cache_creation is not None:
            self.cache_creation_tokens = self._count(cache_creation)
        if reasoning is not None:
            self.reasoning_tokens = self._count(reasoning)

    def _count(self, value: Any) -> int | None:
        count = finite_count(value)
        if count is None and isinstance(value, (int, float)) and not isinstance(value, bool):
            self._metrics.record_rejected(self.labels, "tokens")  # a number no call can produce
        return count

    def set_output(self, messages: list[Any]) -> None:
        self.output_messages = messages

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        """Span-only attributes (never metric labels); None and values OpenTelemetry rejects are dropped.

        Held until the operation ends and written with the end's own attributes: each SDK
        `set_attributes` call takes the span's lock and validates every value.
        """
        attributes = clean_attributes(attributes)
        if not attributes:
            return
        if self._ended:
            self.span.set_attributes(attributes)
            return
        pending = self._span_attributes
        if pending is None:
            self._span_attributes = dict(attributes)
        else:
            pending.update(attributes)

    def stream(
        self,
        result: Any,
        handler: ChunkHandler | None = None,
        *,
        is_async: bool | None = None,
        inside: bool = False,
    ) -> Any:
        """Hand the operation to a stream proxy around `result`; it ends when the stream does.

        `is_async` picks the proxy for objects that iterate both ways (LiteLLM's); by default one with
        `__aiter__` gets the async proxy. `inside=True` reads every chunk inside the operation, for
        streams that call an instrumented SDK lazily (LiteLLM's): that SDK stands aside.
        """
        if is_async is None:
            is_async = hasattr(result, "__aiter__")
        observer = self.observer(handler)
        if inside:
            observer.context = self._context
            proxy = AsyncInsideStreamProxy if is_async else InsideStreamProxy
        else:
            proxy = AsyncStreamProxy if is_async else StreamProxy
        return proxy(result, observer)

    def observer(self, handler: ChunkHandler | None = None) -> Observer:
        """For SDK stream objects that iterate internally: see `stream.observe`."""
        self.streaming = True
        observer = self._observer = Observer(self, handler)
        return observer

    def close(self, exc: BaseException | None = None) -> None:
        """End the operation from outside (a stream manager's exit): through its stream's observer
        when it has one, so the chunk handler's `on_end` still runs; failed when `exc` is an error."""
        observer = self._observer
        if observer is not None:
            observer.end(exc)
        elif exc is None:
            self.end()
        else:
            self.fail(exc)

    # -- the end --------------------------------------------------------------------------

    def _claim_end(self) -> bool:
        with _end_lock:
            if self._ended:
                return False
            self._ended = True
            return True

    def end(self) -> None:
        if not self._claim_end():
            return
        try:
            self._finish(None)
        except BaseException as exc:  # an exporter's SystemExit too: only the caller's interrupt escapes
            if isinstance(exc, KeyboardInterrupt):
                raise
            logger.debug("ending the operation failed", exc_info=True)

    def fail(self, exc: BaseException, error_type: str | None = None) -> None:
        if not self._claim_end():
            return
        try:
            self._finish(exc, error_type)
        except BaseException as error:
            if isinstance(error, KeyboardInterrupt):
                raise
            logger.debug("failing the operation failed", exc_info=True)

    def _finish(self, exc: BaseException | None, error_type: str | None = None) -> None:
        duration = perf_counter() - self._t0
        self.detach()
        span = self.span
        attributes: dict[str, Any] = {}
        if self.response_model:
            attributes[names.RESPONSE_MODEL] = self.response_model
        if self.response_id:
            attributes[names.RESPONSE_ID] = self.response_id
        if self.finish_reasons:
            attributes[names.RESPONSE_FINISH_REASONS] = self.finish_reasons
        for key, value in (
            (names.USAGE_INPUT_TOKENS, self.input_tokens),
            (names.USAGE_OUTPUT_TOKENS, self.output_tokens),
            (names.USAGE_CACHE_READ_INPUT_TOKENS, self.cache_read_tokens),
            (names.USAGE_CACHE_CREATION_INPUT_TOKENS, self.cache_creation_tokens),
            (names.USAGE_REASONING_OUTPUT_TOKENS, self.reasoning_tokens),
        ):
            if value is not None:
                attributes[key] = value
        if self.answered is None:
            self.answered = self._infer_answered()
        if settings.capture_content:
            self._content(attributes)
        ttfc = tpc = None
        if self.t_first is not None:
            ttfc = self.t_first - self._t0
            if self.chunks > 1 and self.t_last is not None:
                tpc = (self.t_last - self.t_first) / (self.chunks - 1)
        if exc is not None:
            self.error_type = error_type or classify_error(exc)
            attributes[names.ERROR_TYPE] = self.error_type
            record_error(span, exc)
        has_usage = self.input_tokens is not None or self.output_tokens is not None
        cost = None
        if has_usage:
            cost = self._price()
            if isinstance(cost, float):
                attributes[names.USAGE_COST_USD] = cost
        pending = self._span_attributes
        if pending:
            pending.update(attributes)  # the end's own values win, as when they were set last
            attributes = pending
        span.set_attributes(attributes)
        span.end()
        self._metrics.record_operation(
            self.labels,
            duration=duration,
            error_type=self.error_type,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cache_read=self.cache_read_tokens,
            cache_creation=self.cache_creation_tokens,
            reasoning=self.reasoning_tokens,
            response_model=self.response_model or "",
            server_address=self.server_address,
            server_port=self.server_port,
            time_to_first_chunk=ttfc,
            time_per_chunk=tpc,
        )
        if has_usage and cost is not PENDING:
            self._metrics.record_cost(self.labels, cost if isinstance(cost, float) else None)
        for hook in hooks.end_hooks:
            try:
                hook(self)
            except Exception:
                logger.debug("end hook failed", exc_info=True)

    def _content(self, attributes: dict[str, Any]) -> None:
        """Output content on the span; with `event_only` / `span_and_event`, all content on an event."""
        output = {names.OUTPUT_MESSAGES: to_json(self.output_messages)} if self.output_messages else {}
        if settings.content_on_spans:
            attributes.update(output)
        if settings.content_on_events:
            event = {**_input_content(self.request), **output}
            if event:
                self.span.add_event(names.INFERENCE_DETAILS_EVENT, event)

    def _infer_answered(self) -> bool | None:
        messages = self.output_messages
        if messages is not None:
            return any(
                _has_content(part) for m in messages if isinstance(m, dict) for part in m.get("parts") or ()
            )
        if self.output_tokens is not None:
            return self.output_tokens > 0
        return None

    def _price(self) -> object:
        usage = Usage(
            self.input_tokens or 0,
            self.output_tokens or 0,
            self.cache_read_tokens or 0,
            self.cache_creation_tokens or 0,
            self.reasoning_tokens or 0,
        )
        model = self.response_model or self.model
        try:
            cost = get_pricer().cost(
                self.provider, model, usage, partial(self._metrics.record_cost, self.labels)
            )
        except Exception:
            logger.debug("pricing failed", exc_info=True)
            return None
        if cost is PENDING or cost is None:
            return cost
        try:
            value = float(cost)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        if valid_cost(value):
            return value
        self._metrics.record_rejected(self.labels, "cost")
        return None


def _has_content(part: Any) -> bool:
    if not isinstance(part, dict):
        return False
    if part.get("type") == "text":
        content = part.get("content")
        return isinstance(content, str) and bool(content.strip())
    return part.get("type") != "reasoning"


def _input_content(request: Request) -> dict[str, str]:
    out = {}
    for key, value in (
        (names.INPUT_MESSAGES, request.input_messages),
        (names.SYSTEM_INSTRUCTIONS, request.system_instructions),
        (names.TOOL_DEFINITIONS, request.tool_definitions),
    ):
        if value:
            out[key] = to_json(value)
    return out
