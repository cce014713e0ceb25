"""Raw and streamed-raw responses, providers, content capture and secrets, and uninstrument()."""

from __future__ import annotations

import importlib
import json
from typing import Any

import openai
import pytest
from openai_support import (
    API_KEY,
    HAS_RESPONSES,
    HAS_STREAMING_RESPONSE,
    HAS_TOOLS,
    call,
    drain,
    llm,
    make_client,
    only_span,
    run,
    status_error_type,
    tokens,
    user,
)

from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.instrumentation.openai.adapter import provider_for
from opentelemetry.semconv_ai import is_patched
from opentelemetry.semconv_ai.testing import Capture

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
    }
]


def test_with_raw_response(capture: Capture, client: Any) -> None:
    async def body() -> None:
        raw = await call(
            client.chat.completions.with_raw_response.create(model="gpt-4o", messages=user("hi"))
        )
        assert raw.headers["x-request-id"].startswith("req_")
        completion = await call(raw.parse())
        assert completion.choices[0].message.content == "Mock reply: hi"

    run(client, body)
    assert only_span(capture).attributes["gen_ai.response.id"].startswith("chatcmpl-mock-")
    assert tokens(capture, "input") == 1
    assert tokens(capture, "output") == 3
    assert capture.count("llm.operation.duration", llm()) == 1


@pytest.mark.skipif(not HAS_STREAMING_RESPONSE, reason="with_streaming_response needs a newer openai")
def test_with_streaming_response(capture: Capture, client: Any) -> None:
    async def body() -> None:
        manager = client.chat.completions.with_streaming_response.create(model="gpt-4o", messages=user("hi"))
        if isinstance(client, openai.AsyncOpenAI):
            async with manager as response:
                completion = await response.parse()
        else:
            with manager as response:
                completion = response.parse()
        assert completion.choices[0].message.content == "Mock reply: hi"

    run(client, body)
    span = only_span(capture)
    assert span.status.is_ok
    # Measured (duration, errors) up to the response headers; the body is the caller's to read.
    assert capture.value("llm.requests", llm()) == 1
    assert capture.count("llm.operation.duration", llm()) == 1


def test_raw_response_errors_are_measured(capture: Capture, client: Any) -> None:
    async def body() -> BaseException:
        with pytest.raises(openai.RateLimitError) as info:
            await call(
                client.chat.completions.with_raw_response.create(
                    model="gpt-4o", messages=user("hi"), extra_headers={"x-mock-fail": "429"}
                )
            )
        return info.value

    exc = run(client, body)
    assert only_span(capture).attributes["error.type"] == status_error_type(exc, "rate_limit_exceeded")
    assert capture.value("llm.operation.errors", llm()) == 1


@pytest.mark.parametrize(
    ("host", "provider"),
    [
        ("api.openai.com", "openai"),
        ("my-resource.openai.azure.com", "azure.ai.openai"),
        ("my-resource.cognitiveservices.azure.com", "azure.ai.openai"),
        ("api.deepseek.com", "deepseek"),
        ("api.groq.com", "groq"),
        ("api.x.ai", "x_ai"),
        ("api.mistral.ai", "mistral_ai"),
        ("api.perplexity.ai", "perplexity"),
        ("notdeepseek.com", "openai"),
        ("localhost", "openai"),
    ],
)
def test_provider_from_host(host: str, provider: str) -> None:
    assert provider_for(host) == provider


