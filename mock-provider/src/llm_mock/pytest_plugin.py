"""pytest fixtures, registered through the ``pytest11`` entry point.

``mock_provider`` is one server for the whole session; ``mock_server`` is a fresh one per test, for tests
that enqueue responses, count requests or rely on the prompt cache being empty.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import MockProvider


@pytest.fixture(scope="session")
def mock_provider() -> Iterator[MockProvider]:
    with MockProvider() as provider:
        yield provider


@pytest.fixture
def mock_server() -> Iterator[MockProvider]:
    with MockProvider() as provider:
        yield provider
