"""The module-level `ollama.chat` & co., the entry point, lazy patching and the exact restore."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points

import ollama
import pytest
from ollama_helpers import MODEL, USER, llm, tokens

from llm_mock import MockProvider
from opentelemetry.instrumentation.ollama import MODULE_FUNCTIONS, OllamaInstrumentor
from opentelemetry.semconv_ai import is_patched
from opentelemetry.semconv_ai.testing import Capture

CLASSES = (ollama.Client, ollama.AsyncClient)


@pytest.fixture
def default_client_on_the_mock(mock_provider: MockProvider) -> Iterator[None]:
    """Points the default client behind `ollama.chat` at the mock (httpx's public `base_url` setter)."""
    http = ollama._client._client
    before = http.base_url
    http.base_url = mock_provider.url
    yield
    http.base_url = before


@pytest.mark.usefixtures("default_client_on_the_mock")
def test_module_functions_bound_before_instrumenting_count_once(capture: Capture) -> None:
    ollama.chat(MODEL, USER)
    list(ollama.generate(MODEL, "hello there world", stream=True))
    ollama.embed("nomic-embed-text", "hello there")
    ollama.embeddings("nomic-embed-text", "hello there")

    embeddings = "embeddings nomic-embed-text"
    assert [s.name for s in capture.spans()] == [
        f"chat {MODEL}",
        f"text_completion {MODEL}",
        embeddings,
        embeddings,
    ]
    assert capture.value("llm.requests", llm()) == 1
    assert capture.value("llm.requests", llm("text_completion")) == 1
    assert tokens(capture, "input") == 3 and tokens(capture, "output", "text_completion") == 5
    assert ollama.chat.__self__ is ollama._client


def test_the_entry_point_names_the_instrumentor() -> None:
    (point,) = [p for p in entry_points(group="opentelemetry_instrumentor") if p.name == "ollama"]
    assert point.load() is OllamaInstrumentor


def test_uninstrument_restores_the_sdk_exactly(mock_provider: MockProvider) -> None:
    methods = ("chat", "generate", "embed", "embeddings")
    originals = {(cls, name): cls.__dict__[name] for cls in CLASSES for name in methods}
    module_functions = {name: getattr(ollama, name) for name in MODULE_FUNCTIONS}
    capture = Capture()
    instrumentor = OllamaInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    instrumentor.instrument(tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider)
    assert all(is_patched(cls.__dict__[name]) for cls, name in originals)
    assert all(is_patched(getattr(ollama, name).__func__) for name in MODULE_FUNCTIONS)
    instrumentor.uninstrument()

    assert {key: key[0].__dict__[key[1]] for key in originals} == originals
    for name, function in module_functions.items():
        restored = getattr(ollama, name)
        assert restored == function and restored.__func__ is function.__func__, name
    ollama.Client(host=mock_provider.url).chat(MODEL, USER)
    assert capture.spans() == []


def test_a_module_function_the_app_replaced_is_left_alone() -> None:
    instrumentor = OllamaInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    instrumentor.instrument()
    original, mine = ollama.chat, lambda *args, **kwargs: None
    ollama.chat = mine
    try:
        instrumentor.uninstrument()
        assert ollama.chat is mine
    finally:
        ollama.chat = original.__self__.chat


def test_instrumenting_before_import_patches_the_module_functions_once(mock_provider: MockProvider) -> None:
    script = """
import json, sys
from opentelemetry.instrumentation.ollama import OllamaInstrumentor
from opentelemetry.semconv_ai.testing import Capture
cap = Capture()
OllamaInstrumentor().instrument(tracer_provider=cap.tracer_provider, meter_provider=cap.meter_provider)
assert "ollama" not in sys.modules, "instrument() imported ollama"
import ollama
ollama.chat("llama3.2", [{"role": "user", "content": "hello there world"}])
OllamaInstrumentor().uninstrument()
ollama.chat("llama3.2", [{"role": "user", "content": "hello there world"}])
print(json.dumps([s.name for s in cap.spans()]))
"""
    env = {**os.environ, "OLLAMA_HOST": mock_provider.url}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, check=True, timeout=60, capture_output=True
    )
    assert json.loads(done.stdout) == [f"chat {MODEL}"]
