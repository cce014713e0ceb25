"""Finding installed instrumentors through the `opentelemetry_instrumentor` entry points.

The convention that makes an instrumentor a GenAI one: its distribution depends on the shared core,
`opentelemetry-semantic-conventions-ai` (a plain dependency, not one behind an extra). Any third-party
package built on the core is picked up with no change here; everything else (requests, urllib3, ...)
is left alone unless named in `instruments`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from importlib.metadata import Distribution, EntryPoint, entry_points
from typing import Any

logger = logging.getLogger("openllmetry")

GROUP = "opentelemetry_instrumentor"
CORE_DISTRIBUTION = "opentelemetry-semantic-conventions-ai"
DISABLED_ENV = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"

_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def is_genai(dist: Distribution | None) -> bool:
    """Whether a distribution follows the convention: it requires the core outside any extra."""
    if dist is None:
        return False
    for requirement in dist.requires or ():
        match = _REQUIREMENT_NAME.match(requirement)
        if match is None or _canonical(match.group(1)) != CORE_DISTRIBUTION:
            continue
        _, _, marker = requirement.partition(";")
        if "extra" not in marker:
            return True
    return False


def _names(value: Iterable[str] | str | None) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        value = value.split(",")
    return {name.strip() for name in value if name and name.strip()}


def disabled() -> set[str]:
    """Entry-point names disabled by `OTEL_PYTHON_DISABLED_INSTRUMENTATIONS` (`*` disables all)."""
    return _names(os.environ.get(DISABLED_ENV))


def select(
    instruments: Iterable[str] | str | None = None, block_instruments: Iterable[str] | str | None = None
) -> list[EntryPoint]:
    """The entry points to instrument: the GenAI ones, or exactly `instruments`, minus the blocked ones."""
    wanted = None if instruments is None else _names(instruments)
    blocked = _names(block_instruments) | disabled()
    if "*" in blocked:
        return []
    chosen: list[EntryPoint] = []
    seen: set[tuple[str, str]] = set()
    for entry_point in entry_points(group=GROUP):
        key = (entry_point.name, entry_point.value)
        if key in seen or entry_point.name in blocked:
            continue
        if wanted is None and not is_genai(entry_point.dist):
            continue
        if wanted is not None and entry_point.name not in wanted:
            continue
        seen.add(key)
        chosen.append(entry_point)
    if wanted:
        unknown = wanted - blocked - {entry_point.name for entry_point in chosen}
        if unknown:
            logger.warning(
                "openllmetry: no installed instrumentor is named %s; install its package or fix the name",
                ", ".join(sorted(unknown)),
            )
    return chosen


def _conflict(entry_point: EntryPoint) -> object | None:
    """Why the instrumented library is missing or of the wrong version, from metadata alone."""
    dist = entry_point.dist
    if dist is None:
        return None
    try:
        # The same answer as opentelemetry-instrumentation's, without importing `packaging` for it.
        from opentelemetry.semconv_ai.dependencies import dist_conflict
    except ImportError:
        return None
    try:
        return dist_conflict(dist)
    except Exception:
        logger.debug("checking the dependencies of %s failed", entry_point.name, exc_info=True)
        return None


def instrument(selected: Iterable[EntryPoint], *, explicit: bool = False, **kwargs: Any) -> list[Any]:
    """Instrument each entry point; returns the instrumentors this call switched on.

    An instrumentor whose library is not installed is skipped quietly (loudly when `explicit`); one
    that fails to import or to instrument is skipped with one warning.
    """
    done: list[Any] = []
    for entry_point in selected:
        conflict = _conflict(entry_point)
        if conflict is not None:
            logger.log(
                logging.WARNING if explicit else logging.DEBUG,
                "openllmetry: not instrumenting %s: %s",
                entry_point.name,
                conflict,
            )
            continue
        try:
            instrumentor = entry_point.load()()
        except Exception as exc:
            logger.warning(
                "openllmetry: skipping instrumentor %r: importing %s failed: %r",
                entry_point.name,
                entry_point.value,
                exc,
            )
            continue
        try:
            if getattr(instrumentor, "is_instrumented_by_opentelemetry", False):
                logger.debug("%s is already instrumented", entry_point.name)
                continue
            instrumentor.instrument(skip_dep_check=True, **kwargs)
        except Exception as exc:
            logger.warning(
                "openllmetry: skipping instrumentor %r: instrument() failed: %r", entry_point.name, exc
            )
            continue
        logger.debug("instrumented %s", entry_point.name)
        done.append(instrumentor)
    return done
