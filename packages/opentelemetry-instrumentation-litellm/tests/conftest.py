"""Fixtures for the LiteLLM tests: real LiteLLM calls over loopback to the mock provider, offline.

LiteLLM downloads its model cost map at import, and other catalogs later, unless told to use the
copies it ships: set before any test module imports it.
"""

from __future__ import annotations

import os

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_OFFLINE_MODE"] = "true"

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # litellm_support, whatever pytest's import mode

from opentelemetry.instrumentation.litellm import LiteLLMInstrumentor
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture


@pytest.fixture(autouse=True)
def _fresh_litellm_clients() -> Iterator[None]:
    """Older LiteLLM keeps async clients across event loops; each test runs its own loop."""
    yield
    import litellm

    flush = getattr(getattr(litellm, "in_memory_llm_clients_cache", None), "flush_cache", None)
    if callable(flush):
        flush()


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
