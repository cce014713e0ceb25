"""Shared by this package's tests (a unique module name: every package's tests run in one session)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

from llm_mock import MockProvider
from opentelemetry.semconv_ai.testing import Capture

CLAUDE = "us.anthropic.claude-3-5-haiku-20241022-v1:0"  # a cross-region inference profile id
PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
NOVA = "amazon.nova-lite-v1:0"
USER = [{"role": "user", "content": [{"text": "hello there world"}]}]  # 3 tokens; the reply has 5
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def _members(shape: str) -> set[str]:
    """Members of a bedrock-runtime shape in the installed botocore (older ones lack newer fields)."""
    try:
        return set(
            botocore.session.get_session().get_service_model("bedrock-runtime").shape_for(shape).members
        )
    except Exception:
        return set()


CACHE_POINTS = "cachePoint" in _members("SystemContentBlock")
GUARDRAILS = "guardrailConfig" in _members("ConverseRequest")


def options(mock: MockProvider, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {**CREDENTIALS, "endpoint_url": mock.url, "config": NO_RETRIES}


def client(mock: MockProvider, headers: dict[str, str] | None = None) -> Any:
    """A boto3 bedrock-runtime client against the mock; `headers` go on every request."""
    made = boto3.client("bedrock-runtime", **options(mock))
    send_headers(made, headers)
    return made


def send_headers(made: Any, headers: dict[str, str] | None) -> None:
    if headers:

        def add(request: Any, **_: Any) -> None:
            for name, value in headers.items():
                request.headers[name] = value

        made.meta.events.register_first("before-sign.bedrock-runtime.*", add)


def run_async(
    mock: MockProvider, fn: Callable[[Any], Awaitable[Any]], headers: dict[str, str] | None = None
) -> Any:
    """Runs `fn` with an aiobotocore client made in a fresh event loop."""
    from aiobotocore.session import get_session

    async def main() -> Any:
        async with get_session().create_client("bedrock-runtime", **options(mock)) as made:
            send_headers(made, headers)
            return await fn(made)

    return asyncio.run(main())


def body(payload: dict[str, Any]) -> str:
    return json.dumps(payload)


def llm(operation: str = "chat", model: str = CLAUDE) -> dict[str, str]:
    return {"model": model, "provider": "aws.bedrock", "operation": operation, "workflow": ""}


def tokens(capture: Capture, token_type: str, operation: str = "chat", model: str = CLAUDE) -> float:
    name = "llm.tokens.usage" if token_type in ("input", "output") else "llm.tokens.details"
    return capture.value(name, {**llm(operation, model), "token_type": token_type})


def semconv_tokens(capture: Capture, token_type: str, model: str = CLAUDE) -> float:
    return capture.value(
        "gen_ai.client.token.usage", {"gen_ai.request.model": model, "gen_ai.token.type": token_type}
    )


one_span = Capture.one_span  # one_span(capture): the one span exported
