"""Fixtures for the openai instrumentation tests (helpers live in openai_support)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The helpers module sits next to this file; make it importable whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).parent))
from openai_support import instrument, make_client

from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture


@pytest.fixture
def capture() -> Iterator[Capture]:
    yield from instrument()


@pytest.fixture
def content_on() -> Iterator[None]:
    config.configure(capture_content=True)
    yield
    config.reset()


@pytest.fixture(params=["sync", "async"])
def client(request: pytest.FixtureRequest, mock_provider: Any) -> Iterator[Any]:
    made = make_client(mock_provider.openai_base_url, request.param == "async")
    yield made
    if request.param == "sync":
        made.close()
