from __future__ import annotations

import asyncio
import base64
import json
import math
import urllib.request

import openai

from llm_mock import MockProvider


def test_legacy_completion(oai: openai.OpenAI) -> None:
    completion = oai.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say this is a test")
    assert completion.object == "text_completion"
    assert completion.id.startswith("cmpl-mock-")
    assert completion.choices[0].text == "Mock reply: Say this is a test"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (5, 7)


def test_legacy_completion_prompt_list_tokens_and_limit(oai: openai.OpenAI) -> None:
    completion = oai.completions.create(model="m", prompt=["a b", "c d e"], max_tokens=3)
    assert [c.text for c in completion.choices] == ["Mock reply: a", "Mock reply: c"]
    assert [c.finish_reason for c in completion.choices] == ["length", "length"]
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (5, 6)
    by_ids = oai.completions.create(model="m", prompt=[101, 102, 103])
    assert by_ids.choices[0].text == "Mock reply: 101 102 103"
    assert by_ids.usage is not None and by_ids.usage.prompt_tokens == 3


def test_legacy_completion_stream(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.completions.create(
            model="m", prompt="hi there", stream=True, stream_options={"include_usage": True}
        )
    )
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "Mock reply: hi there"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 6


def test_embeddings_float_and_base64_match(oai: openai.OpenAI) -> None:
    floats = oai.embeddings.create(
        model="text-embedding-3-small", input=["hello world", "x"], encoding_format="float"
    )
    # The SDK asks for base64 when no format is given and decodes it to floats itself.
    decoded = oai.embeddings.create(model="text-embedding-3-small", input=["hello world", "x"])
    assert decoded.model == "text-embedding-3-small"
    assert [d.index for d in floats.data] == [0, 1]
    assert [d.embedding for d in floats.data] == [d.embedding for d in decoded.data]
    assert all(len(d.embedding) == 8 for d in floats.data)
    assert math.isclose(math.sqrt(sum(v * v for v in floats.data[0].embedding)), 1.0, rel_tol=1e-5)
    assert floats.data[0].embedding != floats.data[1].embedding
    assert (floats.usage.prompt_tokens, floats.usage.total_tokens) == (3, 3)
    again = oai.embeddings.create(model="m", input="hello world", encoding_format="float")
    assert again.data[0].embedding == floats.data[0].embedding


def test_embeddings_raw_base64_dimensions_and_token_arrays(oai: openai.OpenAI) -> None:
    raw = oai.embeddings.create(model="m", input=[[1, 2, 3], [4]], dimensions=4, encoding_format="base64")
    payload = raw.data[0].embedding
    assert isinstance(payload, str)
    assert len(base64.b64decode(payload)) == 4 * 4
    assert raw.usage.prompt_tokens == 4


ANSWER_SCHEMA = {
    "type": "json_schema",
    "name": "answer",
    "schema": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]},
}


def test_responses_create(oai: openai.OpenAI) -> None:
    response = oai.responses.create(
        model="gpt-4.1",
        instructions="Be brief.",
        input=[
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "first answer"},
            {"role": "user", "content": [{"type": "input_text", "text": "second question here"}]},
        ],
    )
    assert response.object == "response"
    assert response.id.startswith("resp_mock_")
    assert response.status == "completed"
    assert response.output_text == "Mock reply: second question here"
    assert response.output[0].type == "message"
    usage = response.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (9, 5, 14)
    assert usage.input_tokens_details.cached_tokens == 0
    assert usage.output_tokens_details.reasoning_tokens == 0


def test_responses_headers_and_tool_call(oai: openai.OpenAI) -> None:
    response = oai.responses.create(
        model="o4-mini",
        input="weather in Paris",
        tools=[
            {"type": "function", "name": "get_weather", "parameters": {"type": "object"}, "strict": False}
        ],
        extra_headers={
            "x-mock-tool-call": "get_weather",
            "x-mock-cached-tokens": "2",
            "x-mock-reasoning-tokens": "7",
        },
    )
    call = response.output[0]
    assert call.type == "function_call"
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"query": "weather in Paris"}
    usage = response.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens) == (3, 4 + 7)
    assert usage.input_tokens_details.cached_tokens == 2
    assert usage.output_tokens_details.reasoning_tokens == 7


def test_responses_truncation_is_incomplete(oai: openai.OpenAI) -> None:
    response = oai.responses.create(model="m", input="one two three", max_output_tokens=2)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output_text == "Mock reply:"


def test_responses_stream_event_sequence(oai: openai.OpenAI) -> None:
    events = list(oai.responses.create(model="m", input="hi there", stream=True))
    types = [e.type for e in events]
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * 4,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert (
        "".join(e.delta for e in events if e.type == "response.output_text.delta") == "Mock reply: hi there"
    )
    final = events[-1].response  # type: ignore[union-attr]
    assert final.usage is not None and (final.usage.input_tokens, final.usage.output_tokens) == (2, 4)


def test_responses_stream_helper_and_tool_stream(oai: openai.OpenAI) -> None:
    with oai.responses.stream(model="m", input="hi there") as stream:
        final = stream.get_final_response()
    assert final.output_text == "Mock reply: hi there"
    with oai.responses.stream(
        model="m",
        input="hi there",
        tools=[{"type": "function", "name": "lookup", "parameters": {"type": "object"}, "strict": False}],
        extra_headers={"x-mock-tool-call": "lookup"},
    ) as stream:
        final = stream.get_final_response()
    assert final.output[0].type == "function_call"
    assert json.loads(final.output[0].arguments) == {"query": "hi there"}


def test_responses_parse_structured_output(oai: openai.OpenAI) -> None:
    class Answer(openai.BaseModel):
        answer: str

    parsed = oai.responses.parse(model="m", input="capital of Peru?", text_format=Answer)
    assert parsed.output_parsed is not None
    assert parsed.output_parsed.answer == "Mock reply: capital of Peru?"
    raw = oai.responses.create(model="m", input="x", text={"format": ANSWER_SCHEMA})
    assert json.loads(raw.output_text) == {"answer": "Mock reply: x"}
    assert raw.usage is not None and raw.usage.output_tokens == 4


def test_responses_async_stream(mock_provider: MockProvider) -> None:
    async def run() -> str:
        async with openai.AsyncOpenAI(
            base_url=mock_provider.openai_base_url, api_key="k", max_retries=0
        ) as client:
            async with client.responses.stream(model="m", input="async works") as stream:
                final = await stream.get_final_response()
            return final.output_text

    assert asyncio.run(run()) == "Mock reply: async works"


def test_images_b64_and_url(oai: openai.OpenAI) -> None:
    image = oai.images.generate(model="gpt-image-1", prompt="a small red cat", n=2)
    assert image.data is not None and len(image.data) == 2
    png = base64.b64decode(image.data[0].b64_json or "")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert image.usage is not None
    assert (image.usage.input_tokens, image.usage.output_tokens, image.usage.total_tokens) == (4, 32, 36)
    by_url = oai.images.generate(model="dall-e-3", prompt="a dog", response_format="url")
    assert by_url.data is not None and by_url.data[0].url
    with urllib.request.urlopen(by_url.data[0].url, timeout=5) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert response.read() == png
