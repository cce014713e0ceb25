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

import abc
import logging
from collections.abc import Collection
from types import ModuleType
from typing import Any

from . import dependencies, imports

# BaseInstrumentor's logger: applications that tune it keep seeing these messages.
_LOG = logging.getLogger("opentelemetry.instrumentation.instrumentor")


class GenAIInstrumentor(abc.ABC):
    """Subclass it, implement `instrumentation_dependencies`, `_instrument` and `_uninstrument`."""

    _instance: GenAIInstrumentor | None = None
    _is_instrumented_by_opentelemetry = False

    def __new__(cls, *args: Any, **kwargs: Any) -> GenAIInstrumentor:
        instance = cls.__dict__.get("_instance")  # per class: a subclass never gets its parent's instance
        if instance is None:
            instance = cls._instance = object.__new__(cls)
        return instance

    @property
    def is_instrumented_by_opentelemetry(self) -> bool:
        return self._is_instrumented_by_opentelemetry

    @abc.abstractmethod
    def instrumentation_dependencies(self) -> Collection[str]:
        """The instrumented libraries, as requirements: `("openai >= 1.0, < 4",)`."""

    def _instrument(self, **kwargs: Any) -> Any:  # noqa: B027 (optional, as in BaseInstrumentor)
        """Instrument the library."""

    @abc.abstractmethod
    def _uninstrument(self, **kwargs: Any) -> Any:
        """Uninstrument the library."""

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
