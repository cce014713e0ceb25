"""Which LLM backend the samples talk to: the real provider when its API key is set, else the mock.

`OPENAI_API_KEY` / `ANTHROPIC_API_KEY` / `GEMINI_API_KEY` / `CO_API_KEY` (and `MISTRAL_API_KEY`,
`GROQ_API_KEY`, `TOGETHER_API_KEY` for `open_models`) select the real APIs and `OLLAMA_HOST` a real
Ollama server; without them (or with `SAMPLE_APP_MOCK=1`) the clients point at the built-in mock
provider (`llm_mock`), started on a free loopback port the first time it is needed and stopped when
the process exits.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

import anthropic
import openai
from google import genai

from llm_mock import MockProvider

FORCE_MOCK_ENV = "SAMPLE_APP_MOCK"
API_KEY_ENV = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "together": "TOGETHER_API_KEY",
    "cohere": "CO_API_KEY",
    "ollama": "OLLAMA_HOST",  # no key: a real Ollama when its host is given
    "bedrock": "AWS_ACCESS_KEY_ID",
}
MOCK_KEY = "mock-key"


class _Mock:
    lock = threading.Lock()
    server: MockProvider | None = None


def uses_mock(provider: str) -> bool:
    """True when calls to `provider` (a key of `API_KEY_ENV`) go to the mock."""
    if os.environ.get(FORCE_MOCK_ENV, "").strip().lower() in ("1", "true", "yes"):
        return True
    return not os.environ.get(API_KEY_ENV[provider], "").strip()


def use_mock_server(server: MockProvider) -> None:
    """Send mock traffic to `server` (already started) instead of a default one."""
    with _Mock.lock:
        _Mock.server = server


def mock_server() -> MockProvider:
    """The mock the clients use; started on first use."""
    with _Mock.lock:
        if _Mock.server is None:
            _Mock.server = MockProvider().start()
            atexit.register(_Mock.server.stop)
        return _Mock.server


def openai_client(**options: Any) -> openai.OpenAI:
    if uses_mock("openai"):
        options = {"api_key": MOCK_KEY, "base_url": mock_server().openai_base_url, **options}
    return openai.OpenAI(**options)


def async_openai_client(**options: Any) -> openai.AsyncOpenAI:
    if uses_mock("openai"):
        options = {"api_key": MOCK_KEY, "base_url": mock_server().openai_base_url, **options}
    return openai.AsyncOpenAI(**options)


def anthropic_client(**options: Any) -> anthropic.Anthropic:
    if uses_mock("anthropic"):
        options = {"api_key": MOCK_KEY, "base_url": mock_server().anthropic_base_url, **options}
    return anthropic.Anthropic(**options)


def gemini_client(**options: Any) -> genai.Client:
    if uses_mock("gemini"):
        options = {"api_key": MOCK_KEY, "http_options": {"base_url": mock_server().url}, **options}
    return genai.Client(**options)


def cohere_client(**options: Any) -> Any:
    """A `cohere.ClientV2`; make it after `openllmetry.init()` (cohere binds `chat` when it is made)."""
    import cohere

    if uses_mock("cohere"):
        options = {"api_key": MOCK_KEY, "base_url": mock_server().url, **options}
    return cohere.ClientV2(**options)


def ollama_client(**options: Any) -> Any:
    """An `ollama.Client`; `headers=` go with every request (the mock's timing and fault headers)."""
    import ollama

    if uses_mock("ollama"):
        options = {"host": mock_server().url, **options}
    return ollama.Client(**options)


def mock_hint(provider: str, **hints: str) -> dict[str, str]:
    """Headers that steer the mock (`tool_call="search_runbooks"` → `x-mock-tool-call`); {} for real APIs.

    Real models decide on their own to call a tool; the mock needs to be told.
    """
    if not uses_mock(provider):
        return {}
    return {"x-mock-" + name.replace("_", "-"): value for name, value in hints.items()}


def describe() -> str:
    """One line saying where each provider's calls go."""
    parts = []
    for provider in API_KEY_ENV:
        parts.append(f"{provider}: {'mock provider' if uses_mock(provider) else 'real API'}")
    return ", ".join(parts)
