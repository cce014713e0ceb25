"""The instrumentor: its entry point, what it patches, and an exact restore."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

import anthropic
from anthropic_helpers import MODEL, USER, client_options

from llm_mock import MockProvider
from opentelemetry.instrumentation.anthropic import (
    COMPLETION_RESOURCES,
    MESSAGE_RESOURCES,
    AnthropicInstrumentor,
)
from opentelemetry.semconv_ai import is_patched
from opentelemetry.semconv_ai.testing import Capture


def sdk_attributes() -> dict[tuple[Any, str], Any]:
    """Every attribute the instrumentor may replace, by (owner, name)."""
    found: dict[tuple[Any, str], Any] = {}
    for module_name, *names in MESSAGE_RESOURCES + COMPLETION_RESOURCES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for cls in (getattr(module, name) for name in names):
            for method in ("create", "stream", "parse", "count_tokens"):
                if method in cls.__dict__:
                    found[(cls, method)] = cls.__dict__[method]
    base_client = importlib.import_module("anthropic._base_client")
    found[(base_client, "start_api_call_span")] = getattr(base_client, "start_api_call_span", None)
    return found


def test_entry_point_loads_the_instrumentor() -> None:
    [entry_point] = [e for e in entry_points(group="opentelemetry_instrumentor") if e.name == "anthropic"]
    assert entry_point.load() is AnthropicInstrumentor
    assert AnthropicInstrumentor().instrumentation_dependencies() == ("anthropic >= 0.40, < 3",)


def test_uninstrument_restores_the_sdk_exactly() -> None:
    before = sdk_attributes()
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument()
    during = sdk_attributes()
    instrumentor.uninstrument()

    assert sdk_attributes() == before
    changed = [key for key in before if during[key] is not before[key]]
    assert all(is_patched(during[key]) for key in changed if key[1] != "start_api_call_span")
    assert ((anthropic.resources.messages.Messages, "create")) in changed
    assert ((anthropic.resources.messages.AsyncMessages, "stream")) in changed


def test_works_with_only_the_api_configured(mock_provider: MockProvider) -> None:
    """No SDK providers at all: calls behave as before, nothing is recorded, nothing breaks."""
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument()
    try:
        with anthropic.Anthropic(**client_options(mock_provider, None)) as client:
            message = client.messages.create(model=MODEL, max_tokens=64, messages=USER)
            with client.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
                text = stream.get_final_text()
    finally:
        instrumentor.uninstrument()
    assert message.content[0].text == text == "Mock reply: hello there world"


def test_after_uninstrument_nothing_is_recorded(mock_provider: MockProvider) -> None:
    capture = Capture()
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider)
    instrumentor.uninstrument()
    with anthropic.Anthropic(**client_options(mock_provider, None)) as client:
        client.messages.create(model=MODEL, max_tokens=64, messages=USER)

    assert capture.spans() == []
    assert capture.value("llm.requests") == 0
    capture.shutdown()


def test_objects_made_while_instrumented_pass_through_afterwards(mock_provider: MockProvider) -> None:
    """`with_raw_response` binds the method once, and a stream manager outlives the call that made it."""
    capture = Capture()
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider)
    with anthropic.Anthropic(**client_options(mock_provider, None)) as client:
        raw = client.messages.with_raw_response
        manager = client.messages.stream(model=MODEL, max_tokens=64, messages=USER)
        instrumentor.uninstrument()
        assert raw.create(model=MODEL, max_tokens=64, messages=USER).parse().usage.output_tokens == 5
        with manager as stream:
            assert stream.get_final_text() == "Mock reply: hello there world"

    assert capture.spans() == []
    assert capture.value("llm.requests") == 0
    capture.shutdown()
