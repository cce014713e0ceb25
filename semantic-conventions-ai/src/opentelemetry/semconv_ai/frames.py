"""Wrapper frames that `warnings.warn(stacklevel=N)` does not count.

An SDK that warns with `stacklevel=N` counts frames up from its own code to name the caller's line.
Our wrapper is one frame more, so the warning would name the wrapper (and Python's default filter,
which shows a DeprecationWarning only when it names `__main__`, would hide it). `warnings` skips
frames whose file name contains both "importlib" and "_bootstrap" (the import machinery's), so a
wrapper's code object gets a file name that says so: the SDK's warning then names exactly the
frame it names without instrumentation. Tracebacks show that file name for the wrapper's frame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

MARK = " [an instrumentation wrapper; warnings skip it like importlib._bootstrap]"


def invisible_to_warnings(function: F) -> F:
    """Make `function`'s own frame one that `warnings.warn` skips when it counts `stacklevel`."""
    code = getattr(function, "__code__", None)
    if code is None or MARK in code.co_filename:
        return function
    try:
        function.__code__ = code.replace(co_filename=code.co_filename + MARK)
    except (AttributeError, TypeError, ValueError):
        pass
    return function
