"""Label sets, built once per (provider, operation, model, workflow) and capped in number."""

from __future__ import annotations

import logging
import math

from . import instruments as spec
from . import names

logger = logging.getLogger("opentelemetry.semconv_ai")

MAX_MODEL_LENGTH = 128
UNKNOWN_MODEL = "unknown"
OVERFLOW_MODEL = "other"


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
    if not isinstance(model, str) or not model:
        return UNKNOWN_MODEL
    if len(model) > MAX_MODEL_LENGTH:
        model = model[:MAX_MODEL_LENGTH]
    if not model.isprintable():
        model = "".join(ch if ch.isprintable() else "_" for ch in model)
    return model.strip() or UNKNOWN_MODEL


def finite_count(value: object) -> int | None:
    """A token count as a non-negative int, or None for anything that is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    count = int(value)
    return count if count >= 0 else None


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
            if len(self.failed) >= 32:
                error_type = "_OTHER"
                attrs = self.failed.get(error_type)
                if attrs is not None:
                    return attrs
            attrs = self.failed[error_type] = {**self.base, _ERROR_TYPE: error_type}
        return attrs


class LabelCache:
    """Bounded caches of label sets. Past `limit` distinct sets, new models become `other`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._llm: dict[tuple[str, str, str, str], LLMLabels] = {}
        self._genai: dict[tuple[str, str, str, str, str, object], GenAILabels] = {}
        self._warned = False

    def llm(self, provider: str, operation: str, model: str, workflow: str) -> tuple[LLMLabels, bool]:
        """The label set, and whether it overflowed into `other`."""
        key = (provider, operation, model, workflow)
        labels = self._llm.get(key)
        if labels is not None:
            return labels, False
        overflow = len(self._llm) >= self.limit
        if overflow:
            self._warn()
            key = (provider, operation, OVERFLOW_MODEL, workflow)
            labels = self._llm.get(key)
            if labels is not None:
                return labels, True
        labels = self._llm[key] = LLMLabels(key)
        return labels, overflow

    def genai(
        self, provider: str, operation: str, model: str, response_model: str, address: str, port: object
    ) -> GenAILabels:
        key = (provider, operation, model, response_model, address, port)
        labels = self._genai.get(key)
        if labels is not None:
            return labels
        if len(self._genai) >= self.limit:
            self._warn()
            key = (provider, operation, OVERFLOW_MODEL, OVERFLOW_MODEL, address, port)
            labels = self._genai.get(key)
            if labels is not None:
                return labels
        labels = self._genai[key] = GenAILabels(key)
        return labels

    def _warn(self) -> None:
        if not self._warned:
            self._warned = True
            logger.warning(
                "GenAI metrics reached %d distinct label sets; further models are recorded as model=%r. "
                "Raise OPENLLMETRY_CARDINALITY_LIMIT if this is expected.",
                self.limit,
                OVERFLOW_MODEL,
            )
