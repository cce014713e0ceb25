from __future__ import annotations

import asyncio
import json
import urllib.request

import anthropic

from llm_mock import MockProvider

MESSAGES = [{"role": "user", "content": "Tell me a joke"}]
LONG_SYSTEM = "You are a helpful assistant that knows many jokes"  # 9 words


def test_create_exact_usage(claude: anthropic.Anthropic) -> None:
    raw = claude.messages.with_raw_response.create(
        model="claude-test-1", max_tokens=100, system="Be funny.", messages=MESSAGES
    )
    message = raw.parse()
    assert raw.headers["request-id"].startswith("req_")
    assert message.id.startswith("msg_mock_")
    assert message.type == "message" and message.role == "assistant"
    assert message.model == "claude-test-1"
    assert message.content[0].type == "text"
    assert message.content[0].text == "Mock reply: Tell me a joke"
    assert message.stop_reason == "end_turn"
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (2 + 4, 6)
    assert (usage.cache_creation_input_tokens, usage.cache_read_input_tokens) == (0, 0)


def test_max_tokens_truncation(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(model="m", max_tokens=2, messages=MESSAGES)
    assert message.content[0].type == "text" and message.content[0].text == "Mock reply:"
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 2


def test_raw_stream_event_sequence(claude: anthropic.Anthropic) -> None:
    events = list(claude.messages.create(model="m", max_tokens=100, messages=MESSAGES, stream=True))
    types = [e.type for e in events]
    assert types == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * 6,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = events[0]
    assert start.type == "message_start"
    assert (start.message.usage.input_tokens, start.message.usage.output_tokens) == (4, 1)
    text = "".join(
        e.delta.text for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    assert text == "Mock reply: Tell me a joke"
    delta = events[-2]
    assert delta.type == "message_delta"
    assert delta.delta.stop_reason == "end_turn" and delta.usage.output_tokens == 6


def test_stream_helper_final_message(claude: anthropic.Anthropic) -> None:
    with claude.messages.stream(model="m", max_tokens=100, messages=MESSAGES) as stream:
        assert "".join(stream.text_stream) == "Mock reply: Tell me a joke"
        final = stream.get_final_message()
    assert final.usage.input_tokens == 4 and final.usage.output_tokens == 6
    assert final.stop_reason == "end_turn"


def test_thinking_block_before_text(claude: anthropic.Anthropic) -> None:
    thinking = {"type": "enabled", "budget_tokens": 1024}
    message = claude.messages.create(model="m", max_tokens=2048, messages=MESSAGES, thinking=thinking)
    assert [b.type for b in message.content] == ["thinking", "text"]
    block = message.content[0]
    assert block.type == "thinking" and block.thinking == "Mock thinking: Tell me a joke" and block.signature
    assert message.usage.output_tokens == 6 + 6
    with claude.messages.stream(model="m", max_tokens=2048, messages=MESSAGES, thinking=thinking) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "thinking"
    assert final.content[0].thinking == "Mock thinking: Tell me a joke"
    assert final.content[0].signature == block.signature.replace(
        message.id.split("_")[-1], final.id.split("_")[-1]
    )
    assert final.usage.output_tokens == 12


def test_tool_use_and_streamed_input_json(claude: anthropic.Anthropic) -> None:
    tools = [{"name": "search", "description": "web", "input_schema": {"type": "object"}}]
    plain = claude.messages.create(model="m", max_tokens=100, messages=MESSAGES, tools=tools)
    assert plain.content[0].type == "text" and plain.stop_reason == "end_turn"
    headers = {"x-mock-tool-call": "search"}
    message = claude.messages.create(
        model="m", max_tokens=100, messages=MESSAGES, tools=tools, extra_headers=headers
    )
    assert message.stop_reason == "tool_use"
    block = message.content[0]
    assert block.type == "tool_use" and block.name == "search" and block.id.startswith("toolu_mock_")
    assert block.input == {"query": "Tell me a joke"}
    assert message.usage.output_tokens == 5  # {"query": "Tell me a joke"}
    with claude.messages.stream(
        model="m", max_tokens=100, messages=MESSAGES, tools=tools, extra_headers=headers
    ) as s:
        final = s.get_final_message()
    assert final.content[0].type == "tool_use" and final.content[0].input == {"query": "Tell me a joke"}


def test_tool_result_text_counts_as_input(claude: anthropic.Anthropic) -> None:
    messages = [
        {"role": "user", "content": "weather please"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "w", "input": {"city": "Oslo"}}],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "sunny and warm"},
                {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "really"}]},
                {"type": "text", "text": "thanks"},
            ],
        },
    ]
    message = claude.messages.create(model="m", max_tokens=100, messages=messages)
    assert message.usage.input_tokens == 2 + 3 + 1 + 1
    assert message.content[0].type == "text" and message.content[0].text == "Mock reply: thanks"
    assert claude.messages.count_tokens(model="m", messages=messages).input_tokens == 7