def test_azure_client(capture: Capture, mock_server: Any) -> None:
    completion = {
        "id": "chatcmpl-azure",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-2024-08-06",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "hi"},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }
    mock_server.enqueue(body=completion)
    client = openai.AzureOpenAI(azure_endpoint=mock_server.url, api_key=API_KEY, api_version="2024-06-01")
    client.chat.completions.create(model="gpt-4o", messages=user("hello"))
    client.close()
    assert "/openai/deployments/gpt-4o/chat/completions" in mock_server.last_request.path
    attrs = only_span(capture).attributes
    assert attrs["gen_ai.provider.name"] == "azure.ai.openai"
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == mock_server.port
    assert attrs["gen_ai.response.model"] == "gpt-4o-2024-08-06"
    assert tokens(capture, "input", provider="azure.ai.openai") == 5


def _all_attribute_text(capture: Capture) -> str:
    return json.dumps([dict(span.attributes) for span in capture.spans()], default=str)


@pytest.mark.skipif(not HAS_TOOLS, reason="tools need openai >= 1.1")
def test_content_is_off_by_default(capture: Capture, client: Any) -> None:
    async def body() -> None:
        await call(client.chat.completions.create(model="gpt-4o", messages=user("secret plan"), tools=TOOLS))

    run(client, body)
    text = _all_attribute_text(capture)
    assert "secret plan" not in text
    assert "get_weather" not in text
    assert not any(
        key.startswith("gen_ai.input") or key.startswith("gen_ai.output.messages")
        for key in json.loads(text)[0]
    )


@pytest.mark.skipif(not HAS_TOOLS, reason="tools need openai >= 1.1")
def test_content_capture_with_tool_calls(capture: Capture, content_on: None, client: Any) -> None:
    headers = {"x-mock-tool-call": "get_weather", "x-secret-header": "sk-live-abcdefghijklmnopqrstuvwxyz"}

    async def body() -> None:
        messages = [{"role": "system", "content": "be brief"}, *user("weather in Paris")]
        await call(
            client.chat.completions.create(
                model="gpt-4o", messages=messages, tools=TOOLS, extra_headers=headers
            )
        )
        stream = await call(
            client.chat.completions.create(
                model="gpt-4o", messages=messages, tools=TOOLS, extra_headers=headers, stream=True
            )
        )
        await drain(stream)

    run(client, body)
    whole, streamed = capture.spans()
    for span in (whole, streamed):
        attrs = span.attributes
        assert json.loads(attrs["gen_ai.input.messages"]) == [
            {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
            {"role": "user", "parts": [{"type": "text", "content": "weather in Paris"}]},
        ]
        assert json.loads(attrs["gen_ai.tool.definitions"])[0]["function"]["name"] == "get_weather"
        (output,) = json.loads(attrs["gen_ai.output.messages"])
        assert output["finish_reason"] == "tool_calls"
        (part,) = output["parts"]
        assert part["type"] == "tool_call"
        assert part["name"] == "get_weather"
        assert part["arguments"] == {"query": "weather in Paris"}
        assert part["id"].startswith("call_mock_")
    text = _all_attribute_text(capture)
    assert API_KEY not in text
    assert "sk-live" not in text
    assert "x-secret-header" not in text


@pytest.mark.skipif(not HAS_RESPONSES, reason="the Responses API needs openai >= 1.66")
def test_responses_content_capture(capture: Capture, content_on: None, client: Any) -> None:
    async def body() -> None:
        await call(client.responses.create(model="gpt-4o", input="hi there", instructions="be brief"))
        stream = await call(client.responses.create(model="gpt-4o", input="hi there", stream=True))
        await drain(stream)

    run(client, body)
    whole, streamed = capture.spans()
    assert json.loads(whole.attributes["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "be brief"}
    ]
    for span in (whole, streamed):
        assert json.loads(span.attributes["gen_ai.input.messages"]) == [
            {"role": "user", "parts": [{"type": "text", "content": "hi there"}]}
        ]
        assert json.loads(span.attributes["gen_ai.output.messages"]) == [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": "Mock reply: hi there"}],
                "finish_reason": "stop",
            }
        ]


def test_streamed_text_is_reassembled_for_output(capture: Capture, content_on: None, client: Any) -> None:
    async def body() -> None:
        stream = await call(
            client.chat.completions.create(model="gpt-4o", messages=user("a b c"), stream=True)
        )
        await drain(stream)
        stream = await call(
            client.completions.create(model="gpt-3.5-turbo-instruct", prompt="x y", stream=True)
        )
        await drain(stream)

    run(client, body)
    chat, completion = capture.spans()
    assert json.loads(chat.attributes["gen_ai.output.messages"])[0]["parts"] == [
        {"type": "text", "content": "Mock reply: a b c"}
    ]
    assert json.loads(completion.attributes["gen_ai.output.messages"])[0]["parts"] == [
        {"type": "text", "content": "Mock reply: x y"}
    ]


_TARGETS = [
    ("openai.resources.chat.completions", "Completions", "create"),
    ("openai.resources.chat.completions", "AsyncCompletions", "create"),
    ("openai.resources.chat.completions", "Completions", "parse"),
    ("openai.resources.completions", "Completions", "create"),
    ("openai.resources.embeddings", "AsyncEmbeddings", "create"),
    ("openai.resources.images", "Images", "generate"),
    ("openai.resources.responses", "Responses", "create"),
    ("openai.lib.streaming.chat", "ChatCompletionStream", "close"),
]


def _originals() -> dict[tuple[str, str, str], Any]:
    found = {}
    for module, name, method in _TARGETS:
        try:
            owner = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        if method in owner.__dict__:
            found[(module, name, method)] = (owner, owner.__dict__[method])
    return found


def test_uninstrument_restores_the_sdk_exactly(mock_provider: Any) -> None:
    before = _originals()
    assert before and not any(is_patched(original) for _, original in before.values())
    capture = Capture()
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider)
    assert all(is_patched(owner.__dict__[key[2]]) for key, (owner, _) in before.items())
    instrumentor.uninstrument()
    assert all(owner.__dict__[key[2]] is original for key, (owner, original) in before.items())
    client = make_client(mock_provider.openai_base_url, False)
    client.chat.completions.create(model="gpt-4o", messages=user("hi"))
    client.close()
    assert capture.spans() == []
    capture.shutdown()


def test_uninstrument_also_disarms_wrappers_the_sdk_kept(mock_provider: Any) -> None:
    capture = Capture()
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider)
    client = make_client(mock_provider.openai_base_url, False)
    raw = client.chat.completions.with_raw_response  # binds the instrumented create once
    raw.create(model="gpt-4o", messages=user("hi"))
    instrumentor.uninstrument()
    raw.create(model="gpt-4o", messages=user("hi"))
    client.close()
    assert len(capture.spans()) == 1
    capture.shutdown()


