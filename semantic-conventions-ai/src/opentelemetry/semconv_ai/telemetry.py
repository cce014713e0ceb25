"""`Telemetry`: one instrumentor's tracer and metrics, and the lifecycle every patched call goes through.

`begin` / `respond` / `fail` are the one path from an SDK call to an operation: the patch wrappers
use them, and so can a provider for a call shape no `Patch` expresses.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, get_value

from . import names
from .metrics import Metrics, metrics_for
from .operation import Operation, current_operation
from .request import Request
from .version import __version__

logger = logging.getLogger("opentelemetry.semconv_ai")


class Telemetry:
    """A tracer for one instrumentor, and the shared metrics of its MeterProvider."""

    def __init__(
        self,
        scope: str,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: Any = None,
        version: str = __version__,
    ) -> None:
        self.tracer = trace.get_tracer(scope, version, tracer_provider, schema_url=names.SCHEMA_URL)
        self.metrics: Metrics = metrics_for(meter_provider)
        # False once its Patcher restored the SDK: wrappers an SDK captured (bound methods) then pass through.
        self.enabled = True

    def start(self, operation: str, request: Request) -> Operation:
        """An operation, unconditionally (`begin` is the checked way in)."""
        return Operation(self, operation, request)

    def begin(
        self, surface: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Operation | None:
        """Start the operation of one SDK call, or None when it is not instrumented: this telemetry is
        disabled, another operation is running in this context, instrumentation is suppressed, or
        `surface.request()` returned None (or raised)."""
        if not self.enabled or current_operation() is not None or get_value(_SUPPRESS_INSTRUMENTATION_KEY):
            return None
        try:
            request = surface.request(instance, args, kwargs)
            if request is None:
                return None
            return Operation(self, surface.operation, request)
        except Exception:
            logger.debug("starting a GenAI operation failed", exc_info=True)
            return None

    def respond(self, op: Operation, surface: Any, result: Any) -> Any:
        """Leave the operation's context, read `result` through `surface.response()` and return what it
        returns (the result, or a stream proxy); the operation ends here unless it streams."""
        op.detach()
        try:
            out = surface.response(op, result)
        except Exception:
            logger.debug("reading a GenAI response failed", exc_info=True)
            out = result
        if not op.streaming:
            op.end()
        return out

    def fail(self, op: Operation, surface: Any, exc: BaseException) -> None:
        """`surface.error(op, exc)`, then fail the operation; the caller re-raises `exc` itself."""
        try:
            surface.error(op, exc)
        except Exception:
            logger.debug("reading a GenAI error failed", exc_info=True)
        op.fail(exc)
