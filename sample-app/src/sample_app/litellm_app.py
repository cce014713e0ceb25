"""Calling OpenAI and Anthropic through LiteLLM: each call is one operation, labelled with the provider
LiteLLM routed to and the model without LiteLLM's `provider/` prefix.

Run: uv run python -m sample_app.litellm_app
"""

from __future__ import annotations

import os
from typing import Any

# LiteLLM downloads its model cost map when imported unless told to use the copy it ships.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm

from . import backends

MODELS = ("openai/gpt-4o-mini", "anthropic/claude-haiku-4-5")


def _route(model: str) -> dict[str, Any]:
    """The mock's address for the provider a model names; nothing when its real API key is set."""
    provider = model.split("/", 1)[0]
    if not backends.uses_mock(provider):
        return {}
    server = backends.mock_server()
    base = server.openai_base_url if provider == "openai" else server.anthropic_base_url
    return {"api_base": base, "api_key": backends.MOCK_KEY}


def ask(question: str, *, model: str = MODELS[0], stream: bool = False, **kwargs: Any) -> str:
    messages = [{"role": "user", "content": question}]
    reply = litellm.completion(
        model=model, messages=messages, stream=stream, num_retries=0, **_route(model), **kwargs
    )
    if not stream:
        return reply.choices[0].message.content or ""
    return "".join(chunk.choices[0].delta.content or "" for chunk in reply if chunk.choices)


if __name__ == "__main__":
    import openllmetry

    openllmetry.init(app_name="litellm-sample")
    for name in MODELS:
        print(name, "->", ask("Is the checkout service healthy right now?", model=name, stream=True))
    openllmetry.shutdown()