def test_registered_as_opentelemetry_instrumentor() -> None:
    from importlib.metadata import entry_points

    (entry,) = [e for e in entry_points(group="opentelemetry_instrumentor") if e.name == "openai"]
    assert entry.load() is OpenAIInstrumentor
    assert OpenAIInstrumentor().instrumentation_dependencies() == ("openai >= 1.0, < 4",)


def test_entry_point_loads_without_openai_installed() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['openai'] = None\n"
        "from opentelemetry.instrumentation.openai import OpenAIInstrumentor\n"
        "print(OpenAIInstrumentor().instrumentation_dependencies())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


LAZY_SCENARIO = """
import json, sys
import openai
from opentelemetry.instrumentation.openai import OpenAIInstrumentor
from opentelemetry.semconv_ai import is_patched
from opentelemetry.semconv_ai.testing import Capture

before = set(sys.modules)
capture = Capture()
instrumentor = OpenAIInstrumentor()
instrumentor.instrument(
    tracer_provider=capture.tracer_provider, meter_provider=capture.meter_provider, inject_stream_usage=True
)
imported = sorted(m for m in set(sys.modules) - before if m.startswith("openai"))
client = openai.OpenAI(base_url=sys.argv[1], api_key="sk-test-0123456789abcdefghij", max_retries=0)
hi = [{"role": "user", "content": "hi"}]
list(client.chat.completions.create(model="gpt-4o", messages=hi, stream=True))
client.embeddings.create(model="text-embedding-3-small", input="one two three")
Completions = sys.modules["openai.resources.chat.completions"].Completions
patched = is_patched(Completions.__dict__["create"])
instrumentor.uninstrument()
print(json.dumps({
    "imported": imported,
    "patched": patched,
    "restored": not is_patched(Completions.__dict__["create"]),
    "spans": sorted(span.name for span in capture.spans()),
    "tokens": capture.value("llm.tokens.usage"),
}))
"""


def test_resources_openai_loads_lazily_are_patched_when_first_used(mock_provider: Any) -> None:
    """instrument() imports none of openai's lazily loaded resources; the first use patches them."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", LAZY_SCENARIO, mock_provider.openai_base_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["imported"] == []
    assert out["patched"] and out["restored"]
    assert out["spans"] == ["chat gpt-4o", "embeddings text-embedding-3-small"]
    assert (
        out["tokens"] == 1 + 3 + 3
    )  # chat in + out (usage injected on the lazily patched create) + embeddings in
