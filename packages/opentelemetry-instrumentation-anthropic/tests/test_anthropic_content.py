"""Content capture: off by default; when on, messages, tool use and thinking as the conventions' JSON."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest
from anthropic_helpers import MODEL, one_span, tokens

from opentelemetry.semconv_ai import configure
from opentelemetry.semconv_ai.testing import Capture

TOOLS = [{"name": "lookup", "description": "Look things up", "input_schema": {"type": "object"}}]
HISTORY = [
    {"role": "user", "content": "what is the weather"},
    {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}}],
    },
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]},
    {"role": "user", "content": [{"type": "text", "text": "hello there world"}]},
]
THINKING = {"type": "enabled", "budget_tokens": 1024}
REQUEST: dict[str, Any] = {
    "model": MODEL,
    "max_tokens": 64,
    "system": "be brief sk-ant-api03-secretsecretsecret",
    "messages": HISTORY,
    "tools": TOOLS,
    "extra_body": {"thinking": THINKING},  # a body field, so that the oldest SDK sends it too
    "extra_headers": {"x-mock-tool-call": "lookup"},
}
OUTPUT = [
    {
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": "Mock thinking: hello there world"},
            {
                "type": "tool_call",
                "id": "toolu_mock_{n}",
                "name": "lookup",
                "arguments": {"query": "hello there world"},
            },
        ],
        "finish_reason": "tool_call",
    }
]


def captured(span: Any, key: str) -> Any:
    return json.loads((span.attributes or {})[key])


def assert_content(capture: Capture, response_id: str) -> None:
    span = one_span(capture)
    assert captured(span, "gen_ai.input.messages") == [
        {"role": "user", "parts": [{"type": "text", "content": "what is the weather"}]},
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "toolu_1", "name": "lookup", "arguments": {"q": "x"}}],
        },
        {"role": "user", "parts": [{"type": "tool_call_response", "id": "toolu_1", "response": "sunny"}]},
        {"role": "user", "parts": [{"type": "text", "content": "hello there world"}]},
    ]
    assert captured(span, "gen_ai.system_instructions") == [
        {"type": "text", "content": "be brief [REDACTED]"}
    ]
    assert captured(span, "gen_ai.tool.definitions") == TOOLS
    number = response_id.rsplit("_", 1)[1]
    output = json.loads(json.dumps(OUTPUT).replace("{n}", number))
    assert captured(span, "gen_ai.output.messages") == output
    assert tokens(capture, "output") == 5 + 4  # the thinking, then {"query": "hello there world"}


@pytest.fixture
def capturing() -> None:
    configure(capture_content=True)


def test_no_content_by_default(client: anthropic.Anthropic, capture: Capture) -> None:
    client.messages.create(**REQUEST)

    attributes = one_span(capture).attributes or {}
    for key in ("input.messages", "output.messages", "system_instructions", "tool.definitions"):
        assert f"gen_ai.{key}" not in attributes


@pytest.mark.usefixtures("capturing")
def test_content_of_a_message(client: anthropic.Anthropic, capture: Capture) -> None:
    message = client.messages.create(**REQUEST)

    assert_content(capture, message.id)


@pytest.mark.usefixtures("capturing")
def test_content_of_a_streamed_message(client: anthropic.Anthropic, capture: Capture) -> None:
    with client.messages.stream(**REQUEST) as stream:
        message = stream.get_final_message()

    assert_content(capture, message.id)


@pytest.mark.usefixtures("capturing")
def test_content_of_a_raw_stream(client: anthropic.Anthropic, capture: Capture) -> None:
    events = list(client.messages.create(**REQUEST, stream=True))

    assert_content(capture, events[0].message.id)


@pytest.mark.usefixtures("capturing")
def test_streamed_text_content(client: anthropic.Anthropic, capture: Capture) -> None:
    with client.messages.stream(model=MODEL, max_tokens=3, messages=HISTORY[-1:]) as stream:
        stream.until_done()

    assert captured(one_span(capture), "gen_ai.output.messages") == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Mock reply: hello"}],
            "finish_reason": "length",
        }
    ]


@pytest.mark.usefixtures("capturing")
def test_one_shot_iterables_are_not_consumed(client: anthropic.Anthropic, capture: Capture) -> None:
    message = client.messages.create(model=MODEL, max_tokens=64, messages=iter(HISTORY[-1:]))

    assert message.content[0].text == "Mock reply: hello there world"
    assert "gen_ai.input.messages" not in (one_span(capture).attributes or {})
