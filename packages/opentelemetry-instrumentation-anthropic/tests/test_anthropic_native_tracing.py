"""anthropic 2.x traces its own API calls: with the instrumentor there is still one GenAI span per call."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import anthropic
import pytest
from anthropic_helpers import MODEL, NATIVE_TRACING, USER, client_options

from llm_mock import MockProvider
from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
from opentelemetry.semconv_ai.testing import Capture

pytestmark = pytest.mark.skipif(not NATIVE_TRACING, reason="this anthropic has no tracing of its own")
OURS = "opentelemetry.instrumentation.anthropic"


def test_sdk_span_stands_aside_and_propagation_carries_ours(
    mock_server: MockProvider, capture: Capture
) -> None:
    with anthropic.Anthropic(**client_options(mock_server, capture)) as client:
        client.messages.create(model=MODEL, max_tokens=64, messages=USER)
        with client.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream:
            stream.until_done()
        for _ in client.messages.create(model=MODEL, max_tokens=64, messages=USER, stream=True):
            pass
        client.messages.count_tokens(model=MODEL, messages=USER)
        with pytest.raises(anthropic.RateLimitError):
            client.messages.create(
                model=MODEL, max_tokens=64, messages=USER, extra_headers={"x-mock-fail": "429"}
            )

    spans = capture.spans()
    assert [(s.name, s.instrumentation_scope.name) for s in spans] == [  # type: ignore[union-attr]
        (f"chat {MODEL}", OURS),
        (f"chat {MODEL}", OURS),
        (f"chat {MODEL}", OURS),
        (f"count_tokens {MODEL}", OURS),
        (f"chat {MODEL}", OURS),
    ]
    for span, request in zip(spans, mock_server.requests, strict=True):
        span_id = format(span.context.span_id, "016x")  # type: ignore[union-attr]
        assert request.headers["traceparent"].split("-")[2] == span_id


def test_without_the_instrumentor_the_sdk_span_is_back(mock_server: MockProvider) -> None:
    capture = Capture()
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider)
    instrumentor.uninstrument()
    with anthropic.Anthropic(**client_options(mock_server, capture)) as client:
        client.messages.create(model=MODEL, max_tokens=64, messages=USER)

    assert [s.name for s in capture.spans()] == ["anthropic.messages.create"]
    capture.shutdown()


def test_calls_we_do_not_instrument_keep_the_sdk_span(mock_server: MockProvider, capture: Capture) -> None:
    mock_server.enqueue(
        body={"type": "model", "id": MODEL, "display_name": "Test", "created_at": "2025-01-01T00:00:00Z"}
    )
    with anthropic.Anthropic(**client_options(mock_server, capture)) as client:
        client.models.retrieve(MODEL)

    assert [s.name for s in capture.spans()] == ["anthropic.models.retrieve"]


def test_one_span_with_the_global_tracer_provider(mock_provider: MockProvider) -> None:
    """The SDK's default: a client with no tracing option traces into the global TracerProvider."""
    script = textwrap.dedent(
        f"""
        import anthropic
        from opentelemetry import trace
        from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
        from opentelemetry.semconv_ai.testing import Capture

        capture = Capture()
        trace.set_tracer_provider(capture.tracer_provider)
        url = {mock_provider.anthropic_base_url!r}
        client = anthropic.Anthropic(base_url=url, api_key="sk-ant-x", max_retries=0)
        hi = [{{"role": "user", "content": "hi"}}]
        call = lambda: client.messages.create(model="m", max_tokens=8, messages=hi)
        call()
        AnthropicInstrumentor().instrument(meter_provider=capture.meter_provider)
        call()
        with client.messages.stream(model="m", max_tokens=8, messages=hi) as s:
            s.until_done()
        AnthropicInstrumentor().uninstrument()
        call()
        print([span.name for span in capture.exporter.get_finished_spans()])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == str(
        ["anthropic.messages.create", "chat m", "chat m", "anthropic.messages.create"]
    ), result.stderr
