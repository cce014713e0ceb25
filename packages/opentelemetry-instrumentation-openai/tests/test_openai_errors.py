"""Failed operations: error.type, the caller's exception untouched, retries inside one operation."""

from __future__ import annotations

import traceback
from typing import Any

import openai
import pytest
from openai_support import call, drain, llm, make_client, no_tokens, only_span, run, status_error_type, user

from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import StatusCode


def _failed(capture: Capture, error_type: str) -> None:
    span = only_span(capture)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == error_type
    assert capture.value("llm.requests", llm()) == 1
    assert capture.value("llm.operation.errors", llm()) == 1
    assert capture.count("gen_ai.client.operation.duration", {"error.type": error_type}) == 1
    assert no_tokens(capture)


def _raised_by_sdk(exc: BaseException) -> bool:
    """The innermost frame is the SDK's own: the exception reached the caller as it was raised."""
    return "openai" in traceback.extract_tb(exc.__traceback__)[-1].filename.rsplit("site-packages", 1)[-1]


@pytest.mark.parametrize(("status", "error_type"), [("429", "rate_limit_exceeded"), ("500", "server_error")])
def test_status_errors(capture: Capture, client: Any, status: str, error_type: str) -> None:
    async def body() -> BaseException:
        with pytest.raises(openai.APIStatusError) as info:
            await call(
                client.chat.completions.create(
                    model="gpt-4o", messages=user("hi"), extra_headers={"x-mock-fail": status}
                )
            )
        return info.value

    exc = run(client, body)
    assert exc.status_code == int(status)
    assert type(exc) is (openai.RateLimitError if status == "429" else openai.InternalServerError)
    assert _raised_by_sdk(exc)
    _failed(capture, status_error_type(exc, error_type))


def test_retries_are_one_operation(capture: Capture, mock_server: Any) -> None:
    client = make_client(mock_server.openai_base_url, False, max_retries=2)
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(
            model="gpt-4o", messages=user("hi"), extra_headers={"x-mock-fail": "429"}
        )
    client.close()
    assert mock_server.request_count == 3
    _failed(capture, status_error_type(info.value, "rate_limit_exceeded"))


def test_timeout(capture: Capture, mock_provider: Any) -> None:
    client = make_client(mock_provider.openai_base_url, False, timeout=0.2)
    headers = {"x-mock-fail": "timeout", "x-mock-timeout-s": "2"}
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="gpt-4o", messages=user("hi"), extra_headers=headers)
    client.close()
    _failed(capture, "APITimeoutError")


def test_stream_cut_midway(capture: Capture, client: Any) -> None:
    headers = {"x-mock-fail": "cut", "x-mock-cut-after": "1"}

    async def body() -> BaseException:
        stream = await call(
            client.chat.completions.create(
                model="gpt-4o", messages=user("one two three"), stream=True, extra_headers=headers
            )
        )
        with pytest.raises(Exception) as info:
            await drain(stream)
        return info.value

    exc = run(client, body)
    _failed(capture, type(exc).__name__)
    assert capture.count("gen_ai.client.operation.time_to_first_chunk") == 1


def test_invalid_request_before_any_http(capture: Capture, mock_provider: Any) -> None:
    client = make_client(mock_provider.openai_base_url, False)
    with pytest.raises(TypeError):
        client.chat.completions.create(model="gpt-4o")  # messages missing: the SDK refuses
    client.close()
    _failed(capture, "TypeError")