def test_prompt_caching_write_then_read(mock_server: MockProvider, make_anthropic) -> None:
    client = make_anthropic(mock_server)
    system = [{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}]
    first = client.messages.create(model="m", max_tokens=50, system=system, messages=MESSAGES)
    assert (
        first.usage.input_tokens,
        first.usage.cache_creation_input_tokens,
        first.usage.cache_read_input_tokens,
    ) == (
        4,
        9,
        0,
    )
    second = client.messages.create(model="m", max_tokens=50, system=system, messages=MESSAGES)
    assert (second.usage.cache_creation_input_tokens, second.usage.cache_read_input_tokens) == (0, 9)
    assert second.usage.input_tokens == 4
    with client.messages.stream(model="m", max_tokens=50, system=system, messages=MESSAGES) as stream:
        final = stream.get_final_message()
    assert (final.usage.input_tokens, final.usage.cache_read_input_tokens) == (4, 9)
    # count_tokens reports everything as input and does not touch the cache
    assert client.messages.count_tokens(model="m", system=system, messages=MESSAGES).input_tokens == 13


def test_prompt_caching_forced_by_header(mock_server: MockProvider, make_anthropic) -> None:
    client = make_anthropic(mock_server)
    cached_message = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "big doc here", "cache_control": {"type": "ephemeral"}}],
        }
    ]
    read = client.messages.create(
        model="m", max_tokens=50, messages=cached_message, extra_headers={"x-mock-cache": "read"}
    )
    assert (
        read.usage.input_tokens,
        read.usage.cache_read_input_tokens,
        read.usage.cache_creation_input_tokens,
    ) == (
        0,
        3,
        0,
    )
    write = client.messages.create(
        model="m", max_tokens=50, messages=cached_message, extra_headers={"x-mock-cache": "write"}
    )
    assert (write.usage.cache_creation_input_tokens, write.usage.cache_read_input_tokens) == (3, 0)
    none = client.messages.create(
        model="m", max_tokens=50, messages=cached_message, extra_headers={"x-mock-cache": "none"}
    )
    assert (
        none.usage.input_tokens,
        none.usage.cache_creation_input_tokens,
        none.usage.cache_read_input_tokens,
    ) == (
        3,
        0,
        0,
    )


def test_count_tokens(claude: anthropic.Anthropic) -> None:
    result = claude.messages.count_tokens(model="m", system="one two", messages=MESSAGES)
    assert result.input_tokens == 6


def test_beta_route_with_query_string(mock_server: MockProvider, make_anthropic) -> None:
    client = make_anthropic(mock_server)
    message = client.beta.messages.create(model="m", max_tokens=100, messages=MESSAGES)
    assert message.content[0].type == "text" and message.content[0].text == "Mock reply: Tell me a joke"
    # anthropic>=2 keeps beta=true as an internal qualifier; older SDKs put it in the URL, as here.
    message = client.beta.messages.create(
        model="m", max_tokens=100, messages=MESSAGES, extra_query={"beta": "true", "other": "1"}
    )
    assert message.usage.output_tokens == 6
    assert mock_server.requests[-1].path == "/v1/messages?beta=true&other=1"


def test_legacy_complete_raw_http(mock_provider: MockProvider) -> None:
    def post(body: dict) -> tuple[dict, str]:
        request = urllib.request.Request(
            mock_provider.url + "/v1/complete",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json", "anthropic-version": "2023-06-01"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return response, response.read().decode()

    prompt = "\n\nHuman: tell me more\n\nAssistant:"
    response, text = post({"model": "claude-2.1", "prompt": prompt, "max_tokens_to_sample": 50})
    data = json.loads(text)
    assert data["type"] == "completion" and data["completion"] == " Mock reply: tell me more"
    assert data["stop_reason"] == "stop_sequence"
    response, text = post(
        {"model": "claude-2.1", "prompt": prompt, "max_tokens_to_sample": 50, "stream": True}
    )
    assert response.headers["Content-Type"].startswith("text/event-stream")
    payloads = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    assert "".join(p["completion"] for p in payloads) == " Mock reply: tell me more"
    assert payloads[-1]["stop_reason"] == "stop_sequence"
    assert text.count("event: completion") == len(payloads)


def test_async_client(mock_provider: MockProvider) -> None:
    async def run() -> tuple[str, int]:
        async with anthropic.AsyncAnthropic(
            base_url=mock_provider.anthropic_base_url, api_key="k", max_retries=0
        ) as client:
            created = await client.messages.create(model="m", max_tokens=100, messages=MESSAGES)
            async with client.messages.stream(model="m", max_tokens=100, messages=MESSAGES) as stream:
                final = await stream.get_final_message()
            assert final.content[0].to_dict() == created.content[0].to_dict()
            return final.content[0].text, final.usage.output_tokens  # type: ignore[union-attr]

    assert asyncio.run(run()) == ("Mock reply: Tell me a joke", 6)


def test_streams_reuse_the_connection(mock_server: MockProvider, make_anthropic) -> None:
    client = make_anthropic(mock_server)
    for _ in range(3):
        with client.messages.stream(model="m", max_tokens=100, messages=MESSAGES) as stream:
            stream.get_final_message()
        client.messages.create(model="m", max_tokens=100, messages=MESSAGES)
    assert mock_server.request_count == 6
    assert mock_server.connection_count == 1


def test_structured_output_parse(claude: anthropic.Anthropic) -> None:
    class Answer(anthropic.BaseModel):
        answer: str

    parsed = claude.messages.parse(model="m", max_tokens=100, messages=MESSAGES, output_format=Answer)
    assert parsed.parsed_output is not None
    assert parsed.parsed_output.answer == "Mock reply: Tell me a joke"
    assert parsed.usage.output_tokens == 7  # {"answer": "Mock reply: Tell me a joke"}
