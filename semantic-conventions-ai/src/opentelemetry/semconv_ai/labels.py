"""Label sets, built once per (provider, operation, model, workflow) and capped in number."""

from __future__ import annotations

import logging
import re

from . import instruments as spec
from . import names
from .redaction import redact_secrets

logger = logging.getLogger("opentelemetry.semconv_ai")

MAX_MODEL_LENGTH = 128
MAX_LABEL_LENGTH = 128
UNKNOWN_MODEL = "unknown"
OVERFLOW_MODEL = "other"
OVERFLOW = OVERFLOW_MODEL
# The largest count one call can report: far above any context window (10M tokens) times choices.
MAX_TOKENS = 100_000_000

_SURROGATE = re.compile("[\ud800-\udfff]")
_normal: dict[int, dict[str, str]] = {}  # by max_length: the values seen, normalised
_MAX_NORMAL_CACHED = 4096


def _normalize(value: str, max_length: int) -> str:
    value = value[: max_length * 2]
    if not value.isascii():
        # A lone surrogate (a JSON "\ud800" escape, os.fsdecode output) cannot be encoded by any exporter.
        value = _SURROGATE.sub("\ufffd", value)
    value = redact_secrets(value)
    if not value.isprintable():
        value = "".join(ch if ch.isprintable() else "_" for ch in value)
    return value[:max_length].strip()


def normalize_label(value: object, default: str = "", max_length: int = MAX_LABEL_LENGTH) -> str:
    """A label value safe for every exporter: a string of at most `max_length` printable characters,
    valid UTF-8 (no lone surrogates), with secrets redacted. Anything else becomes `default`."""
    if not isinstance(value, str) or not value:
        return default
    if len(value) > 256:  # never cached: hostile answers must not fill the cache with big keys
        return _normalize(value, max_length) or default
    cache = _normal.get(max_length)
    if cache is None:
        cache = _normal[max_length] = {}
    found = cache.get(value)
    if found is None:
        if len(cache) >= _MAX_NORMAL_CACHED:
            cache.clear()
        found = cache[value] = _normalize(value, max_length)
    return found or default


def _added(instrument: spec.InstrumentSpec, base: tuple[str, ...]) -> str:
    """The one label an instrument adds to its family's common ones."""
    (extra,) = (key for key in instrument.labels if key not in base)
    return extra


# Label keys come from the instrument specs alone.
_TOKEN_TYPE = _added(spec.TOKENS, spec.LLM_LABELS)
_EVALUATOR = _added(spec.QUALITY, spec.LLM_LABELS)
_GENAI_TOKEN_TYPE = _added(spec.GENAI_TOKENS, spec.GENAI_LABELS)
_ERROR_TYPE = _added(spec.GENAI_DURATION, spec.GENAI_LABELS)


def normalize_model(model: object) -> str:
    """A bounded, printable model name. Anything else becomes `unknown`."""
    return normalize_label(model, UNKNOWN_MODEL, MAX_MODEL_LENGTH)


