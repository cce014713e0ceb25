"""Failed calls: error.type from the API's error body, the exception unchanged, the operation counted once."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest
from anthropic_helpers import MODEL, USER, client_options, llm, one_span, run_async

from llm_mock import MockProvider
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import StatusCode


def assert_failed(capture: Capture, error_type: str, status: int | None) -> dict[str, Any]:
    span = one_span(capture)
    attributes = dict(span.attributes or {})
    assert span.status.status_code == StatusCode.ERROR
    assert attributes["error.type"] == error_type
    assert attributes.get("http.response.status_code") == status
    assert capture.value("llm.requests", llm()) == 1
    assert capture.value("llm.operation.errors", llm()) == 1
    [point] = [
        p
        for p in capture.metrics()["gen_ai.client.operation.duration"]
        if p.attributes["error.type"] == error_type
    ]
    assert point.count == 1
    return attributes


@pytest.mark.parametrize(
    ("status", "error", "error_type"),
    [
        ("429", anthropic.RateLimitError, "rate_limit_error"),
        ("500", anthropic.InternalServerError, "api_error"),
        ("529", anthropic.APIStatusError, "overloaded_error"),
    ],
)
def test_status_errors(
    client: anthropic.Anthropic, capture: Capture, status: str, error: type, error_type: str
) -> None:
    with pytest.raises(error) as raised:
        client.messages.create(
            model=MODEL, max_tokens=64, messages=USER, extra_headers={"x-mock-fail": status}
        )

    assert type(raised.value).__module__.startswith("anthropic")
    attributes = assert_failed(capture, error_type, int(status))
    assert attributes["anthropic.request.id"] == raised.value.request_id


def test_async_status_error(async_options: dict[str, Any], capture: Capture) -> None:
    async def fail(client: anthropic.AsyncAnthropic) -> None:
        await client.messages.create(
            model=MODEL, max_tokens=64, messages=USER, extra_headers={"x-mock-fail": "429"}
        )

    with pytest.raises(anthropic.RateLimitError):
        run_async(async_options, fail)
    assert_failed(capture, "rate_limit_error", 429)


def test_stream_helper_error_on_enter(client: anthropic.Anthropic, capture: Capture) -> None:
    headers = {"x-mock-fail": "429"}
    manager = client.messages.stream(model=MODEL, max_tokens=64, messages=USER, extra_headers=headers)
    with pytest.raises(anthropic.RateLimitError), manager:
        pass
    assert_failed(capture, "rate_limit_error", 429)


def test_async_stream_helper_error_on_enter(async_options: dict[str, Any], capture: Capture) -> None:
    async def fail(client: anthropic.AsyncAnthropic) -> None:
        headers = {"x-mock-fail": "500"}
        async with client.messages.stream(model=MODEL, max_tokens=64, messages=USER, extra_headers=headers):
            pass

    with pytest.raises(anthropic.InternalServerError):
        run_async(async_options, fail)
    assert_failed(capture, "api_error", 500)


def test_stream_cut_mid_way_fails_the_operation(client: anthropic.Anthropic, capture: Capture) -> None:
    headers = {"x-mock-fail": "cut", "x-mock-cut-after": "2"}
    with (
        pytest.raises(Exception) as raised,
        client.messages.stream(model=MODEL, max_tokens=64, messages=USER, extra_headers=headers) as stream,
    ):
        stream.until_done()

    attributes = assert_failed(capture, type(raised.value).__name__, 200)
    assert attributes["gen_ai.usage.input_tokens"] == 3


def test_connection_error(capture: Capture) -> None:
    with MockProvider() as gone:
        options = client_options(gone, capture)
    with anthropic.Anthropic(**options) as client, pytest.raises(anthropic.APIConnectionError):
        client.messages.create(model=MODEL, max_tokens=64, messages=USER)

    span = one_span(capture)
    assert (span.attributes or {})["error.type"] == "APIConnectionError"
    assert capture.value("llm.operation.errors", llm()) == 1


def test_retries_are_one_operation(mock_server: MockProvider, capture: Capture) -> None:
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "x"}}
    mock_server.enqueue(status=429, body=body, headers={"retry-after-ms": "1"})
    options = {**client_options(mock_server, capture), "max_retries": 1}
    with anthropic.Anthropic(**options) as client:
        client.messages.create(model=MODEL, max_tokens=64, messages=USER)

    assert mock_server.request_count == 2
    span = one_span(capture)
    assert span.status.status_code == StatusCode.UNSET
    assert capture.value("llm.requests", llm()) == 1
    assert capture.value("llm.operation.errors", llm()) == 0
