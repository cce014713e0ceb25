"""Switching a setup's patches off and on again, so bare and instrumented rounds can alternate.

Every contender patches the SDKs by replacing attributes of their classes and modules (wrapt or
plain setattr). A snapshot of those attributes before the setup and one after tell exactly what it
replaced; putting the old objects back is the bare SDK, putting the new ones back is the
instrumented one. Alternating rounds in one process cancels drift (other load, heap growth).
"""

from __future__ import annotations

import sys
from typing import Any

PACKAGES = (
    "openai",
    "anthropic",
    "google",
    "groq",
    "together",
    "mistralai",
    "cohere",
    "ollama",
    "litellm",
    "httpx",
    "httpx2",
    "botocore",
)
_DESCRIPTORS = (staticmethod, classmethod, property)
_MISSING = object()

Snapshot = dict[tuple[int, str], tuple[Any, str, Any]]


def _owners() -> list[Any]:
    owners: list[Any] = []
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in PACKAGES:
            continue
        owners.append(module)
        for value in list(vars(module).values()):
            if isinstance(value, type) and value.__module__ == name:
                owners.append(value)
    return owners


def snapshot() -> Snapshot:
    state: Snapshot = {}
    for owner in _owners():
        for key, value in list(vars(owner).items()):
            state[(id(owner), key)] = (owner, key, value)
    return state


def _patchable(value: Any) -> bool:
    return callable(value) or isinstance(value, _DESCRIPTORS)


class Toggle:
    """The attributes a setup replaced, with their values before and after it."""

    def __init__(self, before: Snapshot) -> None:
        known = {key[0] for key in before}  # modules and classes that existed before the setup
        self.changes: list[tuple[Any, str, Any, Any]] = []
        for key, (owner, name, value) in snapshot().items():
            if key[0] not in known:
                continue  # imported by the setup itself: the workload never used it
            old = before[key][2] if key in before else _MISSING
            if old is _MISSING and not isinstance(owner, type):
                continue  # a module's new name is an import, not a patch
            if old is not value and _patchable(value) and (old is _MISSING or _patchable(old)):
                self.changes.append((owner, name, old, value))

    def off(self) -> None:
        for owner, name, old, _ in self.changes:
            if old is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, old)

    def on(self) -> None:
        for owner, name, _, new in self.changes:
            setattr(owner, name, new)
