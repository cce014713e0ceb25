from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from opentelemetry.instrumentation.ollama import OllamaInstrumentor
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture


@pytest.fixture
def capture() -> Iterator[Capture]:
    cap = Capture()
    instrumentor = OllamaInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:  # left on by another package's tests: start afresh
        instrumentor.uninstrument()
    instrumentor.instrument(tracer_provider=cap.tracer_provider, meter_provider=cap.meter_provider)
    yield cap
    instrumentor.uninstrument()
    cap.shutdown()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    config.reset()
    yield
    config.reset()
