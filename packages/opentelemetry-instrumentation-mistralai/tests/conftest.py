from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mistral_support import Mistral

from llm_mock import MockProvider
from opentelemetry.instrumentation.mistralai import MistralAIInstrumentor
from opentelemetry.semconv_ai.testing import Capture, instrumented


@pytest.fixture
def capture() -> Iterator[Capture]:
    yield from instrumented(MistralAIInstrumentor)


@pytest.fixture
def client(mock_provider: MockProvider, capture: Capture) -> Iterator[Any]:
    """A fresh client per test: its async httpx client belongs to one event loop (tests close it there)."""
    made = Mistral(api_key="test-key", server_url=mock_provider.base_url("mistral"))
    yield made
    made.sdk_configuration.client.close()
