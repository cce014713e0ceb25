"""Bedrock Runtime workloads: boto3 clients whose HTTP session always answers the same bytes.

botocore does all its usual work (serialising, SigV4 signing, parsing, event-stream decoding); only
the socket is skipped. botocore instruments by client class, built when a client is made, so a
client made before a setup is the bare SDK and one made after it the instrumented one: the call
picks the client that matches whether the setup's patches are switched on (see `toggle`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
STREAM_EVENTS = 20  # messageStart, 15 deltas, contentBlockStop, messageStop, metadata... see below
_USAGE = {"inputTokens": 31, "outputTokens": 16, "totalTokens": 47}


def converse_body(reply: str) -> bytes:
    message = {"role": "assistant", "content": [{"text": reply}]}
    body = {
        "output": {"message": message},
        "stopReason": "end_turn",
        "usage": _USAGE,
        "metrics": {"latencyMs": 1},
    }
    return json.dumps(body).encode()


def converse_stream_body(events: int, words: list[str]) -> bytes:
    """`events` events: messageStart, events - 4 text deltas, contentBlockStop, messageStop, metadata."""
    from llm_mock.routes.bedrock import event

    frames = [event("messageStart", {"role": "assistant"})]
    frames += [
        event("contentBlockDelta", {"delta": {"text": w}, "contentBlockIndex": 0})
        for w in words[: events - 4]
    ]
    frames += [
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": "end_turn"}),
    ]
    frames.append(
        event("metadata", {"usage": {**_USAGE, "outputTokens": events - 4}, "metrics": {"latencyMs": 1}})
    )
    return b"".join(frame.data for frame in frames)


class _Raw:
    """What botocore reads a response body from (urllib3's response, in a real call)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body

    def close(self) -> None:
        pass


class _Session:
    def __init__(self, body: bytes, content_type: str) -> None:
        self.body = body
        self.headers = {"content-type": content_type, "x-amzn-requestid": "req_bench"}

    def send(self, request: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        return AWSResponse(request.url, 200, self.headers, _Raw(self.body))


def _client(body: bytes, content_type: str) -> Any:
    import boto3

    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench"
    )
    client._endpoint.http_session = _Session(body, content_type)
    return client


def _patch_state() -> tuple[Any, ...]:
    """The functions a setup may patch (the objects, kept alive as keys: an id could be reused)."""
    import botocore.client

    creator = botocore.client.ClientCreator
    return tuple(
        creator.__dict__.get(n) for n in ("create_client", "_create_client_class", "_create_methods")
    )


_clients: dict[tuple[str, tuple[Any, ...]], Any] = {}


def make_call(workload: str, messages: list[dict[str, Any]], system: str, reply: str) -> Callable[[], Any]:
    """One complete call (a stream read to its end) on the client made under the current patch state."""
    if workload == "bedrock_converse":
        body, content_type = converse_body(reply), "application/json"
    else:
        body, content_type = (
            converse_stream_body(STREAM_EVENTS, [w + " " for w in reply.split()] * 2),
            EVENT_STREAM,
        )
    bedrock_messages = [{"role": m["role"], "content": [{"text": m["content"]}]} for m in messages]
    options = {"modelId": MODEL, "system": [{"text": system}], "messages": bedrock_messages}
    options["inferenceConfig"] = {"maxTokens": 256}

    def client() -> Any:
        key = (workload, _patch_state())
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = _client(body, content_type)
        return found

    if workload == "bedrock_converse":
        return lambda: client().converse(**options)

    def stream() -> int:
        return sum(1 for _ in client().converse_stream(**options)["stream"])

    return stream


EVENT_STREAM = "application/vnd.amazon.eventstream"
WORKLOADS = {"bedrock_converse": None, "bedrock_stream_20": STREAM_EVENTS}
