"""Settings shared by every instrumentor: environment variables, overridable by the SDK's init()."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
MAX_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_MAX_CONTENT_BYTES"
METRIC_FAMILIES_ENV = "OPENLLMETRY_METRIC_FAMILIES"
CARDINALITY_LIMIT_ENV = "OPENLLMETRY_CARDINALITY_LIMIT"
FAST_HISTOGRAMS_ENV = "OPENLLMETRY_FAST_HISTOGRAMS"

LLM_FAMILY = "llm"
GENAI_FAMILY = "gen_ai"
ALL_FAMILIES = frozenset({LLM_FAMILY, GENAI_FAMILY})

_FALSE = {"0", "false", "no", "off"}
_TRUE = {"1", "true", "yes", "on", "span_only", "span_and_event", "event_only"}


def _env_bool(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def parse_families(value: str | None) -> frozenset[str]:
    """`"llm,gen_ai"` → both; `"llm"` → only ours; `"none"` or `""` → neither."""
    if value is None:
        return ALL_FAMILIES
    names = {part.strip().lower() for part in value.split(",") if part.strip()}
    return frozenset(names & ALL_FAMILIES)


@dataclass
class Settings:
    capture_content: bool = False
    max_content_bytes: int = 16384
    metric_families: frozenset[str] = field(default_factory=lambda: ALL_FAMILIES)
    cardinality_limit: int = 1000
    fast_histograms: bool = True  # read when a MeterProvider's instruments are created

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            capture_content=_env_bool(CAPTURE_CONTENT_ENV),
            max_content_bytes=_env_int(MAX_CONTENT_ENV, 16384),
            metric_families=parse_families(os.environ.get(METRIC_FAMILIES_ENV)),
            cardinality_limit=_env_int(CARDINALITY_LIMIT_ENV, 1000),
            fast_histograms=os.environ.get(FAST_HISTOGRAMS_ENV, "").strip().lower() not in _FALSE,
        )


settings = Settings.from_env()


def configure(
    *,
    capture_content: bool | None = None,
    max_content_bytes: int | None = None,
    metric_families: frozenset[str] | set[str] | tuple[str, ...] | None = None,
    cardinality_limit: int | None = None,
) -> Settings:
    """Override settings in place (None keeps the current value). Returns the settings."""
    if capture_content is not None:
        settings.capture_content = bool(capture_content)
    if max_content_bytes is not None and max_content_bytes > 0:
        settings.max_content_bytes = int(max_content_bytes)
    if metric_families is not None:
        settings.metric_families = frozenset(metric_families) & ALL_FAMILIES
    if cardinality_limit is not None and cardinality_limit > 0:
        settings.cardinality_limit = int(cardinality_limit)
    return settings


def reset() -> Settings:
    """Re-read the environment (tests use this)."""
    fresh = Settings.from_env()
    for name in fresh.__dataclass_fields__:
        setattr(settings, name, getattr(fresh, name))
    return settings
