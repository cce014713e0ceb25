"""Failed calls leak nothing with capture off: not in span status, exception events (chained causes and
stack traces included), our DEBUG logs or /metrics. `error.type` stays bounded whatever the error body
says; a key pasted as a model or a workflow name is redacted."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st
from reliability_support import Everything

from opentelemetry import trace
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.errors import KNOWN_CODES

try:
    import httpx2 as httpx
except ImportError:  # openai 1.x
    import httpx  # type: ignore[no-redef]

PROMPT = "SENTINELPROMPT"
SYSTEM = "SENTINELSYSTEM"
INSTRUCTIONS = "SENTINELINSTRUCTIONS"
TOOL_ARG = "SENTINELTOOLARG"
URL_KEY = "SENTINELURLKEY0123456789"
KEY = "sk-proj-SENTINELKEY0123456789abcdef"
SENTINELS = (PROMPT, SYSTEM, INSTRUCTIONS, TOOL_ARG, URL_KEY, KEY, "SENTINELKEY")


@pytest.fixture
def everything() -> Iterator[Everything]:
    made = Everything()
    saved = trace._TRACER_PROVIDER
    trace._TRACER_PROVIDER = made.capture.tracer_provider  # the decorators use the global provider
    try:
        yield made
    finally:
        trace._TRACER_PROVIDER = saved
        made.close()
        config.reset()


def echoing_transport() -> Any:
    """A user transport whose exception quotes the request body, as some do."""

    class Quoting(httpx.BaseTransport):
        def handle_request(self, request: Any) -> Any:
            raise httpx.ConnectError(f"upstream refused body {request.content.decode()!r}", request=request)

    return Quoting()


def failing_calls(mock: Any) -> None:
    """Every failing call of the classes named in issue 12; each raises into the caller."""
    oa = openai.OpenAI(base_url=mock.openai_base_url, api_key=KEY, max_retries=0)
    an = anthropic.Anthropic(base_url=mock.anthropic_base_url, api_key=KEY, max_retries=0)
    user = [{"role": "user", "content": f"find {PROMPT}"}]
    cases: list[tuple[dict[str, Any], Any]] = [
        (  # OpenAI 400 echoing content, with a code that carries request text
            {
                "status": 400,
                "body": {"error": {"message": f"Invalid content: '{PROMPT}'", "code": f"blocked:{PROMPT}"}},
            },
            lambda: oa.chat.completions.create(model="gpt-4o", messages=user),
        ),
        (  # Anthropic echoing the system prompt
            {"status": 400, "body": {"type": "error", "error": {"type": f"bad {SYSTEM}", "message": SYSTEM}}},
            lambda: an.messages.create(model="claude-x", max_tokens=5, system=SYSTEM, messages=user),
        ),
        (  # Responses echoing instructions
            {"status": 422, "body": {"error": {"message": f"instructions {INSTRUCTIONS!r} rejected"}}},
            lambda: oa.responses.create(model="gpt-4o", input="x", instructions=INSTRUCTIONS),
        ),
        (  # a gateway 404 echoing the URL with Azure's api-key
            {"status": 404, "body": f"no route for /deployments/x/chat?api-key={URL_KEY}"},
            lambda: oa.chat.completions.create(model="gpt-4o", messages=user),
        ),
        (  # a 401 echoing the key
            {
                "status": 401,
                "body": {"error": {"message": f"Incorrect API key provided: {KEY}", "code": KEY}},
            },
            lambda: oa.chat.completions.create(model="gpt-4o", messages=user),
        ),
        (  # tool arguments echoed back
            {"status": 400, "body": {"error": {"message": f'bad arguments {{"q": "{TOOL_ARG}"}}'}}},
            lambda: oa.chat.completions.create(
                model="gpt-4o",
                messages=[
                    *user,
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "f", "arguments": json.dumps({"q": TOOL_ARG})},
                            }
                        ],
                    },
                ],
            ),
        ),
    ]
    for canned, call in cases:
        mock.enqueue(**canned)
        with pytest.raises(Exception):  # noqa: B017 (each SDK raises its own class)
            call()
    quoting = openai.OpenAI(
        base_url=mock.openai_base_url,
        api_key=KEY,
        max_retries=0,
        http_client=httpx.Client(transport=echoing_transport()),
    )
    with pytest.raises(openai.APIConnectionError):  # the transport's error is the chained cause
        quoting.chat.completions.create(model="gpt-4o", messages=user)

    from openllmetry import tool

    @tool
    def search(query: str) -> str:
        raise ValueError(f"no results for {query!r}")

    with pytest.raises(ValueError):
        search(TOOL_ARG)


def test_failed_calls_leak_nothing_with_capture_off(
    everything: Everything, mock_provider: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    failing_calls(mock_provider)
    spans = everything.capture.spans()
    assert len(spans) == 8
    text = everything.text(caplog.records)
    for sentinel in SENTINELS:
        assert sentinel not in text
    # What stays: error.type, the exception class and the HTTP status.
    by_name = {span.name: span for span in spans}
    statuses = [span.status.description for span in spans]
    assert "BadRequestError (HTTP 400)" in statuses
    assert "AuthenticationError (HTTP 401)" in statuses
    assert "APIConnectionError" in statuses
    assert "ValueError" in statuses
    events = [event for span in spans for event in span.events if event.name == "exception"]
    assert len(events) == 8
    assert {"openai.BadRequestError", "anthropic.BadRequestError", "ValueError"} <= {
        e.attributes["exception.type"] for e in events
    }
    chained = [e for e in events if "ConnectError" in e.attributes["exception.stacktrace"]]
    assert chained and "handle_request" in chained[0].attributes["exception.stacktrace"]
    types = sorted(span.attributes["error.type"] for span in spans)
    assert types == sorted(["400", "400", "422", "404", "401", "400", "APIConnectionError", "ValueError"])
    assert by_name["execute_tool search"].attributes["error.type"] == "ValueError"


def test_capture_on_records_the_message_redacted(everything: Everything, mock_provider: Any) -> None:
    config.configure(capture_content=True)
    oa = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=KEY, max_retries=0)
    mock_provider.enqueue(status=401, body={"error": {"message": f"Incorrect API key {KEY} for {PROMPT}"}})
    with pytest.raises(openai.AuthenticationError):
        oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": PROMPT}])
    (span,) = everything.capture.spans()
    assert PROMPT in span.status.description and "[REDACTED]" in span.status.description
    (event,) = span.events
    assert PROMPT in event.attributes["exception.message"]
    assert "SENTINELKEY" not in span.to_json()


@given(
    code=st.one_of(st.text(max_size=300), st.sampled_from(sorted(KNOWN_CODES))),
    status=st.sampled_from([400, 409, 429, 500]),
)
def test_error_type_is_a_bounded_value(
    everything: Everything, mock_provider: Any, code: str, status: int
) -> None:
    oa = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key=KEY, max_retries=0)
    mock_provider.enqueue(status=status, body={"error": {"message": "m", "code": code, "type": code}})
    with pytest.raises(openai.APIStatusError):
        oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    error_type = everything.capture.spans()[-1].attributes["error.type"]
    numeric = code.isascii() and code.isdigit() and len(code) <= 6
    assert error_type == (code if code in KNOWN_CODES or numeric else str(status))


@pytest.mark.parametrize(
    "secret",
    [
        KEY,
        "sk-abc12345",
        "AKIAIOSFODNN7EXAMPLE",
        "AIzaSyA-1234567890abcdefghijklmnopqrstu",
        "ghp_" + "a1" * 18,
    ],
)
def test_a_key_used_as_model_or_workflow_is_redacted(
    everything: Everything, mock_provider: Any, secret: str
) -> None:
    from openllmetry import workflow

    oa = openai.OpenAI(base_url=mock_provider.openai_base_url, api_key="k", max_retries=0)

    @workflow(name=f"wf-{secret}")
    def run() -> None:
        oa.chat.completions.create(model=secret, messages=[{"role": "user", "content": "hi"}])

    run()
    text = everything.text([])
    assert secret not in text
    assert secret[4:] not in text
    llm = [span for span in everything.capture.spans() if span.name.startswith("chat")]
    assert llm[0].name == "chat [REDACTED]"
    assert 'model="[REDACTED]"' in text and 'workflow="wf-[REDACTED]"' in text
