from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from opentelemetry.instrumentation.cohere import CohereInstrumentor
from opentelemetry.semconv_ai.testing import Capture, instrumented


@pytest.fixture
def capture() -> Iterator[Capture]:
    yield from instrumented(CohereInstrumentor)


@pytest.fixture
def priced() -> Iterator[None]:
    """genai-prices loaded before the first call, so that every call is priced as it ends."""
    from opentelemetry.semconv_ai import prices, pricing

    pricer = prices.GenAIPrices()
    pricer.start_loading()
    assert pricer.wait_ready(30)
    pricing.set_pricer(pricer)
    yield
    pricing.set_pricer(None)
