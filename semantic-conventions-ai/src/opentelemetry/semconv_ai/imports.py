"""Post-import hooks: run a function on a module once it is imported, or now if it already is.

Instrumentors patch SDK modules that the SDK itself loads lazily (openai loads most resources on first
use); importing them all up front would slow `instrument()` down for nothing. One finder, first on
`sys.meta_path` while any hook waits, wraps the loader of a watched module, puts the original loader
back before the module runs (so the module looks untouched), and runs the hooks once it has run.

Hooks run inside the import, under its module lock: they must be quick and import nothing that may
in turn wait on that import.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

logger = logging.getLogger("opentelemetry.semconv_ai")

_lock = threading.RLock()
_waiting: dict[str, list[Hook]] = {}


class Hook:
    """A registration; `cancel()` keeps it from running if the module is not imported yet."""

    def __init__(self, module: str, function: Callable[[ModuleType], Any]) -> None:
        self.module = module
        self.function = function

    def run(self, module: ModuleType) -> None:
        try:
            self.function(module)
        except Exception:
            logger.debug("a post-import hook on %s failed", self.module, exc_info=True)

    def cancel(self) -> None:
        with _lock:
            hooks = _waiting.get(self.module)
            if hooks is not None and self in hooks:
                hooks.remove(self)
                if not hooks:
                    del _waiting[self.module]
            if not _waiting:
                _uninstall()


def when_imported(module: str, function: Callable[[ModuleType], Any]) -> Hook:
    """Call `function(module)` once `module` is imported: now if it is in `sys.modules` already."""
    hook = Hook(module, function)
    with _lock:
        loaded = sys.modules.get(module)
        if loaded is None:
            _waiting.setdefault(module, []).append(hook)
            _install()
            return hook
    hook.run(loaded)
    return hook


def _fire(module: ModuleType) -> None:
    with _lock:
        hooks = _waiting.pop(module.__name__, [])
        if not _waiting:
            _uninstall()
    for hook in hooks:
        hook.run(module)


class _Loader:
    """Stands in for a watched module's loader until the module has run, then runs its hooks."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def __getattr__(self, name: str) -> Any:  # get_source, get_resource_reader, ...: the real loader's
        return getattr(self.loader, name)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self.loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        _fire(module)


class _Finder:
    """Asks the finders after it for a watched module's spec and wraps the loader it names."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname not in _waiting:
            return None
        try:
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is None:
                    continue
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader)
                return spec
        except Exception:
            logger.debug("watching the import of %s failed", fullname, exc_info=True)
        return None


_finder = _Finder()


def _install() -> None:
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def _uninstall() -> None:
    try:
        sys.meta_path.remove(_finder)
    except ValueError:
        pass
