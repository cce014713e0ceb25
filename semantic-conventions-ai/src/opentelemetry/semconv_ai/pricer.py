"""What a pricer is, and which `genai-prices` provider id each `gen_ai.provider.name` has.

A pricer answers the USD cost of an operation's usage: a number, None (no known price), or PENDING,
in which case it calls `on_ready` later with the answer, once its price data has loaded: no call
waits and no call's cost is lost. `pricing` holds the current one; `prices` is the default.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple, Protocol


class Usage(NamedTuple):
    input_tokens: int  # all input, cached input included
    output_tokens: int  # all output, reasoning included
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0


PENDING = object()

CostCallback = Callable[[float | None], None]


class Pricer(Protocol):
    def cost(self, provider: str, model: str, usage: Usage, on_ready: CostCallback) -> object:
        """USD as a float, None when the model has no known price, or PENDING."""
        ...

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the price data has loaded (or `timeout` passed); whether it has."""
        ...


class NoPrices:
    """Prices nothing: every operation counts as unpriced."""

    def cost(self, provider: str, model: str, usage: Usage, on_ready: CostCallback) -> object:
        return None

    def wait_ready(self, timeout: float | None = None) -> bool:
        return True


PRICE_IDS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "aws.bedrock": "aws",
    "gcp.vertex_ai": "google",
    "gcp.gemini": "google",
    "gcp.gen_ai": "google",
    "x_ai": "x-ai",
    "mistral_ai": "mistral",
    "deepseek": "deepseek",
    "groq": "groq",
    "perplexity": "perplexity",
    "cohere": "cohere",
}
"""gen_ai.provider.name -> genai-prices provider id (read-only: add with `register_price_id`).
A name not here is tried as an id as it is."""
_lock = threading.Lock()


def register_price_id(provider: str, price_id: str) -> None:
    """Price operations of `provider` (a `gen_ai.provider.name`) as `genai-prices` provider `price_id`."""
    if isinstance(provider, str) and isinstance(price_id, str) and provider and price_id:
        with _lock:
            PRICE_IDS[provider] = price_id


def price_id(provider: str) -> str:
    """The `genai-prices` provider id of a `gen_ai.provider.name`."""
    return PRICE_IDS.get(provider, provider)
