"""The assistant workflow: one `@workflow` around an OpenAI chat call.

Run: uv run python -m sample_app.assistant "How do I read a p95 latency panel?"
Every `llm_*` series of the call carries `workflow="ai_assistant"`.
"""

from __future__ import annotations

import sys
from typing import Any

import openai

from openllmetry import workflow

from . import backends
from .runner import run_sample

SYSTEM = "You are a concise assistant for site reliability engineers."


@workflow(name="ai_assistant")
def run_assistant(client: openai.OpenAI, query: str, *, model: str = "gpt-4o-mini", **options: Any) -> str:
    """Answer `query`. `options` go to the SDK call as they are (e.g. `extra_headers`, `timeout`)."""
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": query}],
        max_tokens=300,
        **options,
    )
    return response.choices[0].message.content or ""


def main() -> None:
    query = " ".join(sys.argv[1:]) or "How do I read a p95 latency panel?"
    run_sample("ai-assistant", lambda: run_assistant(backends.openai_client(), query))


if __name__ == "__main__":
    main()
