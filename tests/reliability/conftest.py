"""Cross-package reliability tests: both instrumentors, the real SDK clients, the mock provider."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from reliability_support import Toggle

from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture


@pytest.fixture
def toggle() -> Iterator[Toggle]:
    made = Toggle()
    yield made
    made.off()
    made.capture.shutdown()
    config.reset()


@pytest.fixture
def instrumented(toggle: Toggle) -> Iterator[Capture]:
    toggle.on()
    yield toggle.capture
