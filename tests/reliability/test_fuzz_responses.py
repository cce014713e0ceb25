"""Malformed SDK responses and stream chunks, served through the real clients.

Every case runs without and then with instrumentation: the caller must see the identical value
or the identical exception, and no metric may go negative or non-finite.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import openai
from hypothesis import given
from hypothesis import strategies as st
from reliability_support import API_KEY, SwallowedErrors, Toggle, assert_sane_metrics, outcome

from opentelemetry.semconv_ai import Request, Telemetry, enter_workflow, exit_workflow
from opentelemetry.semconv_ai.labels import OVERFLOW, VALUE_LIMITS
from opentelemetry.semconv_ai.testing import Capture

# Hostile answers: lone surrogates (sent as JSON escapes), control characters, huge and echoed strings.
SURROGATES = st.text(
    alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=5
)
ODD_MODELS = st.one_of(
    st.sampled_from(["", "gpt-4o", "claude-3-5-sonnet-20241022", "x" * 10_000, "модель-😀", "a\nb\x00c"]),
    st.sampled_from(["y" * 100_000, "gpt-4o-\ud800", "sk-proj-abcdefghijklmnop0123"]),
    st.builds(lambda a, b: f"gpt-{a}{b}", SURROGATES, st.text(max_size=5)),
    st.text(max_size=40),
)
HUGE = st.one_of(
    st.just(10**400), st.just(1e308), st.floats(min_value=1e9, max_value=1e308), st.integers(10**8, 10**30)
)
WEIRD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
COUNT = st.one_of(WEIRD, st.integers(min_value=-5, max_value=10**12), HUGE)
MISSING = object()


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field that may be missing, null, wrongly typed, or right."""
    return st.one_of(st.just(MISSING), WEIRD, value)


def drop_missing(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: drop_missing(v) for k, v in obj.items() if v is not MISSING}
    if isinstance(obj, list):
        return [drop_missing(v) for v in obj if v is not MISSING]
    return obj


FINISH = st.one_of(st.sampled_from(["stop", "length", "tool_calls", "content_filter"]), st.text(max_size=12))

openai_usage = st.fixed_dictionaries(
    {
        "prompt_tokens": maybe(COUNT),
        "completion_tokens": maybe(COUNT),
        "total_tokens": maybe(COUNT),
        "prompt_tokens_details": maybe(st.fixed_dictionaries({"cached_tokens": maybe(COUNT)})),
        "completion_tokens_details": maybe(st.fixed_dictionaries({"reasoning_tokens": maybe(COUNT)})),
    }
)
openai_choice = st.fixed_dictionaries(
    {
        "index": maybe(st.integers(0, 3)),
        "message": maybe(
            st.fixed_dictionaries(
                {"role": maybe(st.just("assistant")), "content": maybe(st.text(max_size=30))}
            )
        ),
        "finish_reason": maybe(FINISH),
    }
)
openai_completion = st.fixed_dictionaries(
    {
        "id": maybe(st.text(max_size=20)),
        "object": maybe(st.just("chat.completion")),
        "created": maybe(st.integers(0, 2**31)),
        "model": maybe(ODD_MODELS),
        "choices": maybe(st.lists(openai_choice, max_size=3)),
        "usage": maybe(openai_usage),
        "system_fingerprint": maybe(st.text(max_size=10)),
        "service_tier": maybe(st.text(max_size=10)),
    }
).map(drop_missing)

openai_chunk = st.fixed_dictionaries(
    {
        "id": maybe(st.text(max_size=10)),
        "object": maybe(st.just("chat.completion.chunk")),
        "model": maybe(ODD_MODELS),
        "choices": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "index": maybe(st.integers(0, 2)),
                        "delta": maybe(st.fixed_dictionaries({"content": maybe(st.text(max_size=10))})),
                        "finish_reason": maybe(FINISH),
                    }
                ),
                max_size=2,
            )
        ),
        "usage": maybe(openai_usage),
    }
).map(drop_missing)

