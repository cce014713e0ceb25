"""The core's provider conformance suite, on boto3 and aiobotocore against the mock's Bedrock routes.

botocore instruments by client class, built when a client is made: the suite's client stands for
"a client made under the current instrumentation", as an application makes its clients after
`instrument()`. Streams are the SDK's `EventStream`; an aiobotocore stream's `close()` is
synchronous, which the suite's async close (awaited) does not take, so streams run sync only.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.client
from bedrock_helpers import NOVA, options, send_headers

from opentelemetry.instrumentation.bedrock import BedrockInstrumentor
from opentelemetry.semconv_ai import names
from opentelemetry.semconv_ai.testing import Case, Conformance

USER = [{"role": "user", "content": [{"text": "hi there"}]}]  # 2 tokens, and 4 in the reply
LLAMA = "us.meta.llama3-2-1b-instruct-v1:0"
PROMPT = json.dumps({"prompt": "hi there", "max_gen_len": 50})


class Events:
    """`for event in stream` over the SDK's EventStream, closing it as the suite asks."""

    def __init__(self, stream: Any) -> None:
        self.stream, self.events = stream, iter(stream)

    def __iter__(self) -> Events:
        return self

    def __next__(self) -> Any:
        return next(self.events)

    def close(self) -> None:
        self.stream.close()


class Made:
    """A client made under the current instrumentation (a new one after instrument()/uninstrument())."""

    def __init__(self, make: Any, is_async: bool) -> None:
        self.make, self.is_async, self.made = make, is_async, {}

    def __getattr__(self, name: str) -> Any:
        # The function itself, kept alive as the key: an id could be reused by a later wrapper.
        key = botocore.client.ClientCreator.__dict__["_create_methods"]
        if not self.is_async:
            if key not in self.made:
                self.made[key] = self.make()
            return getattr(self.made[key], name)

        async def call(**kwargs: Any) -> Any:
            if key not in self.made:
                self.made[key] = await self.make()
            return await getattr(self.made[key], name)(**kwargs)

        return call

    def close(self) -> Any:
        if not self.is_async:
            return None

        async def close_all() -> None:
            for made in self.made.values():
                await made.close()

        return close_all()


class TestBedrockConformance(Conformance):
    instrumentor = BedrockInstrumentor
    provider = names.AWS_BEDROCK
    cases = [
        Case("converse", names.CHAT, NOVA, lambda c: c.converse(modelId=NOVA, messages=USER), 2, 4),
        Case(
            "invoke_model",
            names.TEXT_COMPLETION,
            LLAMA,
            lambda c: c.invoke_model(modelId=LLAMA, body=PROMPT),
            2,
            4,
        ),
        Case(
            "converse_stream",
            names.CHAT,
            NOVA,
            lambda c: Events(c.converse_stream(modelId=NOVA, messages=USER)["stream"]),
            2,
            4,
            stream=True,
            is_async=False,
        ),
        Case(
            "invoke_model_with_response_stream",
            names.TEXT_COMPLETION,
            LLAMA,
            lambda c: Events(c.invoke_model_with_response_stream(modelId=LLAMA, body=PROMPT)["body"]),
            2,
            4,
            stream=True,
            is_async=False,
        ),
    ]

    def client(self, mock: Any, *, is_async: bool, headers: dict[str, str]) -> Any:
        if is_async:
            from aiobotocore.session import get_session

            session = get_session()  # one session: its clients raise the same exception classes

            async def make() -> Any:
                made = await session.create_client("bedrock-runtime", **options(mock)).__aenter__()
                send_headers(made, headers)
                return made

            return Made(make, True)
        import boto3

        def make_sync() -> Any:
            made = boto3.client("bedrock-runtime", **options(mock))
            send_headers(made, headers)
            return made

        return Made(make_sync, False)
