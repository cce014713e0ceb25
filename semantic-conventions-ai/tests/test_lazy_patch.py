"""Patching a module when it is imported: after `patch_lazily`, before it, and never after `restore()`."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from core_fakes import FakeSurface

from opentelemetry.semconv_ai import Patcher, Telemetry, imports, is_patched
from opentelemetry.semconv_ai.testing import Capture

SOURCE = '''
"""A lazily loaded SDK resource."""

class Resource:
    def create(self, model="m-1"):
        return {"model": model, "id": "r-1", "usage": (10, 4), "reason": "stop"}

    async def acreate(self, model="m-1"):
        return {"model": model, "id": "r-1", "usage": (10, 4), "reason": "stop"}
'''


@pytest.fixture
def sdk(tmp_path: Path) -> Iterator[str]:
    """A package `lazysdk_<n>` with a submodule `resources` that nothing has imported yet."""
    name = f"lazysdk_{tmp_path.name.replace('-', '_')}"
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "resources.py").write_text(textwrap.dedent(SOURCE))
    sys.path.insert(0, str(tmp_path))
    yield f"{name}.resources"
    sys.path.remove(str(tmp_path))
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


@pytest.fixture
def patcher(capture: Capture) -> Iterator[Patcher]:
    patcher = Patcher(Telemetry("test.scope", capture.tracer_provider, capture.meter_provider))
    yield patcher
    patcher.restore()


def test_a_module_imported_later_is_patched_on_import(sdk: str, patcher: Patcher, capture: Capture) -> None:
    patcher.patch_lazily(sdk, "Resource", "create", FakeSurface())
    patcher.patch_lazily(sdk, "Resource", "acreate", FakeSurface(), is_async=True)
    assert sdk not in sys.modules

    module = importlib.import_module(sdk)

    assert is_patched(module.Resource.__dict__["create"]) and is_patched(module.Resource.__dict__["acreate"])
    assert module.__loader__ is module.__spec__.loader  # the module's own loader, not the hook's
    assert type(module.__loader__).__name__ == "SourceFileLoader"
    assert module.Resource().create(model="m-7")["model"] == "m-7"
    assert [span.name for span in capture.spans()] == ["chat m-7"]
    assert capture.value("llm.requests", model="m-7") == 1
    assert sdk not in imports._waiting


def test_an_imported_module_is_patched_at_once(sdk: str, patcher: Patcher) -> None:
    module = importlib.import_module(sdk)
    original = module.Resource.__dict__["create"]

    patcher.patch_lazily(sdk, "Resource", "create", FakeSurface())
    assert is_patched(module.Resource.__dict__["create"])

    patcher.restore()
    assert module.Resource.__dict__["create"] is original


def test_a_class_under_two_module_paths_is_wrapped_once(sdk: str, patcher: Patcher, capture: Capture) -> None:
    module = importlib.import_module(sdk)
    original = module.Resource.__dict__["create"]
    assert patcher.patch(module.Resource, "create", FakeSurface())
    wrapper = module.Resource.__dict__["create"]
    assert not patcher.patch(module.Resource, "create", FakeSurface())  # an alias's row, say
    assert module.Resource.__dict__["create"] is wrapper
    module.Resource().create()
    assert capture.value("llm.requests", model="m-1") == 1
    patcher.restore()
    assert module.Resource.__dict__["create"] is original


def test_restore_before_the_import_leaves_the_module_untouched(sdk: str, patcher: Patcher) -> None:
    patcher.patch_lazily(sdk, "Resource", "create", FakeSurface())
    patcher.patch_lazily(sdk, "Missing", "create", FakeSurface())
    patcher.restore()
    assert sdk not in imports._waiting

    module = importlib.import_module(sdk)

    assert not is_patched(module.Resource.__dict__["create"])


def test_restore_undoes_what_a_hook_patched(sdk: str, patcher: Patcher) -> None:
    patcher.patch_lazily(sdk, "Resource", "create", FakeSurface())
    module = importlib.import_module(sdk)
    patched = module.Resource.__dict__["create"]

    patcher.restore()

    assert module.Resource.__dict__["create"] is patched.__wrapped__
    assert not is_patched(module.Resource.__dict__["create"])


def test_a_hook_that_fires_after_restore_does_nothing(sdk: str, patcher: Patcher) -> None:
    ran: list[str] = []
    patcher.when_imported(sdk, lambda module: ran.append(module.__name__))
    # The import machinery took the hook just before restore() ran: it fires, and must stand aside.
    [hook] = imports._waiting[sdk]
    patcher.restore()
    hook.run(importlib.import_module(sdk))

    assert ran == []


def test_a_failing_hook_never_breaks_the_import(sdk: str, patcher: Patcher) -> None:
    patcher.when_imported(sdk, lambda module: 1 / 0)
    patcher.patch_lazily(sdk, "Resource", "create", FakeSurface())

    module = importlib.import_module(sdk)

    assert is_patched(module.Resource.__dict__["create"])