anthropic_usage = st.fixed_dictionaries(
    {
        "input_tokens": maybe(COUNT),
        "output_tokens": maybe(COUNT),
        "cache_read_input_tokens": maybe(COUNT),
        "cache_creation_input_tokens": maybe(COUNT),
    }
)
anthropic_message = st.fixed_dictionaries(
    {
        "id": maybe(st.text(max_size=20)),
        "type": maybe(st.just("message")),
        "role": maybe(st.just("assistant")),
        "model": maybe(ODD_MODELS),
        "content": maybe(
            st.lists(
                st.fixed_dictionaries({"type": maybe(st.just("text")), "text": maybe(st.text(max_size=20))}),
                max_size=3,
            )
        ),
        "stop_reason": maybe(
            st.one_of(st.sampled_from(["end_turn", "max_tokens", "tool_use"]), st.text(max_size=9))
        ),
        "usage": maybe(anthropic_usage),
    }
).map(drop_missing)

anthropic_event = st.one_of(
    st.builds(
        lambda message: ("message_start", {"type": "message_start", "message": message}), anthropic_message
    ),
    st.builds(
        lambda text: (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
        ),
        maybe(st.text(max_size=10)).map(lambda v: None if v is MISSING else v),
    ),
    st.builds(
        lambda usage, reason: (
            "message_delta",
            drop_missing({"type": "message_delta", "delta": {"stop_reason": reason}, "usage": usage}),
        ),
        maybe(anthropic_usage),
        maybe(st.text(max_size=9)),
    ),
    st.just(("message_stop", {"type": "message_stop"})),
    st.tuples(st.sampled_from(["content_block_start", "ping", "unknown_event"]), WEIRD),
)


def assert_sane_labels(capture: Capture) -> None:
    """Every label value any exporter gets: valid UTF-8, printable, bounded."""
    for points in capture.metrics().values():
        for p in points:
            for key, value in p.attributes.items():
                if isinstance(value, str):
                    value.encode("utf-8")
                    assert value.isprintable() and len(value) <= 255, (key, value)


def twice(toggle: Toggle, mock: Any, call: Any, **response: Any) -> None:
    """The call bare, then instrumented, each served `response`; one the client never sent is discarded."""

    def serve() -> None:
        mock.reset()
        mock.enqueue(**response)

    serve()
    bare = outcome(call)
    spans_before = len(toggle.capture.spans())
    toggle.on()
    try:
        with SwallowedErrors() as swallowed:
            serve()
            instrumented = outcome(call)
    finally:
        toggle.off()
        mock.reset()
    assert instrumented == bare
    assert swallowed.seen == []
    assert len(toggle.capture.spans()) == spans_before + 1  # exactly one span, whatever came back
    assert_sane_metrics(toggle.capture)
    assert_sane_labels(toggle.capture)


@given(body=openai_completion, model=ODD_MODELS)
def test_openai_chat_malformed_bodies(
    toggle: Toggle, mock_provider: Any, body: dict[str, Any], model: str
) -> None:
    client = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)

    def call() -> Any:
        return client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])

    twice(toggle, mock_provider, call, body=body)


@given(chunks=st.lists(openai_chunk, max_size=6), done=st.booleans(), model=ODD_MODELS)
def test_openai_stream_malformed_chunks(
    toggle: Toggle, mock_provider: Any, chunks: list[dict[str, Any]], done: bool, model: str
) -> None:
    client = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)
    events = [json.dumps(c) for c in chunks] + (["[DONE]"] if done else [])

    def call() -> Any:
        stream = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}], stream=True
        )
        return [repr(chunk) for chunk in stream]

    twice(toggle, mock_provider, call, stream_events=events)


@given(body=anthropic_message, model=ODD_MODELS)
def test_anthropic_malformed_messages(
    toggle: Toggle, mock_provider: Any, body: dict[str, Any], model: str
) -> None:
    client = anthropic.Anthropic(base_url=mock_provider.anthropic_base_url, api_key=API_KEY, max_retries=0)

    def call() -> Any:
        return client.messages.create(
            model=model, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )

    twice(toggle, mock_provider, call, body=body)


