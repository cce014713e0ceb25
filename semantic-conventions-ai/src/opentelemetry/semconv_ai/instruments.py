"""Every metric instrument, defined once: name, kind, unit, description and advisory buckets.

OpenTelemetry names map to Prometheus names by the exporter's rules: dots become underscores,
the unit `s` adds `_seconds`, counters add `_total`, and units in braces add nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

# The conventions' advisory buckets for durations: 10 ms doubling up to 81.92 s.
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
# The conventions' advisory buckets for token counts: powers of four.
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
# USD per operation, resolving from a thousandth of a cent up to ten dollars.
COST_BUCKETS = (
    0.00001, 0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005,
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
)  # fmt: skip
# Scores in [0, 1]. What the shipped dashboard and alerts read: the share below 0.5 (le="0.5") and
# the mean (sum / count, against 0.7 and 0.5). 1.0 would equal +Inf, so it is left out.
QUALITY_BUCKETS = (0.25, 0.5, 0.7, 0.9)

COUNTER = "counter"
HISTOGRAM = "histogram"

LLM_LABELS = ("model", "provider", "operation", "workflow")
GENAI_LABELS = (
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "server.address",
    "server.port",
)


@dataclass(frozen=True)
class InstrumentSpec:
    name: str
    kind: str
    unit: str
    description: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] | None = None

    @property
    def prometheus_name(self) -> str:
        base = self.name.replace(".", "_")
        if self.unit == "s":
            base += "_seconds"
        return base + "_total" if self.kind == COUNTER else base


# The `llm_*` family: one label set (LLM_LABELS, plus the extra named here) for every provider.
REQUESTS = InstrumentSpec(
    "llm.requests", COUNTER, "{request}", "LLM operations started, failed ones included", LLM_LABELS
)
ERRORS = InstrumentSpec(
    "llm.operation.errors", COUNTER, "{operation}", "LLM operations that failed", LLM_LABELS
)
DURATION = InstrumentSpec(
    "llm.operation.duration", HISTOGRAM, "s", "Wall time of an LLM operation, stream included",
    LLM_LABELS, DURATION_BUCKETS,
)  # fmt: skip
TOKENS = InstrumentSpec(
    "llm.tokens.usage", COUNTER, "{token}", "Tokens used: input (cached input included) or output",
    (*LLM_LABELS, "token_type"),
)  # fmt: skip
TOKEN_DETAILS = InstrumentSpec(
    "llm.tokens.details", COUNTER, "{token}",
    "Cache read, cache creation and reasoning tokens; already counted in llm_tokens_usage_total",
    (*LLM_LABELS, "token_type"),
)  # fmt: skip
COST = InstrumentSpec("llm.cost.usd", COUNTER, "", "Cost in USD of operations on priced models", LLM_LABELS)
COST_PER_REQUEST = InstrumentSpec(
    "llm.token.cost_per_request", HISTOGRAM, "", "Cost in USD of one operation on a priced model",
    LLM_LABELS, COST_BUCKETS,
)  # fmt: skip
UNPRICED = InstrumentSpec(
    "llm.unpriced_requests", COUNTER, "{request}", "Operations on models without a known price", LLM_LABELS
)
QUALITY = InstrumentSpec(
    "llm.response.quality_score", HISTOGRAM, "1", "Response quality scores in [0, 1], by evaluator",
    (*LLM_LABELS, "evaluator"), QUALITY_BUCKETS,
)  # fmt: skip
LABEL_OVERFLOW = InstrumentSpec(
    "llm.label_overflow", COUNTER, "{operation}",
    "Operations (and scores) recorded under the value \"other\" because a label limit was reached",
    LLM_LABELS,
)  # fmt: skip
USAGE_REJECTED = InstrumentSpec(
    "llm.usage.rejected", COUNTER, "{value}",
    "Token counts and costs not recorded because no single call can produce them (kind: tokens, cost)",
    (*LLM_LABELS, "kind"),
)  # fmt: skip
EVALUATIONS_DROPPED = InstrumentSpec(
    "llm.evaluations.dropped", COUNTER, "{evaluation}", "Evaluations dropped because the queue was full",
    LLM_LABELS,
)  # fmt: skip

# The OpenTelemetry GenAI family (semantic conventions v1.41).
GENAI_DURATION = InstrumentSpec(
    "gen_ai.client.operation.duration", HISTOGRAM, "s", "GenAI operation duration",
    (*GENAI_LABELS, "error.type"), DURATION_BUCKETS,
)  # fmt: skip
GENAI_TOKENS = InstrumentSpec(
    "gen_ai.client.token.usage", HISTOGRAM, "{token}", "Number of input and output tokens used",
    (*GENAI_LABELS, "gen_ai.token.type"), TOKEN_BUCKETS,
)  # fmt: skip
GENAI_TTFC = InstrumentSpec(
    "gen_ai.client.operation.time_to_first_chunk", HISTOGRAM, "s",
    "Time to receive the first chunk of a streamed response", GENAI_LABELS, DURATION_BUCKETS,
)  # fmt: skip
GENAI_TPOC = InstrumentSpec(
    "gen_ai.client.operation.time_per_output_chunk", HISTOGRAM, "s",
    "Time per output chunk after the first, one mean value per stream", GENAI_LABELS, DURATION_BUCKETS,
)  # fmt: skip

LLM_FAMILY_SPECS = (
    REQUESTS, ERRORS, DURATION, TOKENS, TOKEN_DETAILS, COST, COST_PER_REQUEST, UNPRICED, QUALITY,
    LABEL_OVERFLOW, EVALUATIONS_DROPPED, USAGE_REJECTED,
)  # fmt: skip
GENAI_FAMILY_SPECS = (GENAI_DURATION, GENAI_TOKENS, GENAI_TTFC, GENAI_TPOC)
ALL_SPECS = LLM_FAMILY_SPECS + GENAI_FAMILY_SPECS
