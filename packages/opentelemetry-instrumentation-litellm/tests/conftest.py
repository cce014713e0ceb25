"""Fixtures for the LiteLLM tests: real LiteLLM calls over loopback to the mock provider, offline.

LiteLLM downloads its model cost map at import, and other catalogs later, unless told to use the
copies it ships: set before any test module imports it.
"""

from __future__ import annotations

import os

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_OFFLINE_MODE"] = "true"

from collections.abc import Iterator

import pytest

from opentelemetry.instrumentation.litellm import LiteLLMInstrumentor
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture


@pytest.fixture
def capture() -> Iterator[Capture]:
    made = Capture()
    instrumentor = LiteLLMInstrumentor()
    instrumentor.instrument(tracer_provider=made.tracer_provider, meter_provider=made.meter_provider)
    try:
        yield made
    finally:
        instrumentor.uninstrument()
        made.shutdown()
        config.reset()
