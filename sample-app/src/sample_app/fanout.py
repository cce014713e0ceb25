"""An async fan-out: many chat calls at once, bounded by a semaphore, inside one workflow.

Run: uv run python -m sample_app.fanout
Each call is its own operation (and span), all under the `batch_summaries` workflow.
"""

from __future__ import annotations

import asyncio
from typing import Any

import openai

from openllmetry import workflow

from . import backends
from .runner import run_sample

TICKETS = [
    "Checkout latency doubled after the 14:00 deploy.",
    "Search results are stale for the EU region.",
    "Login fails for users with SSO since this morning.",
    "The nightly report job ran out of memory.",
    "Webhook deliveries to partners are retried three times.",
    "Mobile app crashes on start for Android 12 users.",
]


async def summarize(client: openai.AsyncOpenAI, ticket: str, model: str, **options: Any) -> str:
    response = await client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": f"Summarize this ticket in five words: {ticket}"}],
        max_tokens=20,
        **options,
    )
    return response.choices[0].message.content or ""


@workflow(name="batch_summaries")
async def summarize_all(
    client: openai.AsyncOpenAI,
    tickets: list[str],
    *,
    model: str = "gpt-4o-mini",
    concurrency: int = 4,
    **options: Any,
) -> list[str | BaseException]:
    """One summary per ticket; a failed call gives its exception in place of the summary."""
    limit = asyncio.Semaphore(concurrency)

    async def one(ticket: str) -> str:
        async with limit:
            return await summarize(client, ticket, model, **options)

    return await asyncio.gather(*(one(t) for t in tickets), return_exceptions=True)


async def run(tickets: list[str], **options: Any) -> list[str | BaseException]:
    async with backends.async_openai_client() as client:
        return await summarize_all(client, tickets, **options)


def main() -> None:
    def body() -> str:
        results = asyncio.run(run(TICKETS))
        return "\n".join(f"- {r}" for r in results)

    run_sample("batch-summaries", body)


if __name__ == "__main__":
    main()
