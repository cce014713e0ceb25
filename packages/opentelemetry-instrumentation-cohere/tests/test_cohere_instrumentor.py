"""Loading and unloading: entry point, lazy patching, exact restore, instrumentation suppressed."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import cohere
import cohere.v2.client as v2
from cohere_helpers import MODEL, USER, call

from llm_mock import MockProvider
from opentelemetry import context
from opentelemetry.instrumentation.cohere import CohereInstrumentor
from opentelemetry.semconv_ai import is_patched
from opentelemetry.semconv_ai.testing import Capture

METHODS = ("chat", "chat_stream", "embed", "rerank")


def test_the_entry_point_names_the_instrumentor() -> None:
    (point,) = [p for p in entry_points(group="opentelemetry_instrumentor") if p.name == "cohere"]
    assert point.load() is CohereInstrumentor
    assert CohereInstrumentor().instrumentation_dependencies() == ("cohere >= 5.10, < 8",)


def test_uninstrument_restores_the_sdk_exactly(mock_provider: MockProvider) -> None:
    originals = {
        (cls, name): cls.__dict__[name] for cls in (v2.V2Client, v2.AsyncV2Client) for name in METHODS
    }
    capture = Capture()
    instrumentor = CohereInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    instrumentor.instrument(tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider)
    assert all(is_patched(cls.__dict__[name]) for cls, name in originals)
    instrumentor.uninstrument()

    assert {key: key[0].__dict__[key[1]] for key in originals} == originals
    call("sync", mock_provider, "chat", model=MODEL, messages=USER)
    assert capture.spans() == []


def test_suppressed_instrumentation_records_nothing(mock_provider: MockProvider, capture: Capture) -> None:
    token = context.attach(context.set_value(context._SUPPRESS_INSTRUMENTATION_KEY, True))
    try:
        call("sync", mock_provider, "chat", model=MODEL, messages=USER)
    finally:
        context.detach(token)
    assert capture.spans() == []


def test_instrument_imports_nothing_and_patches_cohere_when_it_is_imported() -> None:
    script = (
        "import sys\n"
        "from opentelemetry.instrumentation.cohere import CohereInstrumentor\n"
        "CohereInstrumentor().instrument()\n"
        "assert 'cohere' not in sys.modules, 'instrument() imported cohere'\n"
        "import cohere\n"
        "from opentelemetry.semconv_ai import is_patched\n"
        "assert is_patched(cohere.ClientV2.chat) and is_patched(cohere.AsyncClientV2.rerank)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert cohere.ClientV2.chat is v2.V2Client.chat
