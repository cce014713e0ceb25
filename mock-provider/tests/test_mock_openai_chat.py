from __future__ import annotations

import asyncio
import json

import openai

from llm_mock import MockProvider

MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "What is the capital of France?"},
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the web",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
    }
]


def test_non_stream_exact_usage_and_fields(oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    completion = raw.parse()
    assert raw.headers["x-request-id"].startswith("req_")
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-mock-")
    assert completion.model == "gpt-4o-mini"
    assert completion.system_fingerprint == "fp_mock"
    assert completion.service_tier == "default"
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "Mock reply: What is the capital of France?"
    assert choice.finish_reason == "stop"
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (9, 8, 17)
    assert usage.prompt_tokens_details is not None and usage.prompt_tokens_details.cached_tokens == 0
    assert (
        usage.completion_tokens_details is not None and usage.completion_tokens_details.reasoning_tokens == 0
    )


def test_text_parts_service_tier_and_reply_override(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="m",
        messages=[
            {
                "role": "user",
                "content": [{"type": "text", "text": "one two"}, {"type": "text", "text": "three"}],
            }
        ],
        service_tier="flex",
        extra_headers={"x-mock-reply": "Exactly  this   reply"},
    )
    assert completion.choices[0].message.content == "Exactly this reply"
    assert completion.service_tier == "flex"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (3, 3)


def test_stream_without_usage(oai: openai.OpenAI) -> None:
    chunks = list(oai.chat.completions.create(model="m", messages=MESSAGES, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""
    pieces = [c.choices[0].delta.content for c in chunks[1:-1]]
    assert pieces == ["Mock", " reply:", " What", " is", " the", " capital", " of", " France?"]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)
    assert all(c.object == "chat.completion.chunk" for c in chunks)


def test_stream_with_include_usage(oai: openai.OpenAI) -> None:
    stream = oai.chat.completions.create(
        model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[-1].choices == []
    usage = chunks[-1].usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (9, 8, 17)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Mock reply: What is the capital of France?"
    assert chunks[-2].choices[0].finish_reason == "stop"


def test_truncation_by_max_tokens(oai: openai.OpenAI) -> None:
    for limit in ({"max_tokens": 3}, {"max_completion_tokens": 3}):
        completion = oai.chat.completions.create(model="m", messages=MESSAGES, **limit)
        assert completion.choices[0].message.content == "Mock reply: What"
        assert completion.choices[0].finish_reason == "length"
        assert completion.usage is not None and completion.usage.completion_tokens == 3


def test_n_choices_multiply_output(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model="m", messages=MESSAGES, n=3)
    assert [c.index for c in completion.choices] == [0, 1, 2]
    assert {c.message.content for c in completion.choices} == {"Mock reply: What is the capital of France?"}
    assert completion.usage is not None and completion.usage.completion_tokens == 24


def test_tools_without_header_stay_text(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(model="m", messages=MESSAGES, tools=TOOLS)
    assert completion.choices[0].message.tool_calls is None
    assert completion.choices[0].finish_reason == "stop"


def test_tool_call(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="m", messages=MESSAGES, tools=TOOLS, extra_headers={"x-mock-tool-call": "search"}
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert calls is not None and len(calls) == 1
    assert calls[0].type == "function" and calls[0].id.startswith("call_mock_")
    assert calls[0].function.name == "search"
    assert json.loads(calls[0].function.arguments) == {"query": "What is the capital of France?"}
    # {"query": "What is the capital of France?"} is 7 words
    assert completion.usage is not None and completion.usage.completion_tokens == 7


def test_tool_call_stream_deltas(oai: openai.OpenAI) -> None:
    stream = oai.chat.completions.create(
        model="m", messages=MESSAGES, tools=TOOLS, stream=True, extra_headers={"x-mock-tool-call": "search"}
    )
    chunks = list(stream)
    first = chunks[0].choices[0].delta.tool_calls
    assert first is not None and first[0].id and first[0].function is not None
    assert first[0].function.name == "search"
    pieces = [c.choices[0].delta.tool_calls[0].function.arguments for c in chunks[1:3]]  # type: ignore[index,union-attr]
    assert len(pieces) == 2 and all(pieces)
    assert json.loads("".join(pieces)) == {"query": "What is the capital of France?"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_tool_call_stream_helper_accumulates(oai: openai.OpenAI) -> None:
    with oai.chat.completions.stream(
        model="m", messages=MESSAGES, tools=TOOLS, extra_headers={"x-mock-tool-call": "search"}
    ) as stream:
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert calls is not None and calls[0].function.name == "search"
    assert json.loads(calls[0].function.arguments)["query"] == "What is the capital of France?"


def test_cached_and_reasoning_tokens(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="o3",
        messages=MESSAGES,
        extra_headers={"x-mock-cached-tokens": "5", "x-mock-reasoning-tokens": "10"},
    )
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens_details is not None and usage.prompt_tokens_details.cached_tokens == 5
    assert (
        usage.completion_tokens_details is not None and usage.completion_tokens_details.reasoning_tokens == 10
    )
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (9, 18, 27)


def test_json_response_formats(oai: openai.OpenAI) -> None:
    schema = {
        "type": "json_schema",
        "json_schema": {
            "name": "answer",
            "schema": {"type": "object", "properties": {"answer": {"type": "string"}}},
        },
    }
    for response_format in ({"type": "json_object"}, schema):
        completion = oai.chat.completions.create(
            model="m", messages=MESSAGES, response_format=response_format
        )
        content = completion.choices[0].message.content
        assert content is not None
        assert json.loads(content) == {"answer": "Mock reply: What is the capital of France?"}
        assert (
            completion.usage is not None and completion.usage.completion_tokens == len(content.split()) == 9
        )


def test_parse_with_model(oai: openai.OpenAI) -> None:
    class Answer(openai.BaseModel):
        answer: str

    completion = oai.chat.completions.parse(model="m", messages=MESSAGES, response_format=Answer)
    parsed = completion.choices[0].message.parsed
    assert parsed is not None and parsed.answer == "Mock reply: What is the capital of France?"


def test_async_client_stream_and_create(mock_provider: MockProvider) -> None:
    async def run() -> tuple[str, int]:
        async with openai.AsyncOpenAI(
            base_url=mock_provider.openai_base_url, api_key="k", max_retries=0
        ) as client:
            stream = await client.chat.completions.create(
                model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
            )
            text = ""
            total = 0
            async for chunk in stream:
                if chunk.choices:
                    text += chunk.choices[0].delta.content or ""
                if chunk.usage:
                    total = chunk.usage.total_tokens
            again = await client.chat.completions.create(model="m", messages=MESSAGES)
            assert again.usage is not None and again.usage.total_tokens == total
            return text, total

    assert asyncio.run(run()) == ("Mock reply: What is the capital of France?", 17)


def test_keep_alive_reuse(mock_server: MockProvider, make_openai) -> None:
    client = make_openai(mock_server)
    for _ in range(3):
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert mock_server.connection_count == 1
    for _ in range(3):
        assert len(list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))) == 10
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert mock_server.request_count == 9
    # The sync SDK stops reading at [DONE] and closes the response before the chunked terminator is parsed,
    # so httpcore drops that connection: one new connection per stream, and the next request still works.
    assert mock_server.connection_count == 4


def test_async_stream_keeps_connection(mock_server: MockProvider) -> None:
    async def run() -> None:
        async with openai.AsyncOpenAI(
            base_url=mock_server.openai_base_url, api_key="k", max_retries=0
        ) as client:
            for _ in range(3):
                stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
                assert len([chunk async for chunk in stream]) == 10
                await client.chat.completions.create(model="m", messages=MESSAGES)

    asyncio.run(run())
    assert mock_server.request_count == 6
    # The async SDK drains the body after [DONE], so the connection goes back to the pool.
    assert mock_server.connection_count == 1
