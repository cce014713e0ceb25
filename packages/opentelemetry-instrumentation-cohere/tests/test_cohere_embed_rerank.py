"""`embed` (input tokens from `meta.billed_units`) and `rerank` (search units, never tokens)."""

from __future__ import annotations

import pytest
from cohere_helpers import HAS_OUTPUT_DIMENSION, call, genai_tokens, llm, one_span, tokens

from llm_mock import MockProvider
from opentelemetry.semconv_ai.testing import Capture

MODES = ["sync", "async"]
DOCUMENTS = ["paris is the capital of france", "berlin is in germany", "the capital of italy is rome"]


@pytest.mark.parametrize("mode", MODES)
def test_embed_counts_billed_input_tokens(mode: str, mock_provider: MockProvider, capture: Capture) -> None:
    dimensions = 4 if HAS_OUTPUT_DIMENSION else 8  # the mock's default
    extra = {"output_dimension": 4} if HAS_OUTPUT_DIMENSION else {}
    reply = call(
        mode, mock_provider, "embed", model="embed-v4.0", texts=["hello there", "world"],
        input_type="search_document", embedding_types=["float"], **extra,
    )  # fmt: skip

    assert len(reply.embeddings.float_) == 2 and len(reply.embeddings.float_[0]) == dimensions
    span = one_span(capture)
    assert span.name == "embeddings embed-v4.0"
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "embeddings"
    assert attributes["gen_ai.request.encoding_formats"] == ("float",)
    assert attributes["gen_ai.embeddings.dimension.count"] == dimensions
    assert attributes["gen_ai.response.id"] == reply.id
    assert attributes["gen_ai.usage.input_tokens"] == 3
    assert "gen_ai.usage.output_tokens" not in attributes
    assert tokens(capture, "input", "embeddings", "embed-v4.0") == 3
    assert tokens(capture, "output", "embeddings", "embed-v4.0") == 0
    assert genai_tokens(capture, "input") == (1, 3)
    assert genai_tokens(capture, "output") == (0, 0)


@pytest.mark.parametrize("mode", MODES)
def test_rerank_records_search_units_not_tokens(
    mode: str, mock_provider: MockProvider, capture: Capture
) -> None:
    reply = call(
        mode, mock_provider, "rerank", model="rerank-v3.5", query="capital of france", documents=DOCUMENTS,
        top_n=2,
    )  # fmt: skip

    assert [r.index for r in reply.results] == [0, 2]
    span = one_span(capture)
    assert span.name == "rerank rerank-v3.5"
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "rerank"
    assert attributes["cohere.rerank.top_n"] == 2
    assert attributes["cohere.billed_units.search_units"] == 1
    assert attributes["gen_ai.response.id"] == reply.id
    assert not any(key.startswith("gen_ai.usage.") for key in attributes)
    labels = llm("rerank", "rerank-v3.5")
    assert capture.value("llm.requests", labels) == 1
    assert capture.value("llm.operation.errors", labels) == 0
    metrics = capture.metrics()
    assert "llm.tokens.usage" not in metrics and "gen_ai.client.token.usage" not in metrics
    # No tokens: neither a cost nor an unpriced request (search units have no token price).
    assert "llm.cost.usd" not in metrics and "llm.unpriced_requests" not in metrics
