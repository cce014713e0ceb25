"""The Bedrock protocol, read by botocore itself: JSON bodies, event-stream framing, AWS errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from llm_mock import MockProvider
from llm_mock.routes.bedrock import encode_message

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer  # noqa: E402
from botocore.exceptions import EventStreamError  # noqa: E402

USER = [{"role": "user", "content": [{"text": "Tell me a joke"}]}]  # 4 tokens


def runtime(mock: MockProvider, **headers: str) -> Any:
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=mock.url,
        aws_access_key_id="k",
        aws_secret_access_key="s",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )

    def add(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            request.headers[name] = value

    client.meta.events.register_first("before-sign.bedrock-runtime.*", add)
    return client


def test_event_stream_framing_is_what_botocore_decodes() -> None:
    frame = encode_message({":event-type": "chunk", ":message-type": "event"}, b'{"a": 1}')
    buffer = EventStreamBuffer()
    buffer.add_data(frame)
    (message,) = list(buffer)
    assert message.headers == {":event-type": "chunk", ":message-type": "event"}
    assert message.payload == b'{"a": 1}'
    corrupted = EventStreamBuffer()
    corrupted.add_data(frame[:-1] + bytes([frame[-1] ^ 1]))
    with pytest.raises(ChecksumMismatch):
        list(corrupted)


def test_converse_usage_and_model_in_the_path(mock_provider: MockProvider) -> None:
    result = runtime(mock_provider).converse(
        modelId="arn:aws:bedrock:us-east-1:1:inference-profile/x", messages=USER
    )
    assert result["output"]["message"]["content"] == [{"text": "Mock reply: Tell me a joke"}]
    assert result["usage"] == {"inputTokens": 4, "outputTokens": 6, "totalTokens": 10}
    assert result["stopReason"] == "end_turn"
    assert mock_provider.last_request.path.startswith("/model/arn%3Aaws%3Abedrock")
    assert result["ResponseMetadata"]["RequestId"].startswith("req_")


def test_converse_stream_events(mock_provider: MockProvider) -> None:
    events = list(runtime(mock_provider).converse_stream(modelId="m", messages=USER)["stream"])
    kinds = [next(iter(e)) for e in events]
    assert kinds == [
        "messageStart",
        *["contentBlockDelta"] * 6,
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    assert events[-1]["metadata"]["usage"]["outputTokens"] == 6


def test_max_tokens_and_tool_use(mock_provider: MockProvider) -> None:
    short = runtime(mock_provider).converse(modelId="m", messages=USER, inferenceConfig={"maxTokens": 2})
    assert (short["stopReason"], short["usage"]["outputTokens"]) == ("max_tokens", 2)
    tool = runtime(mock_provider, **{"x-mock-tool-call": "lookup"}).converse(modelId="m", messages=USER)
    assert tool["stopReason"] == "tool_use"
    assert tool["output"]["message"]["content"][0]["toolUse"]["input"] == {"query": "Tell me a joke"}


def test_errors_as_botocore_raises_them(mock_provider: MockProvider) -> None:
    for headers, code in (
        ({"x-mock-fail": "429"}, "ThrottlingException"),
        ({"x-mock-fail": "400"}, "ValidationException"),
        ({"x-mock-bedrock-exception": "ModelNotReadyException"}, "ModelNotReadyException"),
    ):
        client = runtime(mock_provider, **headers)
        with pytest.raises(getattr(client.exceptions, code)):
            client.converse(modelId="m", messages=USER)
    client = runtime(mock_provider, **{"x-mock-stream-exception": "modelStreamErrorException"})
    with pytest.raises(EventStreamError, match="modelStreamErrorException"):
        list(client.converse_stream(modelId="m", messages=USER)["stream"])


def test_invoke_model_token_headers_and_stream_metrics(mock_provider: MockProvider) -> None:
    body = json.dumps({"prompt": "Tell me a joke", "max_gen_len": 10})
    result = runtime(mock_provider).invoke_model(modelId="us.meta.llama3-2-1b-instruct-v1:0", body=body)
    headers = result["ResponseMetadata"]["HTTPHeaders"]
    assert (headers["x-amzn-bedrock-input-token-count"], headers["x-amzn-bedrock-output-token-count"]) == (
        "4",
        "6",
    )
    assert json.loads(result["body"].read())["generation"] == "Mock reply: Tell me a joke"
    stream = runtime(mock_provider).invoke_model_with_response_stream(modelId="meta.llama3", body=body)
    chunks = [json.loads(e["chunk"]["bytes"]) for e in stream["body"]]
    assert "".join(c["generation"] for c in chunks) == "Mock reply: Tell me a joke"
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 6


def test_unknown_model_path_is_an_aws_error(mock_provider: MockProvider) -> None:
    request = urllib.request.Request(mock_provider.url + "/model/m/nope", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request)
    assert raised.value.code == 404
    assert raised.value.headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert "message" in json.loads(raised.value.read())
