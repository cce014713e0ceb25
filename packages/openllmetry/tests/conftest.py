"""Fixtures for the umbrella SDK's tests (helpers live in sdk_support)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from opentelemetry import trace
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture


@pytest.fixture
def global_capture() -> Iterator[Capture]:
    """A Capture whose TracerProvider is the global one for the duration of the test.

    The decorators use the global provider; swapping OpenTelemetry's global and putting it back keeps
    these tests in-process without leaking into other tests.
    """
    capture = Capture()
    saved = trace._TRACER_PROVIDER
    trace._TRACER_PROVIDER = capture.tracer_provider
    config.reset()
    try:
        yield capture
    finally:
        trace._TRACER_PROVIDER = saved
        config.reset()
        capture.shutdown()
