"""Shared by this package's tests (a unique module name: every package's tests run in one session)."""

from __future__ import annotations

from typing import Any

from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials

from llm_mock import MockProvider
from opentelemetry.semconv_ai.testing import Capture

MODEL = "gemini-2.5-flash"
PROMPT = "hello there world"  # 3 tokens; the reply "Mock reply: hello there world" is 5
PROVIDERS = ("gcp.gemini", "gcp.vertex_ai")
# google-genai 1.0 reads neither response ids nor thoughts and tool-use prompt tokens: it drops them.
USAGE_FIELDS = types.GenerateContentResponseUsageMetadata.model_fields
HAS_TOOL_USE_TOKENS = "tool_use_prompt_token_count" in USAGE_FIELDS
HAS_THOUGHTS = "thoughts_token_count" in USAGE_FIELDS
HAS_RESPONSE_ID = "response_id" in types.GenerateContentResponse.model_fields


def client(mock: MockProvider, provider: str = "gcp.gemini", **headers: str) -> genai.Client:
    """A real client pointed at the mock: a dummy API key, or for Vertex a fixed OAuth token (no refresh)."""
    options = types.HttpOptions(
        base_url=mock.url, headers={k.replace("_", "-"): v for k, v in headers.items()}
    )
    if provider == "gcp.vertex_ai":
        return genai.Client(
            vertexai=True,
            project="test-project",
            location="us-central1",
            credentials=Credentials(token="dummy-token"),
            http_options=options,
        )
    return genai.Client(api_key="test-api-key", http_options=options)


def llm(
    operation: str = "generate_content", model: str = MODEL, provider: str = "gcp.gemini"
) -> dict[str, str]:
    """The `llm_*` label set of an operation outside any workflow."""
    return {"model": model, "provider": provider, "operation": operation, "workflow": ""}


def tokens(capture: Capture, token_type: str, **labels: Any) -> float:
    name = "llm.tokens.usage" if token_type in ("input", "output") else "llm.tokens.details"
    return capture.value(name, {**llm(**labels), "token_type": token_type})


def genai_tokens(capture: Capture, token_type: str, provider: str = "gcp.gemini") -> float:
    """The sum of `gen_ai.client.token.usage` for one token type."""
    return capture.token_usage(token_type, provider)[1]


one_span = Capture.one_span  # one_span(capture): the one span exported
