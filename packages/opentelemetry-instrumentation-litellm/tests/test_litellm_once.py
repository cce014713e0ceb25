"""Counted once: through the Router and its retries, with the openai SDK instrumented underneath,
for functions imported before instrument(); errors unchanged; content; uninstrument."""

from __future__ import annotations

import json
from typing import Any

import litellm
import pytest
from litellm import completion as completion_imported_early
from litellm_support import run

from opentelemetry.instrumentation.litellm import LiteLLMInstrumentor
from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.semconv_ai import config
from opentelemetry.semconv_ai.testing import Capture

KEY = "sk-test"
USER = [{"role": "user", "content": "hello there world"}]
CHAT = {"model": "gpt-4o-mini", "provider": "openai", "operation": "chat", "workflow": ""}


def openai_route(mock: Any) -> dict[str, Any]:
    return {"model": "openai/gpt-4o-mini", "api_base": mock.openai_base_url, "api_key": KEY}


def scopes(capture: Capture) -> list[str]:
    return [s.instrumentation_scope.name.rsplit(".", 1)[-1] for s in capture.spans()]


@pytest.fixture
def with_openai(capture: Capture) -> Any:
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider)
    yield capture
    instrumentor.uninstrument()


def test_openai_sdk_underneath_stands_aside(with_openai: Capture, mock_provider: Any) -> None:
    route = openai_route(mock_provider)
    litellm.completion(messages=USER, **route)
    run(litellm.acompletion(messages=USER, **route))
    # LiteLLM calls the openai SDK lazily, while the caller iterates its text stream.
    stream = litellm.text_completion(
        prompt="a b c",
        stream=True,
        model="openai/gpt-3.5-turbo-instruct",
        api_base=route["api_base"],
        api_key=KEY,
    )
    assert len(list(stream)) > 1
    assert scopes(with_openai) == ["litellm"] * 3
    assert with_openai.value("llm.requests") == 3


def test_router_counts_once_with_its_retries(capture: Capture, mock_server: Any) -> None:
    deployment = {"model_name": "fast", "litellm_params": openai_route(mock_server)}
    router = litellm.Router(model_list=[deployment], num_retries=2, retry_after=0)
    assert router.completion(model="fast", messages=USER).usage.prompt_tokens == 3
    mock_server.enqueue(status=500, body={"error": {"message": "boom", "type": "server_error", "code": None}})
    run(router.acompletion(model="fast", messages=USER))
    assert mock_server.request_count == 3  # the retry reached the mock
    assert [s.name for s in capture.spans()] == ["chat gpt-4o-mini"] * 2
    assert capture.value("llm.requests", CHAT) == 2
    assert capture.value("llm.operation.errors", CHAT) == 0
    assert capture.value("llm.tokens.usage", {**CHAT, "token_type": "input"}) == 6


@pytest.mark.skipif(
    not hasattr(litellm, "chat_completions"),
    reason="LiteLLM before its dispatcher: instrument before importing",
)
def test_function_imported_before_instrument(capture: Capture, mock_provider: Any) -> None:
    completion_imported_early(messages=USER, **openai_route(mock_provider))
    assert scopes(capture) == ["litellm"]
    assert capture.value("llm.tokens.usage", {**CHAT, "token_type": "output"}) == 5


def test_error_is_typed_and_unchanged(capture: Capture, mock_provider: Any) -> None:
    route = openai_route(mock_provider)
    with pytest.raises(litellm.RateLimitError) as raised:
        litellm.completion(messages=USER, extra_headers={"x-mock-fail": "429"}, num_retries=0, **route)
    assert type(raised.value) is litellm.RateLimitError
    (span,) = capture.spans()
    # The provider's code; older LiteLLM keeps only the status.
    assert span.attributes["error.type"] in ("rate_limit_exceeded", "429")
    assert capture.value("llm.operation.errors", CHAT) == 1 == capture.value("llm.requests", CHAT)
    failed = {"gen_ai.request.model": "gpt-4o-mini", "error.type": span.attributes["error.type"]}
    assert capture.count("gen_ai.client.operation.duration", failed) == 1


def test_content_when_asked(capture: Capture, mock_provider: Any) -> None:
    config.configure(capture_content=True)
    litellm.completion(messages=USER, **openai_route(mock_provider))
    attrs = capture.spans()[0].attributes
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "hello there world"}]}
    ]
    reply = json.loads(attrs["gen_ai.output.messages"])
    assert reply[0]["parts"][0]["content"] == "Mock reply: hello there world"


def test_uninstrument_restores_litellm_exactly(mock_provider: Any) -> None:
    names = ("completion", "acompletion", "embedding", "text_completion")
    before = {name: getattr(litellm, name) for name in names}
    router_class = litellm.Router(model_list=[]).completion.__func__
    capture = Capture()
    instrumentor = LiteLLMInstrumentor()
    instrumentor.instrument(tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider)
    assert all(getattr(litellm, name) is not before[name] for name in names)
    instrumentor.uninstrument()
    assert all(getattr(litellm, name) is before[name] for name in names)
    assert litellm.Router(model_list=[]).completion.__func__ is router_class
    litellm.completion(messages=USER, **openai_route(mock_provider))
    assert capture.spans() == []
