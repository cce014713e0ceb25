"""Retrieval with Cohere: embed the runbooks, rerank them for the question, answer from the best one.

Run: uv run python -m sample_app.cohere_rerank
Three operations in one `@workflow`: `embeddings` and `chat` count Cohere's billed tokens
(`llm_tokens_usage_total`); `rerank` bills search units, which are on its span
(`cohere.billed_units.search_units`) and never counted as tokens.
"""

from __future__ import annotations

from typing import Any

from openllmetry import workflow

from . import backends
from .retrieval import DOCUMENTS
from .runner import run_sample

CHAT_MODEL = "command-r"
EMBED_MODEL = "embed-v4.0"
RERANK_MODEL = "rerank-v3.5"


@workflow(name="cohere_rag")
def answer(client: Any, question: str, *, headers: dict[str, str] | None = None) -> str:
    options = {"additional_headers": headers} if headers else None
    client.embed(
        model=EMBED_MODEL,
        texts=DOCUMENTS,
        input_type="search_document",
        embedding_types=["float"],
        request_options=options,
    )
    ranked = client.rerank(
        model=RERANK_MODEL, query=question, documents=DOCUMENTS, top_n=1, request_options=options
    )
    context = DOCUMENTS[ranked.results[0].index]
    reply = client.chat(
        model=CHAT_MODEL,
        messages=[
            {"role": "system", "content": f"Answer from this runbook: {context}"},
            {"role": "user", "content": question},
        ],
        max_tokens=200,
        request_options=options,
    )
    return reply.message.content[0].text


def main() -> None:
    run_sample(
        "cohere-rerank-sample",
        lambda: answer(backends.cohere_client(), "What should I do when the indexer queue grows?"),
    )


if __name__ == "__main__":
    main()
