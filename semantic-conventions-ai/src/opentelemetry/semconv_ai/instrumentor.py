"""`GenAIInstrumentor`: the base class of GenAI instrumentors, a light stand-in for `BaseInstrumentor`.

Importing `opentelemetry-instrumentation`'s `BaseInstrumentor` costs about 60 ms (`packaging`, and the
HTTP/database semantic-convention opt-in, which GenAI instrumentors never read), all of it on the
application's start-up path. This class offers the same API, which is all that `opentelemetry-instrument`
and `openllmetry.init()` use: one instance per class, `instrument(**kwargs)` / `uninstrument(**kwargs)`
that warn instead of acting twice, `is_instrumented_by_opentelemetry`, `instrumentation_dependencies()`,
and a dependency check unless `skip_dep_check=True` (`raise_exception_on_conflict=True` raises
`DependencyConflictError`). Once `BaseInstrumentor` is imported, this class is registered as a virtual
subclass of it, so `isinstance(instrumentor, BaseInstrumentor)` holds as before.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Collection, Sequence
from types import ModuleType
from typing import Any, NamedTuple

from . import dependencies, imports
from .errors import scrub_logs

# BaseInstrumentor's logger: applications that tune it keep seeing these messages.
_LOG = logging.getLogger("opentelemetry.instrumentation.instrumentor")


_SAME = "Async"  # `Patch.async_owner` default: "Async" + owner


class Patch(NamedTuple):
    """One row of an instrumentor's table: patch `module.owner.method` when `module` is imported.

    `async_owner`: the async twin's class (default `"Async" + owner`; None: none), patched as a
    coroutine method when it exists. `deferred`: the method returns a context manager that sends the
    request on enter (`.stream()` managers). `make`: a wrapper factory of your own (see `Patcher.patch`).
    """

    module: str
    owner: str
    method: str
    surface: Any
    async_owner: str | None = _SAME
    deferred: bool = False
    make: Any = None


def _scope(cls: type) -> str:
    parts = cls.__module__.split(".")
    if parts[:2] == ["opentelemetry", "instrumentation"] and len(parts) > 2:
        return ".".join(parts[:3])
    return cls.__module__


class GenAIInstrumentor:
    """Subclass it and give `instruments` and `patches()` (see the core README's provider contract).

    Instrumentors that patch by hand implement `instrumentation_dependencies`, `_instrument` and
    `_uninstrument` themselves, as with `BaseInstrumentor`.
    """

    _instance: GenAIInstrumentor | None = None
    _is_instrumented_by_opentelemetry = False
    instruments: Collection[str] = ()
    """The instrumented libraries, as requirements: `("openai >= 1.0, < 4",)`."""
    scope: str | None = None
    """The instrumentation scope; default: the top module (`opentelemetry.instrumentation.acme`)."""
    version: str | None = None
    """The instrumentation scope's version (your package's)."""
    telemetry: Any = None
    patcher: Any = None

    def __new__(cls, *args: Any, **kwargs: Any) -> GenAIInstrumentor:
        instance = cls.__dict__.get("_instance")  # per class: a subclass never gets its parent's instance
        if instance is None:
            instance = cls._instance = object.__new__(cls)
        return instance

    @property
    def is_instrumented_by_opentelemetry(self) -> bool:
        return self._is_instrumented_by_opentelemetry

    def instrumentation_dependencies(self) -> Collection[str]:
        """The instrumented libraries, as requirements: `("openai >= 1.0, < 4",)`."""
        return self.instruments

    def patches(self, **kwargs: Any) -> Sequence[Patch]:
        """The table of methods to patch; `kwargs` are what `instrument()` was given."""
        return ()

    def _instrument(self, **kwargs: Any) -> Any:
        """Build `telemetry` and `patcher`, and apply `patches()`; override and call super() for more."""
        from .patch import Patcher
        from .telemetry import Telemetry
        from .version import __version__

        telemetry = self.telemetry = Telemetry(
            self.scope or _scope(type(self)),
            kwargs.get("tracer_provider"),
            kwargs.get("meter_provider"),
            self.version or __version__,
        )
        patcher = self.patcher = Patcher(telemetry)
        for row in self.patches(**kwargs):
            patcher.apply(row)

    def _uninstrument(self, **kwargs: Any) -> Any:
        """Restore every patched method exactly; override and call super() for more."""
        patcher, self.patcher = self.patcher, None
        if patcher is not None:
            patcher.restore()

    def _check_dependency_conflicts(self) -> Any:
        return dependencies.conflict(self.instrumentation_dependencies())

    def instrument(self, **kwargs: Any) -> Any:
        """Instrument the library; called with no arguments by `opentelemetry-instrument`."""
        if self._is_instrumented_by_opentelemetry:
            _LOG.warning("Attempting to instrument while already instrumented")
            return None
        skip_dep_check = kwargs.pop("skip_dep_check", False)
        raise_exception_on_conflict = kwargs.pop("raise_exception_on_conflict", False)
        if not skip_dep_check:
            conflict = self._check_dependency_conflicts()
            if conflict:
                error = _conflict_error() if raise_exception_on_conflict else None
                if error is not None:
                    raise error(conflict)
                # Older opentelemetry-instrumentation releases have neither the error nor the message.
                describe = getattr(conflict, "_format_message", None)
                _LOG.error(describe(type(self).__name__) if callable(describe) else str(conflict))
                return None
        result = self._instrument(**kwargs)
        self._is_instrumented_by_opentelemetry = True
        # The instrumentor's own loggers drop exception messages too (they may quote request text).
        module = sys.modules.get(type(self).__module__)
        scrub_logs(getattr(module, "__package__", None) or type(self).__module__)
        return result

    def uninstrument(self, **kwargs: Any) -> Any:
        """Uninstrument the library, restoring it exactly."""
        if self._is_instrumented_by_opentelemetry:
            result = self._uninstrument(**kwargs)
            self._is_instrumented_by_opentelemetry = False
            return result
        _LOG.warning("Attempting to uninstrument while already uninstrumented")
        return None


def _register(module: ModuleType) -> None:
    module.BaseInstrumentor.register(GenAIInstrumentor)


imports.when_imported("opentelemetry.instrumentation.instrumentor", _register)


def _conflict_error() -> Any:
    try:
        from opentelemetry.instrumentation.dependencies import DependencyConflictError
    except ImportError:
        return None
    return DependencyConflictError
