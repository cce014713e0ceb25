"""messages.create / parse / count_tokens and the legacy completions, sync and async, stable and beta."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import pytest
from anthropic_helpers import MODEL, USER, client_options, has, llm, method, one_span, run_async, tokens

from llm_mock import MockProvider
from opentelemetry.semconv_ai.testing import Capture
from opentelemetry.trace import SpanKind

CREATE_PATHS = [
    p for p in ("messages.create", "beta.messages.create", "beta.prompt_caching.messages.create") if has(p)
]
CACHED_SYSTEM = [
    {"type": "text", "text": "you are a careful assistant", "cache_control": {"type": "ephemeral"}}
]

Call = Callable[..., Any]


@pytest.fixture(params=["sync", "async"])
def call(request: pytest.FixtureRequest, mock_provider: MockProvider, capture: Capture) -> Call:
    """Calls a client method by path ("messages.create") on a sync or an async client."""
    options = client_options(mock_provider, capture)

    def call(path: str, **kwargs: Any) -> Any:
        if request.param == "sync":
            with anthropic.Anthropic(**options) as client:
                return method(client, path)(**kwargs)
        return run_async(options, lambda client: method(client, path)(**kwargs))

    return call


@pytest.mark.parametrize("path", CREATE_PATHS)
def test_create_records_one_operation_with_exact_usage(call: Call, capture: Capture, path: str) -> None:
    message = call(path, model=MODEL, max_tokens=64, stop_sequences=["STOP"], messages=USER)

    assert message.content[0].text == "Mock reply: hello there world"
    span = one_span(capture)
    assert span.name == f"chat {MODEL}"
    assert span.kind == SpanKind.CLIENT
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.provider.name"] == "anthropic"
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.request.max_tokens"] == 64
    assert attributes["gen_ai.request.stop_sequences"] == ("STOP",)
    assert attributes["gen_ai.response.id"] == message.id
    assert attributes["gen_ai.response.model"] == MODEL
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["anthropic.message.stop_reason"] == "end_turn"
    assert attributes["anthropic.request.id"] == message._request_id
    assert attributes["gen_ai.usage.input_tokens"] == 3
    assert attributes["gen_ai.usage.output_tokens"] == 5
    assert "gen_ai.request.stream" not in attributes
    assert "gen_ai.input.messages" not in attributes  # content is off by default
    assert capture.value("llm.requests", llm()) == 1
    assert capture.value("llm.operation.errors", llm()) == 0
    assert capture.count("llm.operation.duration", llm()) == 1
    assert tokens(capture, "input") == 3
    assert tokens(capture, "output") == 5


@pytest.mark.parametrize(("mode", "detail"), [("read", "cache_read"), ("write", "cache_creation")])
def test_cached_input_counts_in_input_and_on_its_own(
    call: Call, capture: Capture, mode: str, detail: str
) -> None:
    call(
        "messages.create",
        model=MODEL,
        max_tokens=64,
        system=CACHED_SYSTEM,
        messages=USER,
        extra_headers={"x-mock-cache": mode},
    )

    attributes = dict(one_span(capture).attributes or {})
    assert attributes["gen_ai.usage.input_tokens"] == 3 + 5
    assert attributes[f"gen_ai.usage.{detail}.input_tokens"] == 5
    other = "cache_creation" if detail == "cache_read" else "cache_read"
    assert attributes[f"gen_ai.usage.{other}.input_tokens"] == 0
    assert tokens(capture, "input") == 8
    assert tokens(capture, detail) == 5
    assert tokens(capture, other) == 0
    assert capture.value("llm.tokens.usage", llm()) == 8 + 5  # the details add nothing to the total


def test_finish_reasons_map_to_the_conventions(call: Call, capture: Capture) -> None:
    call("messages.create", model=MODEL, max_tokens=2, messages=USER)
    call(
        "messages.create",
        model=MODEL,
        max_tokens=64,
        messages=USER,
        extra_headers={"x-mock-tool-call": "lookup"},
    )

    reasons = [(s.attributes or {}).get("gen_ai.response.finish_reasons") for s in capture.spans()]
    assert reasons == [("length",), ("tool_call",)]
    assert tokens(capture, "output") == 2 + 4  # two words; then {"query": "hello there world"}


@pytest.mark.parametrize(
    "path", [p for p in ("messages.count_tokens", "beta.messages.count_tokens") if has(p)]
)
def test_count_tokens_is_its_own_operation_without_token_metrics(
    call: Call, capture: Capture, path: str
) -> None:
    counted = call(path, model=MODEL, messages=USER)

    assert counted.input_tokens == 3
    span = one_span(capture)
    assert span.name == f"count_tokens {MODEL}"
    assert (span.attributes or {})["anthropic.message.count_tokens.input_tokens"] == 3
    assert "gen_ai.usage.input_tokens" not in (span.attributes or {})
    assert capture.value("llm.requests", llm("count_tokens")) == 1
    assert capture.value("llm.tokens.usage") == 0


@pytest.mark.skipif(not has("messages.parse"), reason="messages.parse needs a newer anthropic")
@pytest.mark.parametrize("path", [p for p in ("messages.parse", "beta.messages.parse") if has(p)])
def test_parse_is_a_chat_operation_with_json_output(call: Call, capture: Capture, path: str) -> None:
    import pydantic

    class Answer(pydantic.BaseModel):
        answer: str

    parsed = call(path, model=MODEL, max_tokens=64, messages=USER, output_format=Answer)

    assert parsed.parsed_output == Answer(answer="Mock reply: hello there world")
    attributes = dict(one_span(capture).attributes or {})
    assert attributes["gen_ai.output.type"] == "json"
    assert attributes["gen_ai.usage.output_tokens"] == 6  # {"answer": "Mock reply: hello there world"}
    assert capture.value("llm.requests", llm()) == 1


def test_raw_response_is_returned_unchanged_and_measured(
    client: anthropic.Anthropic, capture: Capture
) -> None:
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=64, messages=USER)

    message = raw.parse()
    assert raw.parse() is message
    attributes = dict(one_span(capture).attributes or {})
    assert attributes["http.response.status_code"] == 200
    assert attributes["anthropic.request.id"] == raw.headers["request-id"]
    assert attributes["gen_ai.usage.output_tokens"] == 5
    assert tokens(capture, "input") == 3


@pytest.mark.skipif(not has("completions.create"), reason="this anthropic has no legacy completions")
def test_legacy_completions(call: Call, capture: Capture) -> None:
    prompt = f"{anthropic.HUMAN_PROMPT} hello there world{anthropic.AI_PROMPT}"
    completion = call("completions.create", model=MODEL, max_tokens_to_sample=50, prompt=prompt)

    assert completion.completion == " Mock reply: hello there world"
    span = one_span(capture)
    assert span.name == f"text_completion {MODEL}"
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.request.max_tokens"] == 50
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert "gen_ai.usage.input_tokens" not in attributes  # the legacy API reports no usage
    assert capture.value("llm.requests", llm("text_completion")) == 1


@pytest.mark.skipif(not has("completions.create"), reason="this anthropic has no legacy completions")
def test_legacy_completions_stream(client: anthropic.Anthropic, capture: Capture) -> None:
    prompt = f"{anthropic.HUMAN_PROMPT} hello there world{anthropic.AI_PROMPT}"
    stream = client.completions.create(model=MODEL, max_tokens_to_sample=2, prompt=prompt, stream=True)
    text = "".join(chunk.completion for chunk in stream)

    assert text == " Mock reply:"
    attributes = dict(one_span(capture).attributes or {})
    assert attributes["gen_ai.response.finish_reasons"] == ("length",)
    assert capture.count("gen_ai.client.operation.time_to_first_chunk") == 1
