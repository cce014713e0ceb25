"""The core's provider conformance suite, on the cohere v2 client against the mock's Cohere routes."""

from __future__ import annotations

import inspect
from typing import Any

import cohere
import httpx
from cohere_helpers import OLD_STREAM_CLOSE, SDK_STREAM_CLOSE_MARK, ignoring_generator_exit

from opentelemetry.instrumentation.cohere import CohereInstrumentor
from opentelemetry.semconv_ai import names
from opentelemetry.semconv_ai.testing import Case, Conformance

pytestmark = [SDK_STREAM_CLOSE_MARK] if OLD_STREAM_CLOSE else []

MODEL = "command-r"
HI = {"model": MODEL, "messages": [{"role": "user", "content": "hi there"}]}
EMBED = {
    "model": "embed-v4.0",
    "texts": ["hi there"],
    "input_type": "search_document",
    "embedding_types": ["float"],
}
RERANK = {"model": "rerank-v3.5", "query": "hi", "documents": ["hi there", "bye"]}
RETRIES = "max_retries" in inspect.signature(cohere.ClientV2.__init__).parameters


class TestCohereConformance(Conformance):
    instrumentor = CohereInstrumentor
    provider = "cohere"
    cases = [
        Case("chat", names.CHAT, MODEL, lambda c: c.chat(**HI), 2, 4),
        Case("chat_stream", names.CHAT, MODEL, lambda c: c.chat_stream(**HI), 2, 4, stream=True),
        Case(
            "embed", names.EMBEDDINGS, "embed-v4.0", lambda c: c.embed(**EMBED), 2, None, captures_input=False
        ),
        Case(
            "rerank", "rerank", "rerank-v3.5", lambda c: c.rerank(**RERANK), None, None, captures_input=False
        ),
    ]

    def client(self, mock: Any, *, is_async: bool, headers: dict[str, str]) -> Any:
        http = (httpx.AsyncClient if is_async else httpx.Client)(headers=headers)
        cls = cohere.AsyncClientV2 if is_async else cohere.ClientV2
        options = {"max_retries": 0} if RETRIES else {}  # older SDKs do not retry unless asked
        return cls(api_key="test", base_url=mock.url, httpx_client=http, **options)

    def _client(self, mock: Any, is_async: bool, headers: dict[str, str]) -> Any:
        # cohere's ClientV2 binds `chat` and `chat_stream` to the instance when it is made (to wrap them
        # in its own argument checks): a client must be made while instrumented, so none is reused.
        client = self.client(mock, is_async=is_async, headers=headers)
        self._state().made[object()] = client
        return client

    def same_error(self, seen: BaseException, bare: BaseException) -> bool:
        # The message holds the response headers (request id, date), different for every request.
        return type(seen) is type(bare) and (seen.status_code, seen.body) == (bare.status_code, bare.body)  # type: ignore[attr-defined]

    def run(self, mock: Any, case: Case, mode: str, consume: Any = None, headers: Any = None) -> Any:
        with ignoring_generator_exit():  # older cohere: closing its stream raises, with or without us
            return super().run(mock, case, mode, consume, headers)
