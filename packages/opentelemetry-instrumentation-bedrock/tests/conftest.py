from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from bedrock_helpers import client as make_client

from llm_mock import MockProvider
from opentelemetry.instrumentation.bedrock import BedrockInstrumentor
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture, instrumented


@pytest.fixture
def capture() -> Iterator[Capture]:
    yield from instrumented(BedrockInstrumentor)


@pytest.fixture(autouse=True)
def _settings_reset() -> Iterator[None]:
    config.reset()
    yield
    config.reset()


@pytest.fixture
def client(mock_provider: MockProvider, capture: Capture) -> Any:
    return make_client(mock_provider)
