"""Whether the library an instrumentor instruments is installed in a version it supports.

`opentelemetry-instrumentation` answers with `packaging`, whose import alone costs tens of milliseconds
at start-up. Requirements as instrumentors write them (`openai >= 1.0, < 4`, metadata's
`openai<4,>=1.0; extra == 'instruments'`) are checked here by comparing release numbers; anything else
(pre-release or local versions, wildcards, other markers, `instruments-any`) is handed to
`opentelemetry-instrumentation`. A conflict is always its `DependencyConflict`, so messages match.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from importlib.metadata import Distribution, PackageNotFoundError, version
from typing import Any

_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*?)\s*")
_CLAUSE = re.compile(r"\s*(~=|==|!=|<=|>=|<|>)\s*(\d+(?:\.\d+)*)\s*")
_RELEASE = re.compile(r"\d+(?:\.\d+)*")
_INSTRUMENTS_MARKER = re.compile(r"""\s*extra\s*==\s*(["'])instruments\1\s*""")


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _pad(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    size = max(len(a), len(b))
    return a + (0,) * (size - len(a)), b + (0,) * (size - len(b))


def _satisfies(installed: tuple[int, ...], operator: str, wanted: tuple[int, ...]) -> bool:
    """PEP 440 comparison of two final releases (no pre, post, dev or local parts)."""
    if operator == "~=":
        prefix = wanted[:-1]
        return _satisfies(installed, ">=", wanted) and _pad(installed, wanted)[0][: len(prefix)] == prefix
    a, b = _pad(installed, wanted)
    return {
        "==": a == b,
        "!=": a != b,
        "<=": a <= b,
        ">=": a >= b,
        "<": a < b,
        ">": a > b,
    }[operator]


def _check(requirement: str) -> tuple[str, str | None, bool] | None:
    """(name, installed version, satisfied) of a plain requirement; None when it is not a plain one."""
    match = _REQUIREMENT.fullmatch(requirement)
    if match is None:
        return None
    name, rest = match.groups()
    clauses = [_CLAUSE.fullmatch(part) for part in rest.split(",")] if rest else []
    if any(clause is None for clause in clauses):
        return None
    if any(clause[1] == "~=" and "." not in clause[2] for clause in clauses if clause is not None):
        return None
    try:
        installed = version(name)
    except PackageNotFoundError:
        return name, None, False
    if _RELEASE.fullmatch(installed) is None:
        return None
    found = _release(installed)
    ok = all(_satisfies(found, clause[1], _release(clause[2])) for clause in clauses if clause is not None)
    return name, installed, ok


def conflict(requirements: Collection[str]) -> Any:
    """None when every requirement is met, else the `DependencyConflict` BaseInstrumentor would report."""
    for requirement in requirements:
        checked = _check(requirement)
        if checked is None:
            from opentelemetry.instrumentation.dependencies import get_dependency_conflicts

            return get_dependency_conflicts(requirements)
        name, installed, ok = checked
        if not ok:
            from opentelemetry.instrumentation.dependencies import DependencyConflict

            return DependencyConflict(requirement, f"{name} {installed}" if installed else None)
    return None


def dist_conflict(dist: Distribution) -> Any:
    """`conflict()` for a distribution's `instruments` extra, as `opentelemetry-instrument` checks it."""
    instruments = []
    for requirement in dist.requires or ():
        if "extra" not in requirement or "instruments" not in requirement:
            continue
        spec, _, marker = requirement.partition(";")
        if _INSTRUMENTS_MARKER.fullmatch(marker) is None:
            from opentelemetry.instrumentation.dependencies import get_dist_dependency_conflicts

            return get_dist_dependency_conflicts(dist)
        instruments.append(spec.strip())
    return conflict(instruments)
