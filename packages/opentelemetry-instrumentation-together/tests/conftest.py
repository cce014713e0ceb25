from __future__ import annotations

from collections.abc import Iterator

import pytest

from opentelemetry.instrumentation.together import TogetherInstrumentor
from opentelemetry.semconv_ai.testing import Capture, instrumented


@pytest.fixture
def capture() -> Iterator[Capture]:
    yield from instrumented(TogetherInstrumentor)
