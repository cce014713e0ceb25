"""Amazon Bedrock through boto3: Converse, ConverseStream and InvokeModel on the same model.

Run: uv run python -m sample_app.bedrock_app
Without AWS credentials in the environment (`AWS_ACCESS_KEY_ID`) the client points at the mock
provider, with dummy credentials that botocore signs with locally. The model id is a cross-region
inference profile (`us.` prefix); it is the `model` label as given, and it is priced as the model
it names. Each call is one operation; the stream also records its time to first chunk.
"""

from __future__ import annotations

import contextvars
import functools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config

from openllmetry import workflow

from . import backends
from .runner import run_sample

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
# Headers for the mock (latency profile, injected failures), per call and thread.
_mock_headers: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "bedrock_mock_headers", default=None
)


def client() -> Any:
    """A bedrock-runtime client: the real service with AWS credentials, else the mock."""
    if not backends.uses_mock("bedrock"):
        return boto3.client("bedrock-runtime", region_name=os.environ.get("AWS_REGION", "us-east-1"))
    made = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=backends.mock_server().url,
        aws_access_key_id="mock",
        aws_secret_access_key="mock",
        config=Config(retries={"total_max_attempts": 2, "mode": "standard"}),
    )

    def add_headers(request: Any, **_: Any) -> None:
        for name, value in (_mock_headers.get() or {}).items():
            request.headers[name] = value

    made.meta.events.register_first("before-sign.bedrock-runtime.*", add_headers)
    return made


@functools.cache
def shared_client() -> Any:
    """One client for every thread of the demo's traffic (boto3 clients are thread-safe)."""
    return client()


@contextmanager
def mock_headers(headers: dict[str, str]) -> Iterator[None]:
    token = _mock_headers.set(headers)
    try:
        yield
    finally:
        _mock_headers.reset(token)


def converse(bedrock: Any, question: str, *, model: str = MODEL) -> Any:
    return bedrock.converse(
        modelId=model,
        system=[{"text": "You are a concise on-call assistant."}],
        messages=[{"role": "user", "content": [{"text": question}]}],
        inferenceConfig={"maxTokens": 300, "temperature": 0.2},
    )


def converse_stream(bedrock: Any, question: str, *, model: str = MODEL) -> str:
    response = bedrock.converse_stream(
        modelId=model,
        messages=[{"role": "user", "content": [{"text": question}]}],
        inferenceConfig={"maxTokens": 300},
    )
    parts = [
        e["contentBlockDelta"]["delta"].get("text", "")
        for e in response["stream"]
        if "contentBlockDelta" in e
    ]
    return "".join(parts)


def invoke_claude(bedrock: Any, question: str, *, model: str = MODEL) -> dict[str, Any]:
    """InvokeModel with Claude's own request body; the response body is read as usual."""
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 300,
        "messages": [{"role": "user", "content": question}],
    }
    response = bedrock.invoke_model(modelId=model, body=json.dumps(body))
    return json.loads(response["body"].read())


@workflow(name="bedrock_triage")
def triage(bedrock: Any, question: str) -> str:
    """Three calls, one of each kind: under one workflow label."""
    first = converse(bedrock, question)["output"]["message"]["content"][0]["text"]
    streamed = converse_stream(bedrock, "Shorter: " + question)
    claude = invoke_claude(bedrock, "One word: " + question)["content"][0]["text"]
    return "\n".join((first, streamed, claude))


def main() -> None:
    run_sample("bedrock-triage", lambda: triage(client(), "Why is the checkout queue growing?"))


if __name__ == "__main__":
    main()