def finite_count(value: object) -> int | None:
    """A token count as a non-negative int no larger than one call can produce, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not (0 <= value <= MAX_TOKENS):  # also NaN and infinities
        return None
    if isinstance(value, int) and not (0 <= value <= MAX_TOKENS):  # a 401-digit integer, say
        return None
    return int(value)


class LLMLabels:
    """The attribute dicts of the `llm_*` family for one label set."""

    __slots__ = ("base", "by_token_type", "key", "quality")

    def __init__(self, key: tuple[str, str, str, str]) -> None:
        provider, operation, model, workflow = key
        self.key = key
        self.base = dict(zip(spec.LLM_LABELS, (model, provider, operation, workflow), strict=True))
        self.by_token_type = {
            kind: {**self.base, _TOKEN_TYPE: kind}
            for kind in (
                names.TOKEN_INPUT,
                names.TOKEN_OUTPUT,
                names.TOKEN_CACHE_READ,
                names.TOKEN_CACHE_CREATION,
                names.TOKEN_REASONING,
            )
        }
        self.quality: dict[str, dict[str, str]] = {}

    def for_evaluator(self, evaluator: str) -> dict[str, str]:
        attrs = self.quality.get(evaluator)
        if attrs is None:
            attrs = self.quality[evaluator] = {**self.base, _EVALUATOR: evaluator}
        return attrs


class GenAILabels:
    """The attribute dicts of the GenAI family for one label set."""

    __slots__ = ("base", "failed", "ok", "tokens")

    def __init__(self, key: tuple[str, str, str, str, str, object]) -> None:
        provider, operation, model, response_model, address, port = key
        values = (operation, provider, model, response_model, address, port)
        self.base: dict[str, object] = dict(zip(spec.GENAI_LABELS, values, strict=True))
        # error.type is present on every point so the series keeps one label set; "" means success.
        self.ok = {**self.base, _ERROR_TYPE: ""}
        self.failed: dict[str, dict[str, object]] = {}
        self.tokens = {
            kind: {**self.base, _GENAI_TOKEN_TYPE: kind} for kind in (names.TOKEN_INPUT, names.TOKEN_OUTPUT)
        }

    def for_error(self, error_type: str) -> dict[str, object]:
        attrs = self.failed.get(error_type)
        if attrs is None:
            if len(self.failed) >= MAX_FANOUT - 1:
                error_type = "_OTHER"
                attrs = self.failed.get(error_type)
                if attrs is not None:
                    return attrs
            attrs = self.failed[error_type] = {**self.base, _ERROR_TYPE: error_type}
        return attrs


# Distinct values kept per label that comes from data or configuration; past it, the value is `other`.
VALUE_LIMITS = {"provider": 64, "operation": 32, "workflow": 256, "server": 64, "evaluator": 32}
# Past `limit` label sets, new ones drop the model, then (RESERVE sets later) the workflow and server,
# then (RESERVE more) everything: the caches never hold more than limit + 2 * RESERVE + 1 sets.
RESERVE = 64
# Attribute sets one label set can fan out to in one instrument (error types, evaluators, token types).
MAX_FANOUT = 1 + max(32, VALUE_LIMITS["evaluator"])


def sdk_cardinality_limit(limit: int) -> int:
    """The SDK cardinality limit per instrument that our caps never reach: no `otel_metric_overflow`."""
    return MAX_FANOUT * (limit + 2 * RESERVE + 2) + 1


class LabelCache:
    """Bounded caches of label sets. Every label from data is capped; overflow becomes `other`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._llm: dict[tuple[str, str, str, str], LLMLabels] = {}
        self._genai: dict[tuple[str, str, str, str, str, object], GenAILabels] = {}
        self._values: dict[str, set[object]] = {name: set() for name in VALUE_LIMITS}
        self._warned: set[str] = set()

    def value(self, dimension: str, value: object) -> tuple[object, bool]:
        """`value`, or `other` once `dimension` holds its limit of distinct values; and if it overflowed."""
        seen = self._values[dimension]
        if value in seen or value == "":
            return value, False
        if len(seen) >= VALUE_LIMITS[dimension]:
            self._warn(dimension, VALUE_LIMITS[dimension])
            return OVERFLOW, True
        seen.add(value)
        return value, False

    def llm(self, provider: str, operation: str, model: str, workflow: str) -> tuple[LLMLabels, bool]:
        """The label set, and whether any of its values overflowed into `other`."""
        key = (provider, operation, model, workflow)
        labels = self._llm.get(key)
        if labels is not None:
            return labels, False
        provider, over_p = self.value("provider", provider)  # type: ignore[assignment]
        operation, over_o = self.value("operation", operation)  # type: ignore[assignment]
        workflow, over_w = self.value("workflow", workflow)  # type: ignore[assignment]
        overflow = over_p or over_o or over_w
        size = len(self._llm)
        if size >= self.limit:
            overflow = True
            self._warn("label set", self.limit)
            model = OVERFLOW
            if size >= self.limit + RESERVE:
                workflow = OVERFLOW
            if size >= self.limit + 2 * RESERVE:
                provider = operation = OVERFLOW
        key = (provider, operation, model, workflow)
        labels = self._llm.get(key)
        if labels is None:
            labels = self._llm[key] = LLMLabels(key)
        return labels, overflow

    def genai(
        self, provider: str, operation: str, model: str, response_model: str, address: str, port: object
    ) -> tuple[GenAILabels, bool]:
        key = (provider, operation, model, response_model, address, port)
        labels = self._genai.get(key)
        if labels is not None:
            return labels, False
        _, overflow = self.value("server", (address, port))
        if overflow:
            address, port = OVERFLOW, ""
        size = len(self._genai)
        if size >= self.limit:
            overflow = True
            self._warn("label set", self.limit)
            model = response_model = OVERFLOW
            if size >= self.limit + RESERVE:
                address, port = OVERFLOW, ""
            if size >= self.limit + 2 * RESERVE:
                provider = operation = OVERFLOW
        key = (provider, operation, model, response_model, address, port)
        labels = self._genai.get(key)
        if labels is None:
            labels = self._genai[key] = GenAILabels(key)
        return labels, overflow

    def _warn(self, what: str, limit: int) -> None:
        if what not in self._warned:
            self._warned.add(what)
            logger.warning(
                "GenAI metrics reached %d distinct %s values; further ones are recorded as %r and counted "
                "in llm_label_overflow_total. Raise OPENLLMETRY_CARDINALITY_LIMIT if this is expected.",
                limit,
                what,
                OVERFLOW,
            )
