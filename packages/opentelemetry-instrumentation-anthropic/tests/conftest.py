from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from anthropic_helpers import client_options

from llm_mock import MockProvider
from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture


@pytest.fixture
def capture() -> Iterator[Capture]:
    cap = Capture()
    instrumentor = AnthropicInstrumentor()
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


@pytest.fixture
def client(mock_provider: MockProvider, capture: Capture) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(**client_options(mock_provider, capture)) as sync_client:
        yield sync_client


@pytest.fixture
def async_options(mock_provider: MockProvider, capture: Capture) -> dict[str, Any]:
    """Async clients are made inside each test's own event loop."""
    return client_options(mock_provider, capture)
