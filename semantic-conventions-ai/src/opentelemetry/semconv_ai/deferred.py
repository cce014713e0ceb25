"""Deferred streams: SDK methods that return a manager which sends the request on `__enter__`.

`deferred_wrapper` (what `Patch(..., deferred=True)` uses) returns the SDK's manager behind a thin
proxy. The operation starts when the manager is entered, not when it is built; `surface.response(op,
entered)` sees what the manager's enter returned (observe it in place, or return a proxy); the
manager's exit ends the operation if its stream has not ended it already.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .frames import invisible_to_warnings
from .operation import Operation
from .telemetry import Telemetry

logger = logging.getLogger("opentelemetry.semconv_ai")


class _Manager:
    __slots__ = ("_args", "_instance", "_kwargs", "_manager", "_op", "_surface", "_telemetry")

    def __init__(
        self, manager: Any, telemetry: Telemetry, surface: Any, instance: Any, args: Any, kwargs: Any
    ) -> None:
        self._manager = manager
        self._telemetry = telemetry
        self._surface = surface
        self._instance = instance
        self._args = args
        self._kwargs = kwargs
        self._op: Operation | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    def __repr__(self) -> str:
        return repr(self._manager)

    def _begin(self) -> Operation | None:
        return self._telemetry.begin(self._surface, self._instance, self._args, self._kwargs)

    def _entered(self, op: Operation, entered: Any) -> Any:
        op.detach()
        self._op = op
        try:
            out = self._surface.response(op, entered)
        except Exception:
            logger.debug("observing a deferred stream failed; it ends on exit, without usage", exc_info=True)
            out = entered
        if not op.streaming:
            op.observer(None)  # the manager's exit ends it
        return out

    def _exit(self, exc: BaseException | None) -> None:
        op = self._op
        if op is not None:
            self._op = None
            op.close(exc)


class DeferredStream(_Manager):
    __slots__ = ()

    @invisible_to_warnings
    def __enter__(self) -> Any:
        op = self._begin()
        if op is None:
            return self._manager.__enter__()
        try:
            entered = self._manager.__enter__()
        except BaseException as exc:
            self._telemetry.fail(op, self._surface, exc)
            raise
        return self._entered(op, entered)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return self._manager.__exit__(exc_type, exc, tb)
        finally:
            self._exit(exc)


class AsyncDeferredStream(_Manager):
    __slots__ = ()

    @invisible_to_warnings
    async def __aenter__(self) -> Any:
        op = self._begin()
        if op is None:
            return await self._manager.__aenter__()
        try:
            entered = await self._manager.__aenter__()
        except BaseException as exc:
            self._telemetry.fail(op, self._surface, exc)
            raise
        return self._entered(op, entered)

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return await self._manager.__aexit__(exc_type, exc, tb)
        finally:
            self._exit(exc)


def deferred_wrapper(original: Callable[..., Any], telemetry: Telemetry, surface: Any) -> Callable[..., Any]:
    """A `make=` factory for `Patcher.patch`: the method's manager, started on enter."""

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        manager = original(self, *args, **kwargs)
        if not telemetry.enabled:  # uninstrumented: a bound method someone kept still passes through
            return manager
        try:
            kind = AsyncDeferredStream if hasattr(manager, "__aenter__") else DeferredStream
            return kind(manager, telemetry, surface, self, args, kwargs)
        except Exception:
            logger.debug("wrapping a deferred stream failed", exc_info=True)
            return manager

    return invisible_to_warnings(wrapper)