@given(events=st.lists(anthropic_event, max_size=6), model=ODD_MODELS)
def test_anthropic_stream_malformed_events(
    toggle: Toggle, mock_provider: Any, events: list[tuple[str, Any]], model: str
) -> None:
    client = anthropic.Anthropic(base_url=mock_provider.anthropic_base_url, api_key=API_KEY, max_retries=0)

    def call() -> Any:
        stream = client.messages.create(
            model=model, max_tokens=10, messages=[{"role": "user", "content": "hi"}], stream=True
        )
        return [repr(event) for event in stream]

    # JSON with ASCII escapes, as a server sends a lone surrogate (the mock would write it raw).
    frames = [(name, json.dumps(data) if isinstance(data, (dict, list)) else data) for name, data in events]
    twice(toggle, mock_provider, call, stream_events=frames)


@given(status=st.sampled_from([400, 401, 403, 404, 409, 422, 429, 500, 503, 529]), body=WEIRD)
def test_error_bodies_propagate_unchanged(toggle: Toggle, mock_provider: Any, status: int, body: Any) -> None:
    oa = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)
    an = anthropic.Anthropic(base_url=mock_provider.anthropic_base_url, api_key=API_KEY, max_retries=0)
    payload = json.dumps(body)

    def call_openai() -> Any:
        return oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])

    def call_anthropic() -> Any:
        return an.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "hi"}])

    twice(toggle, mock_provider, call_openai, status=status, body=payload)
    twice(toggle, mock_provider, call_anthropic, status=status, body=payload)


ECHOED = "SENTINELECHO"


@given(
    status=st.sampled_from([400, 401, 404, 422, 500]),
    shape=st.sampled_from(["message", "code", "type", "text"]),
)
def test_error_bodies_echoing_the_request_leak_nothing(
    toggle: Toggle, mock_provider: Any, status: int, shape: str
) -> None:
    """Error bodies that echo the request: nothing of it reaches spans or labels with capture off."""
    echo = f"you sent {ECHOED} with key sk-proj-{ECHOED}0123456789"
    body: Any = echo if shape == "text" else {"error": {shape: echo, "message": echo}}
    oa = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=API_KEY, max_retries=0)

    def call() -> Any:
        return oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": ECHOED}])

    twice(toggle, mock_provider, call, status=status, body=json.dumps(body))
    exported = [span.to_json() for span in toggle.capture.spans()]
    exported += [repr(p.attributes) for ps in toggle.capture.metrics().values() for p in ps]
    assert ECHOED not in "".join(exported)


LABEL_TEXT = st.one_of(st.text(max_size=300), SURROGATES, st.sampled_from(["", "x" * 5000, "a\x00\n\x1b"]))


@given(
    workflows=st.lists(LABEL_TEXT, max_size=8),
    evaluators=st.lists(LABEL_TEXT, max_size=8),
    hosts=st.lists(LABEL_TEXT, max_size=8),
)
def test_label_sources_are_normalised_and_bounded(
    toggle: Toggle, workflows: list[str], evaluators: list[str], hosts: list[str]
) -> None:
    """Workflows, evaluators and hosts come from data or configuration: any text becomes a sane label."""
    telemetry = Telemetry("fuzz", toggle.capture.tracer_provider, toggle.capture.meter_provider)
    for workflow, host in zip(workflows, hosts or [""] * len(workflows), strict=False):
        token = enter_workflow(workflow)
        try:
            op = telemetry.start("chat", Request("gpt-4o", "openai", server_address=host, server_port=443))
            op.set_usage(input_tokens=1, output_tokens=1)
            op.end()
        finally:
            exit_workflow(token)
    labels = telemetry.metrics.llm_labels("openai", "chat", "gpt-4o", "")
    for evaluator in evaluators:
        telemetry.metrics.record_quality(labels, evaluator, 0.5)
    assert_sane_labels(toggle.capture)
    cache = telemetry.metrics.labels
    for name, values in cache._values.items():
        assert len(values) <= VALUE_LIMITS[name]
    assert all(v != OVERFLOW or True for v in cache._values["workflow"])
