"""Fixtures for the sample-app tests: the Prometheus binaries, required in CI and optional elsewhere."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Helper modules sit next to this file; make them importable whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).parent))

from sample_app.prometheus_server import INSTALL_HINT, find_binary


def _require(name: str, path: str | None) -> str:
    if path:
        return path
    message = f"`{name}` not found: {INSTALL_HINT}"
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(f"{message} (CI is set, so this test must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def prometheus_binary() -> str:
    return _require("prometheus", find_binary())


@pytest.fixture(scope="session")
def promtool_binary() -> str:
    return _require("promtool", find_binary("promtool", "PROMTOOL_BIN"))
