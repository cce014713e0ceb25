"""Legacy completions, embeddings, the Responses API and images, sync and async, streamed and not."""

from __future__ import annotations

from typing import Any

import pytest
from openai_support import (
    HAS_RESPONSES,
    HAS_RESPONSES_PARSE,
    accepted,
    call,
    drain,
    llm,
    make_client,
    no_tokens,
    only_span,
    run,
    tokens,
)
from pydantic import BaseModel

from opentelemetry.semconv_ai.testing import Capture

TTFC = "gen_ai.client.operation.time_to_first_chunk"
INSTRUCT = {"operation": "text_completion", "model": "gpt-3.5-turbo-instruct"}
needs_responses = pytest.mark.skipif(not HAS_RESPONSES, reason="the Responses API needs openai >= 1.66")


class Answer(BaseModel):
    answer: str


def test_completions(capture: Capture, client: Any) -> None:
    async def body() -> None:
        result = await call(
            client.completions.create(model="gpt-3.5-turbo-instruct", prompt="say this", temperature=0.1)
        )
        assert result.choices[0].text == "Mock reply: say this"

    run(client, body)
    span = only_span(capture)
    assert span.name == "text_completion gpt-3.5-turbo-instruct"
    assert span.attributes["gen_ai.request.temperature"] == 0.1
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert span.attributes["gen_ai.response.id"].startswith("cmpl-mock-")
    assert tokens(capture, "input", **INSTRUCT) == 2
    assert tokens(capture, "output", **INSTRUCT) == 4


def test_completions_stream(capture: Capture, client: Any) -> None:
    async def body() -> None:
        stream = await call(
            client.completions.create(
                model="gpt-3.5-turbo-instruct",
                prompt="say this",
                stream=True,
                extra_body={"stream_options": {"include_usage": True}},  # works on every SDK version
            )
        )
        chunks = await drain(stream)
        assert "".join(c.choices[0].text for c in chunks if c.choices) == "Mock reply: say this"

    run(client, body)
    attrs = only_span(capture).attributes
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert tokens(capture, "input", **INSTRUCT) == 2
    assert tokens(capture, "output", **INSTRUCT) == 4
    assert capture.count(TTFC) == 1


def test_embeddings(capture: Capture, client: Any) -> None:
    from openai.resources.embeddings import Embeddings

    given = accepted(Embeddings, "create", dimensions=4, encoding_format="float")

    async def body() -> None:
        result = await call(
            client.embeddings.create(model="text-embedding-3-small", input=["a b", "c"], **given)
        )
        assert len(result.data) == 2

    run(client, body)
    span = only_span(capture)
    assert span.name == "embeddings text-embedding-3-small"
    if "dimensions" in given:
        assert span.attributes["gen_ai.embeddings.dimension.count"] == 4
    assert span.attributes["gen_ai.request.encoding_formats"] == ("float",)
    assert span.attributes["gen_ai.usage.input_tokens"] == 3
    assert "gen_ai.usage.output_tokens" not in span.attributes
    labels = {"operation": "embeddings", "model": "text-embedding-3-small"}
    assert tokens(capture, "input", **labels) == 3
    assert tokens(capture, "output", **labels) == 0


def test_images_have_duration_but_no_tokens(capture: Capture, client: Any) -> None:
    from openai.resources.images import Images

    given = accepted(Images, "generate", model="gpt-image-1")  # openai 1.0 has no model parameter
    model = given.get("model", "unknown")

    async def body() -> None:
        result = await call(client.images.generate(prompt="a small cat", **given))
        assert result.data[0].b64_json

    run(client, body)
    span = only_span(capture)
    assert span.name == ("image_generation gpt-image-1" if given else "image_generation")
    assert span.attributes["gen_ai.output.type"] == "image"
    assert no_tokens(capture)
    labels = llm(operation="image_generation", model=model)
    assert capture.value("llm.requests", labels) == 1
    assert capture.count("llm.operation.duration", labels) == 1


@needs_responses
def test_responses_create(capture: Capture, client: Any) -> None:
    headers = {"x-mock-cached-tokens": "1", "x-mock-reasoning-tokens": "2"}

    async def body() -> None:
        result = await call(
            client.responses.create(
                model="gpt-4o",
                input="hi there",
                instructions="be brief",
                max_output_tokens=100,
                extra_headers=headers,
            )
        )
        assert result.output_text == "Mock reply: hi there"

    run(client, body)
    span = only_span(capture)
    assert span.name == "chat gpt-4o"
    attrs = span.attributes
    assert attrs["gen_ai.request.max_tokens"] == 100
    assert attrs["gen_ai.response.id"].startswith("resp_mock_")
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 1
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 2
    assert tokens(capture, "input") == 4  # instructions + input
    assert tokens(capture, "output") == 6  # reply + reasoning


@needs_responses
def test_responses_stream(capture: Capture, client: Any) -> None:
    async def body() -> None:
        stream = await call(client.responses.create(model="gpt-4o", input="hi there", stream=True))
        events = await drain(stream)
        assert events[-1].type == "response.completed"

    run(client, body)
    attrs = only_span(capture).attributes
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert tokens(capture, "input") == 2
    assert tokens(capture, "output") == 4
    assert capture.count(TTFC) == 1


@needs_responses
def test_responses_stream_helper(capture: Capture, mock_provider: Any) -> None:
    sync = make_client(mock_provider.openai_base_url, False)
    with sync.responses.stream(model="gpt-4o", input="hi there") as stream:
        assert stream.get_final_response().output_text == "Mock reply: hi there"
    with sync.responses.stream(model="gpt-4o", input="a b c") as stream:
        for _ in stream:
            break  # abandoned: ends when the block closes the stream
    sync.close()
    aio = make_client(mock_provider.openai_base_url, True)

    async def body() -> None:
        async with aio.responses.stream(model="gpt-4o", input="hi there") as stream:
            assert (await stream.get_final_response()).output_text == "Mock reply: hi there"

    run(aio, body)
    spans = capture.spans()
    assert len(spans) == 3
    assert spans[1].attributes["gen_ai.response.id"].startswith("resp_mock_")
    assert "gen_ai.usage.input_tokens" not in spans[1].attributes
    assert tokens(capture, "input") == 4
    assert tokens(capture, "output") == 8
    assert capture.count(TTFC) == 3


@pytest.mark.skipif(not HAS_RESPONSES_PARSE, reason="responses.parse needs a newer openai")
def test_responses_parse(capture: Capture, client: Any) -> None:
    async def body() -> None:
        result = await call(client.responses.parse(model="gpt-4o", input="hi", text_format=Answer))
        assert result.output_parsed == Answer(answer="Mock reply: hi")

    run(client, body)
    attrs = only_span(capture).attributes
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["gen_ai.usage.output_tokens"] == 4
    assert tokens(capture, "input") == 1


@needs_responses
def test_responses_truncated_is_length(capture: Capture, client: Any) -> None:
    async def body() -> None:
        result = await call(client.responses.create(model="gpt-4o", input="a b c d", max_output_tokens=2))
        assert result.status == "incomplete"

    run(client, body)
    attrs = only_span(capture).attributes
    assert attrs["gen_ai.response.finish_reasons"] == ("length",)
    assert attrs["gen_ai.usage.output_tokens"] == 2
