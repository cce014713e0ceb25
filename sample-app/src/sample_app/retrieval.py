"""Embeddings and retrieval: embed a few documents and the question, pick the closest, answer.

Run: uv run python -m sample_app.retrieval "What should I do when the indexer queue grows?"
One `embeddings` operation for the documents, one for the question, one `chat` for the answer,
all inside the `rag_answer` workflow.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import openai

from openllmetry import task, workflow

from . import backends
from .runner import run_sample

DOCUMENTS = [
    "When the indexer queue exceeds 10k items, restart the indexer and page the search team.",
    "Checkout latency is dominated by the payment provider; check its status page first.",
    "LLM costs are tracked per model in llm_cost_usd_total; the budget alert fires at 80%.",
    "Time to first chunk above two seconds usually means the provider is queueing requests.",
]
EMBEDDING_MODEL = "text-embedding-3-small"


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


@task(name="retrieve")
def retrieve(
    client: openai.OpenAI, question: str, documents: list[str], k: int = 2, **options: Any
) -> list[str]:
    vectors = client.embeddings.create(model=EMBEDDING_MODEL, input=documents, **options).data
    query = client.embeddings.create(model=EMBEDDING_MODEL, input=question, **options).data[0].embedding
    ranked = sorted(
        zip(vectors, documents, strict=True), key=lambda pair: cosine(pair[0].embedding, query), reverse=True
    )
    return [document for _, document in ranked[:k]]


@workflow(name="rag_answer")
def answer(client: openai.OpenAI, question: str, *, model: str = "gpt-4o-mini", **options: Any) -> str:
    context = "\n".join(retrieve(client, question, DOCUMENTS, **options))
    response = client.chat.completions.create(
        model=model,
        messages=[
            {"role": "system", "content": f"Answer from this context only:\n{context}"},
            {"role": "user", "content": question},
        ],
        max_tokens=300,
        **options,
    )
    return response.choices[0].message.content or ""


def main() -> None:
    question = " ".join(sys.argv[1:]) or "What should I do when the indexer queue grows?"
    run_sample("rag-answer", lambda: answer(backends.openai_client(), question))


if __name__ == "__main__":
    main()
