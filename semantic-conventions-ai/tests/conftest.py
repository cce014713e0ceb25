from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from opentelemetry.semconv_ai import Patcher, Telemetry, config
from opentelemetry.semconv_ai.testing import Capture

sys.path.insert(0, str(Path(__file__).parent))

from core_fakes import FakeClient, FakeSurface


@pytest.fixture
def capture() -> Iterator[Capture]:
    cap = Capture()
    yield cap
    cap.shutdown()


@pytest.fixture
def instrumented(capture: Capture) -> Iterator[Capture]:
    patcher = Patcher(Telemetry("test.scope", capture.tracer_provider, capture.meter_provider))
    patcher.patch(FakeClient, "create", FakeSurface())
    patcher.patch(FakeClient, "acreate", FakeSurface(), is_async=True)
    yield capture
    patcher.restore()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    config.reset()
    yield
    config.reset()
