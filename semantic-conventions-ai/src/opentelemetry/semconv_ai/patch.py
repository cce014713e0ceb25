"""Patching SDK methods: one generic wrapper runs every surface through the operation lifecycle.

A provider package describes each surface with a `Surface` (what to read off the request and the
response) and names the methods to patch, now (`patch`) or when their module is imported
(`patch_lazily`). `Patcher.restore()` puts the exact original objects back.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from . import imports
from .frames import invisible_to_warnings
from .operation import Operation
from .request import Request
from .telemetry import Telemetry

logger = logging.getLogger("opentelemetry.semconv_ai")


class Surface:
    """How one SDK method maps onto the core. Subclass and override `request` and `response`."""

    operation: str = "chat"

    def request(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Request | None:
        """Read the request; None skips instrumentation for this call."""
        raise NotImplementedError

    def response(self, op: Operation, result: Any) -> Any:
        """Read the result onto `op`; return it unchanged, or `op.stream(result, handler)`."""
        return result

    def error(self, op: Operation, exc: BaseException) -> None:
        """Read what a failed call's exception tells (a request id, say) onto `op`, before it fails."""

    # `op.request` is the Request that `request()` returned, in `response()` and `error()` too.


def sync_wrapper(original: Callable[..., Any], telemetry: Telemetry, surface: Surface) -> Callable[..., Any]:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        op = telemetry.begin(surface, self, args, kwargs)
        if op is None:
            return original(self, *args, **kwargs)
        try:
            result = original(self, *args, **kwargs)
        except BaseException as exc:
            telemetry.fail(op, surface, exc)
            raise
        return telemetry.respond(op, surface, result)

    return invisible_to_warnings(wrapper)


def async_wrapper(original: Callable[..., Any], telemetry: Telemetry, surface: Surface) -> Callable[..., Any]:
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        op = telemetry.begin(surface, self, args, kwargs)
        if op is None:
            return await original(self, *args, **kwargs)
        try:
            result = await original(self, *args, **kwargs)
        except BaseException as exc:
            telemetry.fail(op, surface, exc)
            raise
        return telemetry.respond(op, surface, result)

    return invisible_to_warnings(wrapper)


Make = Callable[[Callable[..., Any], Telemetry, Surface], Callable[..., Any]]


def wrap(
    original: Callable[..., Any],
    telemetry: Telemetry,
    surface: Surface,
    *,
    is_async: bool = False,
    make: Make | None = None,
) -> Callable[..., Any]:
    """The instrumented version of `original` (marked for `is_patched`), installed nowhere.

    `Patcher.patch` installs one on a class. Call it yourself for functions an SDK builds at run time,
    which no patch can reach (botocore builds one class per client): a `Patcher` records nothing for
    those, and once it is restored (`telemetry.enabled` false) they pass straight through.
    """
    factory = make or (async_wrapper if is_async else sync_wrapper)
    wrapper = functools.update_wrapper(factory(original, telemetry, surface), original)
    wrapper.__opentelemetry_genai__ = True  # type: ignore[attr-defined]
    return wrapper


def _unbound(
    factory: Callable[[Callable[..., Any], Telemetry, Surface], Callable[..., Any]], is_async: bool
) -> Callable[[Callable[..., Any], Telemetry, Surface], Callable[..., Any]]:
    """A method wrapper factory made one for module-level functions: the surface sees instance None."""

    def make(original: Callable[..., Any], telemetry: Telemetry, surface: Surface) -> Callable[..., Any]:
        method = factory(lambda _none, *args, **kwargs: original(*args, **kwargs), telemetry, surface)
        if is_async:

            async def call_async(*args: Any, **kwargs: Any) -> Any:
                return await method(None, *args, **kwargs)

            return call_async

        def call(*args: Any, **kwargs: Any) -> Any:
            return method(None, *args, **kwargs)

        return call

    return make


def _name(owner: Any) -> str:
    return getattr(owner, "__qualname__", None) or getattr(owner, "__name__", "?")


