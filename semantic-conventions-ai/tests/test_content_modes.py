"""`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` as the OpenTelemetry GenAI instrumentations
read it: `span_only` puts content on span attributes, `event_only` on the inference event only,
`span_and_event` on both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opentelemetry.semconv_ai import Request, Telemetry, config, names
from opentelemetry.semconv_ai.content import message, text_part
from opentelemetry.semconv_ai.testing import Capture

CONTENT = (names.INPUT_MESSAGES, names.SYSTEM_INSTRUCTIONS, names.OUTPUT_MESSAGES)


@pytest.fixture
def cap() -> Iterator[Capture]:
    capture = Capture()
    yield capture
    capture.shutdown()
    config.reset()


def _run(cap: Capture) -> tuple[dict, list]:
    request = Request("m", "acme", input_messages=[message("user", [text_part("hi")])])
    request.system_instructions = [text_part("be brief")]
    op = Telemetry("t", cap.tracer_provider, cap.meter_provider).start(names.CHAT, request)
    if op.collect_output:
        op.set_output([message("assistant", [text_part("hello")], "stop")])
    op.end()
    (span,) = cap.spans()
    return dict(span.attributes or {}), list(span.events)


@pytest.mark.parametrize(
    ("value", "on_span", "on_event"),
    [("", False, False), ("true", True, False), ("span_only", True, False),
     ("event_only", False, True), ("span_and_event", True, True)],
)  # fmt: skip
def test_where_content_goes(
    monkeypatch: pytest.MonkeyPatch, cap: Capture, value: str, on_span: bool, on_event: bool
) -> None:
    monkeypatch.setenv(config.CAPTURE_CONTENT_ENV, value)
    config.reset()
    attributes, events = _run(cap)
    assert all((key in attributes) is on_span for key in CONTENT)
    details = [e for e in events if e.name == names.INFERENCE_DETAILS_EVENT]
    assert len(details) == (1 if on_event else 0)
    if on_event:
        assert set(CONTENT) <= set(details[0].attributes or {})
        assert '"hello"' in details[0].attributes[names.OUTPUT_MESSAGES]


def test_configure_takes_a_mode(cap: Capture) -> None:
    config.configure(capture_content="event_only")
    attributes, events = _run(cap)
    assert not any(key in attributes for key in CONTENT)
    assert [e.name for e in events] == [names.INFERENCE_DETAILS_EVENT]
