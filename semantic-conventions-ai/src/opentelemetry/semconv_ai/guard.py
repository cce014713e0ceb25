"""The fail-safe rule: instrumentation code never raises into the caller."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

logger = logging.getLogger("opentelemetry.semconv_ai")

F = TypeVar("F", bound=Callable[..., Any])


def guarded(default: Any = None) -> Callable[[F], F]:
    """Decorate a hook so that any exception is logged at debug level and `default` returned."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:
                logger.debug("instrumentation hook %s failed", fn.__qualname__, exc_info=True)
                return default

        return wrapper  # type: ignore[return-value]

    return decorate
