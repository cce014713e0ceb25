from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import openai
import pytest

from llm_mock import MockProvider

API_KEY = "test-key"


@pytest.fixture
def make_openai() -> Iterator[Callable[..., openai.OpenAI]]:
    made: list[openai.OpenAI] = []

    def factory(server: MockProvider, **kwargs: Any) -> openai.OpenAI:
        kwargs.setdefault("max_retries", 0)
        client = openai.OpenAI(base_url=server.openai_base_url, api_key=API_KEY, **kwargs)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def make_anthropic() -> Iterator[Callable[..., anthropic.Anthropic]]:
    made: list[anthropic.Anthropic] = []

    def factory(server: MockProvider, **kwargs: Any) -> anthropic.Anthropic:
        kwargs.setdefault("max_retries", 0)
        client = anthropic.Anthropic(base_url=server.anthropic_base_url, api_key=API_KEY, **kwargs)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def oai(mock_provider: MockProvider, make_openai: Callable[..., openai.OpenAI]) -> openai.OpenAI:
    return make_openai(mock_provider)


@pytest.fixture
def claude(
    mock_provider: MockProvider, make_anthropic: Callable[..., anthropic.Anthropic]
) -> anthropic.Anthropic:
    return make_anthropic(mock_provider)
