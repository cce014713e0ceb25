from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from opentelemetry.instrumentation.ollama import OllamaInstrumentor
from opentelemetry.semconv_ai.testing import Capture, instrumented


@pytest.fixture
def capture() -> Iterator[Capture]:
    yield from instrumented(OllamaInstrumentor)
