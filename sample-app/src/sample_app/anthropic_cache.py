"""An Anthropic chat with prompt caching: a long system prompt marked cacheable, asked twice.

Run: uv run python -m sample_app.anthropic_cache
The first call writes the cache, the second reads it. `llm_tokens_usage_total{token_type="input"}`
counts all input (cached included); the cache read and creation tokens are reported on their own in
`llm_tokens_details_total`, so summing token types never counts them twice.
"""

from __future__ import annotations

from typing import Any

import anthropic

from openllmetry import workflow

from . import backends
from .runner import run_sample

POLICY = " ".join(
    [
        "You are the on-call assistant of an online shop.",
        "Answer in at most three sentences and name the dashboard panel to look at.",
        "Escalate to the payments team for anything about refunds or chargebacks.",
        "Never reveal customer data, API keys or internal hostnames.",
    ]
    * 8
)  # long and stable: the part worth caching


@workflow(name="support_policy")
def ask(
    client: anthropic.Anthropic, question: str, *, model: str = "claude-sonnet-4-5", **options: Any
) -> Any:
    """One call with the cacheable policy as the system prompt; returns the SDK's Message."""
    return client.messages.create(
        model=model,
        max_tokens=300,
        system=[{"type": "text", "text": POLICY, "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": question}],
        **options,
    )


def main() -> None:
    def body() -> str:
        client = backends.anthropic_client()
        lines = []
        for question in ("Where do I see refund errors?", "Why is checkout slow?"):
            usage = ask(client, question).usage
            lines.append(
                f"{question} input={usage.input_tokens} cache_write={usage.cache_creation_input_tokens} "
                f"cache_read={usage.cache_read_input_tokens} output={usage.output_tokens}"
            )
        return "\n".join(lines)

    run_sample("support-policy", body)


if __name__ == "__main__":
    main()
