"""The Gemini protocol, with the real google-genai client (Gemini API and Vertex paths) and raw HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from google import genai
from google.genai import errors, types
from google.oauth2.credentials import Credentials

from llm_mock import MockProvider


def _client(server: MockProvider, vertex: bool = False, **headers: str) -> genai.Client:
    options = types.HttpOptions(base_url=server.url, headers=headers)
    if vertex:
        token = Credentials(token="dummy-token")  # never refreshed: no network
        return genai.Client(
            vertexai=True, project="p", location="us-central1", credentials=token, http_options=options
        )
    return genai.Client(api_key="test-key", http_options=options)


@pytest.mark.parametrize("vertex", [False, True])
def test_generate_content_and_its_usage(mock_provider: MockProvider, vertex: bool):
    client = _client(mock_provider, vertex, **{"x-mock-reasoning-tokens": "2", "x-mock-cached-tokens": "1"})
    reply = client.models.generate_content(
        model="gemini-2.5-flash", contents="What is up", config={"system_instruction": "Be terse."}
    )
    assert reply.text == "Mock reply: What is up"
    assert reply.candidates[0].finish_reason == types.FinishReason.STOP
    usage = reply.usage_metadata
    # Prompt: 3 + 2 words, plus the cached token (Gemini counts cached content into the prompt).
    assert (usage.prompt_token_count, usage.cached_content_token_count) == (6, 1)
    assert (usage.candidates_token_count, usage.total_token_count) == (5, 6 + 5 + 2)
    path = mock_provider.last_request.path
    expected = "/projects/p/locations/us-central1/publishers/google/models/" if vertex else "/models/"
    assert expected + "gemini-2.5-flash:generateContent" in path


def test_stream_usage_is_cumulative(mock_provider: MockProvider):
    client = _client(mock_provider)
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="a b"))
    assert "".join(c.text for c in chunks) == "Mock reply: a b"
    assert [c.usage_metadata.candidates_token_count for c in chunks] == [1, 2, 3, 4]
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert mock_provider.last_request.path.endswith(":streamGenerateContent?alt=sse")


def test_max_tokens_json_and_tool_calls(mock_provider: MockProvider):
    client = _client(mock_provider)
    short = client.models.generate_content(
        model="m", contents="one two three", config={"max_output_tokens": 2}
    )
    assert (short.text, short.candidates[0].finish_reason) == ("Mock reply:", types.FinishReason.MAX_TOKENS)
    structured = client.models.generate_content(
        model="m", contents="hi", config={"response_mime_type": "application/json"}
    )
    assert json.loads(structured.text) == {"answer": "Mock reply: hi"}
    calling = _client(mock_provider, **{"x-mock-tool-call": "lookup"})
    call = calling.models.generate_content(model="m", contents="find it").function_calls[0]
    assert (call.name, call.args) == ("lookup", {"query": "find it"})


@pytest.mark.parametrize("vertex", [False, True])
def test_embeddings_and_count_tokens(mock_provider: MockProvider, vertex: bool):
    client = _client(mock_provider, vertex)
    result = client.models.embed_content(model="text-embedding-004", contents=["one two", "three"])
    assert [len(e.values) for e in result.embeddings] == [8, 8]
    if vertex:  # predict: token counts per instance
        assert [e.statistics.token_count for e in result.embeddings] == [2, 1]
        assert mock_provider.last_request.path.endswith(":predict")
    else:
        assert mock_provider.last_request.path.endswith(":batchEmbedContents")
    assert client.models.count_tokens(model="gemini-2.5-flash", contents="one two three").total_tokens == 3


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [(429, errors.ClientError, "RESOURCE_EXHAUSTED"), (503, errors.ServerError, "UNAVAILABLE")],
)
def test_errors_in_googles_shape(mock_provider: MockProvider, status: int, kind: type, code: str):
    client = _client(mock_provider, **{"x-mock-fail": str(status)})
    with pytest.raises(kind) as caught:
        client.models.generate_content(model="m", contents="hi")
    assert (caught.value.code, caught.value.status) == (status, code)


def test_unknown_method_is_a_google_404(mock_provider: MockProvider):
    request = urllib.request.Request(
        mock_provider.url + "/v1beta/models/m:unknownMethod",
        data=b"{}",
        headers={"content-type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 404
    assert json.loads(caught.value.read())["error"]["status"] == "NOT_FOUND"
