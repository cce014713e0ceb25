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
# Values of OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, as the OpenTelemetry GenAI
# instrumentations read it: where content goes (span attributes, the inference event, or both).
SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT = "span_only", "event_only", "span_and_event"
_MODES = {"1": SPAN_ONLY, "true": SPAN_ONLY, "yes": SPAN_ONLY, "on": SPAN_ONLY}
_MODES.update({mode: mode for mode in (SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT)})
_TRUE = frozenset(_MODES)


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
    content_on_spans: bool = True
    content_on_events: bool = False
    max_content_bytes: int = 16384
    metric_families: frozenset[str] = field(default_factory=lambda: ALL_FAMILIES)
    cardinality_limit: int = 1000
    fast_histograms: bool = True  # read when a MeterProvider's instruments are created

    def set_content_mode(self, mode: str) -> None:
        """`span_only`, `event_only` or `span_and_event` (content capture itself stays as it is)."""
        self.content_on_spans = mode in (SPAN_ONLY, SPAN_AND_EVENT)
        self.content_on_events = mode in (EVENT_ONLY, SPAN_AND_EVENT)

    @classmethod
    def from_env(cls) -> Settings:
        mode = _MODES.get(os.environ.get(CAPTURE_CONTENT_ENV, "").strip().lower(), SPAN_ONLY)
        return cls(
            capture_content=_env_bool(CAPTURE_CONTENT_ENV),
            content_on_spans=mode != EVENT_ONLY,
            content_on_events=mode != SPAN_ONLY,
            max_content_bytes=_env_int(MAX_CONTENT_ENV, 16384),
            metric_families=parse_families(os.environ.get(METRIC_FAMILIES_ENV)),
            cardinality_limit=_env_int(CARDINALITY_LIMIT_ENV, 1000),
            fast_histograms=os.environ.get(FAST_HISTOGRAMS_ENV, "").strip().lower() not in _FALSE,
        )


settings = Settings.from_env()


def configure(
    *,
    capture_content: bool | str | None = None,
    max_content_bytes: int | None = None,
    metric_families: frozenset[str] | set[str] | tuple[str, ...] | None = None,
    cardinality_limit: int | None = None,
) -> Settings:
    """Override settings in place (None keeps the current value). Returns the settings.

    `capture_content`: True / False, or where content goes: `"span_only"`, `"event_only"`,
    `"span_and_event"` (True keeps the environment's choice of place, span attributes by default).
    """
    if isinstance(capture_content, str):  # a mode, as the environment variable takes it
        mode = _MODES.get(capture_content.strip().lower())
        settings.capture_content = mode is not None
        if mode is not None:
            settings.set_content_mode(mode)
    elif capture_content is not None:
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