class Patcher:
    """Installs wrappers on SDK classes (or modules) and restores the originals exactly."""

    def __init__(self, telemetry: Telemetry) -> None:
        self.telemetry = telemetry
        self._patched: list[tuple[type | ModuleType, str, Any, Any]] = []
        self._hooks: list[imports.Hook] = []
        self._restores = 0  # a hook registered before the latest restore() must not patch
        self._lock = threading.RLock()

    def patch(
        self,
        owner: type | ModuleType,
        name: str,
        surface: Surface,
        *,
        is_async: bool = False,
        make: Callable[[Callable[..., Any], Telemetry, Surface], Callable[..., Any]] | None = None,
    ) -> bool:
        """Wrap `owner.name`, a method of a class or a function of a module (its surface sees instance
        None). Returns False (and logs at debug) when the SDK has no such method."""
        original = owner.__dict__.get(name)
        if original is None or not callable(original):
            logger.debug("%s.%s not found; not instrumented", _name(owner), name)
            return False
        if is_patched(original):  # one class under two module paths (an SDK's alias): wrapped once
            logger.debug("%s.%s is instrumented already", _name(owner), name)
            return False
        # An async generator method (`async def` with `yield`) returns its stream without being awaited.
        is_async = is_async and not inspect.isasyncgenfunction(original)
        if isinstance(owner, ModuleType):
            make = _unbound(make or (async_wrapper if is_async else sync_wrapper), is_async)
        wrapper = wrap(original, self.telemetry, surface, is_async=is_async, make=make)
        with self._lock:
            setattr(owner, name, wrapper)
            self._patched.append((owner, name, original, wrapper))
        return True

    def when_imported(self, module: str, apply: Callable[[ModuleType], Any]) -> None:
        """Run `apply(module)`, which calls `patch()`, once `module` is imported (now if it already is).

        SDKs load many resource modules lazily: patching them on import keeps `instrument()` from
        importing them all. `restore()` undoes what `apply` patched and cancels it if it has not run.
        """
        generation = self._restores

        def run(loaded: ModuleType) -> None:
            with self._lock:
                if generation != self._restores:
                    return
                try:
                    apply(loaded)
                except Exception:
                    logger.debug("patching %s on import failed", module, exc_info=True)

        hook = imports.when_imported(module, run)
        with self._lock:
            self._hooks.append(hook)

    def patch_lazily(
        self,
        module: str,
        owner: str,
        name: str,
        surface: Surface,
        *,
        is_async: bool = False,
        make: Callable[[Callable[..., Any], Telemetry, Surface], Callable[..., Any]] | None = None,
    ) -> None:
        """`patch()` the class `owner` of `module` once that module is imported (now if it already is)."""

        def apply(loaded: ModuleType) -> None:
            cls = getattr(loaded, owner, None)
            if isinstance(cls, type):
                self.patch(cls, name, surface, is_async=is_async, make=make)
            else:
                logger.debug("%s.%s not found; not instrumented", module, owner)

        self.when_imported(module, apply)

    def apply(self, row: Any) -> None:
        """Apply one `instrumentor.Patch` row: the owner and its async twin, when the module is imported."""
        make = row.make
        if row.deferred and make is None:
            from .deferred import deferred_wrapper

            make = deferred_wrapper
        self.patch_lazily(row.module, row.owner, row.method, row.surface, make=make)
        twin = "Async" + row.owner if row.async_owner == "Async" else row.async_owner
        if twin:
            self.patch_lazily(row.module, twin, row.method, row.surface, is_async=True, make=make)

    def restore(self) -> None:
        # SDK objects may still hold a wrapper (openai binds `with_raw_response` methods once): disarm it.
        self.telemetry.enabled = False
        with self._lock:
            self._restores += 1
            hooks, self._hooks = self._hooks, []
            for hook in hooks:
                hook.cancel()
            while self._patched:
                owner, name, original, wrapper = self._patched.pop()
                if owner.__dict__.get(name) is wrapper:
                    setattr(owner, name, original)
                else:
                    logger.debug("%s.%s was re-patched by someone else; leaving it", _name(owner), name)


def is_patched(function: Any) -> bool:
    return bool(getattr(function, "__opentelemetry_genai__", False))
