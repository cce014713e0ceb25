"""The instruments of one MeterProvider, and the cheap path that records an operation.

Two sinks, each switched on where it is used:
- the core's own `Store` (global MeterProvider only, once `use_store()` gave it one): the
  accumulators that /metrics is rendered from, in memory or in a multi-process file;
- the OpenTelemetry SDK, for every other reader (OTLP, in-memory). Counters are observable: the
  call path only adds to dicts under one lock, and the totals are read when a reader collects.
  Histograms are the SDK's own, fed through `histograms.FastHistogram`, which counts into buckets
  on the call path and hands the counts to the SDK at collection. When the only readers are
  Prometheus ones that /metrics renders from the store, `use_store(feed_sdk=False)` skips this.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from . import instruments as spec
from . import names
from .config import GENAI_FAMILY, LLM_FAMILY, settings
from .histograms import Batcher, FastHistogram
from .labels import OVERFLOW, GenAILabels, LabelCache, LLMLabels, normalize_label
from .store import Store
from .version import __version__

SCOPE = "opentelemetry.semconv_ai"
logger = logging.getLogger(SCOPE)

_Store = dict[Any, list[Any]]

# The most one call can cost: MAX_TOKENS at the dearest price any provider lists is far below it.
MAX_COST_USD = 100_000.0
MAX_EVALUATOR_LENGTH = 64


def valid_cost(cost: object) -> bool:
    return isinstance(cost, (int, float)) and not isinstance(cost, bool) and 0 <= cost <= MAX_COST_USD


def _add(store: _Store, key: Any, attrs: dict[str, Any], value: float) -> None:
    entry = store.get(key)
    if entry is None:
        store[key] = [attrs, value]
    else:
        entry[1] += value


class Metrics:
    def __init__(self, meter_provider: metrics.MeterProvider | None = None) -> None:
        meter = metrics.get_meter(SCOPE, __version__, meter_provider, schema_url=names.SCHEMA_URL)
        self.labels = LabelCache(settings.cardinality_limit)
        self.store: Store | None = None
        self.feed_sdk = True
        self._lock = threading.Lock()
        self._stores: dict[str, _Store] = {}
        self._histograms: dict[str, FastHistogram] = {}
        self._batcher = Batcher(settings.fast_histograms)
        for item in spec.ALL_SPECS:
            if item.kind == spec.COUNTER:
                store: _Store = {}
                self._stores[item.name] = store
                meter.create_observable_counter(
                    item.name, callbacks=[self._observer(store)], unit=item.unit, description=item.description
                )
            else:
                histogram = meter.create_histogram(
                    item.name,
                    unit=item.unit,
                    description=item.description,
                    explicit_bucket_boundaries_advisory=list(item.buckets or ()),
                )
                self._histograms[item.name] = self._batcher.histogram(histogram, tuple(item.buckets or ()))
        # Observable callbacks run at the start of every collection: the histograms' counts go in then.
        # The gauge itself never has a point, so no reader exports it.
        meter.create_observable_gauge(f"{SCOPE}.flush", callbacks=[self._flush])
        s = self._stores
        self._requests = s[spec.REQUESTS.name]
        self._errors = s[spec.ERRORS.name]
        self._tokens = s[spec.TOKENS.name]
        self._details = s[spec.TOKEN_DETAILS.name]
        self._cost = s[spec.COST.name]
        self._unpriced = s[spec.UNPRICED.name]
        self._overflow = s[spec.LABEL_OVERFLOW.name]
        self._dropped = s[spec.EVALUATIONS_DROPPED.name]
        self._rejected = s[spec.USAGE_REJECTED.name]
        h = self._histograms
        self._duration = h[spec.DURATION.name]
        self._cost_per_request = h[spec.COST_PER_REQUEST.name]
        self._quality = h[spec.QUALITY.name]
        self._genai_duration = h[spec.GENAI_DURATION.name]
        self._genai_tokens = h[spec.GENAI_TOKENS.name]
        self._genai_ttfc = h[spec.GENAI_TTFC.name]
        self._genai_tpoc = h[spec.GENAI_TPOC.name]

    def _observer(self, store: _Store) -> Any:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            if not self.feed_sdk:
                return []
            with self._lock:
                points = [(attrs, value) for attrs, value in store.values()]
            return [Observation(value, attrs) for attrs, value in points]

        return observe

    def _flush(self, options: CallbackOptions) -> Iterable[Observation]:
        try:
            self._batcher.flush()
        except Exception:
            logger.debug("histogram flush failed", exc_info=True)
        return ()

    def _after_fork(self) -> None:
        # The child is a new process: a lock held at fork time would never be released, and the
        # parent's totals are the parent's to report.
        self._lock = threading.Lock()
        for store in self._stores.values():
            store.clear()
        self._batcher.after_fork()  # the store resets itself (store.py)

    def llm_labels(self, provider: str, operation: str, model: str, workflow: str) -> LLMLabels:
        with self._lock:
            labels, overflow = self.labels.llm(provider, operation, model, workflow)
        if overflow:
            self._overflowed(labels)
        return labels

    def _overflowed(self, labels: LLMLabels) -> None:
        """+1 on llm_label_overflow_total of `labels`, for the SDK and the store alike."""
        with self._lock:
            _add(self._overflow, labels.key, labels.base, 1)
        if self.store is not None:
            self._to_store(self.store.count, labels.key, "overflow")

    def _to_store(self, method: Any, *args: Any) -> None:
        try:
            method(*args)
        except Exception:
            logger.debug("recording into the metrics store failed", exc_info=True)

    def record_operation(
        self,
        labels: LLMLabels,
        *,
        duration: float,
        error_type: str | None,
        input_tokens: int | None,
        output_tokens: int | None,
        cache_read: int | None,
        cache_creation: int | None,
        reasoning: int | None,
        response_model: str,
        server_address: str,
        server_port: object,
        time_to_first_chunk: float | None,
        time_per_chunk: float | None,
    ) -> None:
        """Both families for one ended operation."""
        families = settings.metric_families
        store = self.store
        genai: GenAILabels | None = None
        attrs: dict[str, Any] | None = None
        if GENAI_FAMILY in families:
            provider, operation, model, _ = labels.key
            with self._lock:
                genai, overflow = self.labels.genai(
                    provider, operation, model, response_model, server_address, server_port
                )
            if overflow and OVERFLOW not in labels.key:  # counted once per operation
                self._overflowed(labels)
            attrs = genai.ok if error_type is None else genai.for_error(error_type)
        if store is not None:
            try:
                store.operation(
                    labels.key if LLM_FAMILY in families else None,
                    tuple(genai.base.values()) if genai is not None else None,
                    "" if attrs is None else attrs[names.ERROR_TYPE],
                    duration, input_tokens, output_tokens, cache_read, cache_creation, reasoning,
                    time_to_first_chunk, time_per_chunk,
                )  # fmt: skip
            except Exception:
                logger.debug("recording into the metrics store failed", exc_info=True)
        if not self.feed_sdk:
            return
        if LLM_FAMILY in families:
            base = labels.base
            key = labels.key
            by_type = labels.by_token_type
            with self._lock:
                _add(self._requests, key, base, 1)
                _add(self._errors, key, base, 0 if error_type is None else 1)
                if input_tokens:
                    _add(self._tokens, (key, names.TOKEN_INPUT), by_type[names.TOKEN_INPUT], input_tokens)
                if output_tokens:
                    _add(self._tokens, (key, names.TOKEN_OUTPUT), by_type[names.TOKEN_OUTPUT], output_tokens)
                if cache_read:
                    kind = names.TOKEN_CACHE_READ
                    _add(self._details, (key, kind), by_type[kind], cache_read)
                if cache_creation:
                    kind = names.TOKEN_CACHE_CREATION
                    _add(self._details, (key, kind), by_type[kind], cache_creation)
                if reasoning:
                    kind = names.TOKEN_REASONING
                    _add(self._details, (key, kind), by_type[kind], reasoning)
            self._duration.record(duration, base)
        if genai is not None and attrs is not None:
            self._genai_duration.record(duration, attrs)
            if input_tokens is not None:
                self._genai_tokens.record(input_tokens, genai.tokens[names.TOKEN_INPUT])
            if output_tokens is not None:
                self._genai_tokens.record(output_tokens, genai.tokens[names.TOKEN_OUTPUT])
            if time_to_first_chunk is not None:
                self._genai_ttfc.record(time_to_first_chunk, genai.base)
            if time_per_chunk is not None:
                self._genai_tpoc.record(time_per_chunk, genai.base)

    def record_cost(self, labels: LLMLabels, cost: float | None) -> None:
        if LLM_FAMILY not in settings.metric_families:
            return
        if cost is not None and not valid_cost(cost):  # the deferred pricing path arrives here unchecked
            self.record_rejected(labels, "cost")
            return
        if self.store is not None:
            self._to_store(self.store.cost, labels.key, cost)
        if not self.feed_sdk:
            return
        if cost is None:
            with self._lock:
                _add(self._unpriced, labels.key, labels.base, 1)
            return
        with self._lock:
            _add(self._cost, labels.key, labels.base, cost)
        self._cost_per_request.record(cost, labels.base)

    def record_quality(self, labels: LLMLabels, evaluator: str, score: float) -> None:
        if LLM_FAMILY not in settings.metric_families:
            return
        name = normalize_label(evaluator, "unknown", MAX_EVALUATOR_LENGTH)
        attrs = labels.quality.get(name)
        if attrs is None:
            with self._lock:
                value, overflow = self.labels.value("evaluator", name)
            if overflow:
                self._overflowed(labels)
            attrs = labels.for_evaluator(value)  # type: ignore[arg-type]
        if self.store is not None:
            self._to_store(self.store.quality, labels.key, attrs["evaluator"], score)
        if self.feed_sdk:
            self._quality.record(score, attrs)

    def record_rejected(self, labels: LLMLabels, kind: str) -> None:
        """A token count or a cost that no single call can produce, left out of every series."""
        if self.store is not None:
            self._to_store(self.store.count, labels.key, kind)
        with self._lock:
            _add(self._rejected, (labels.key, kind), {**labels.base, "kind": kind}, 1)

    def record_dropped_evaluation(self, labels: LLMLabels) -> None:
        if self.store is not None:
            self._to_store(self.store.count, labels.key, "dropped")
        with self._lock:
            _add(self._dropped, labels.key, labels.base, 1)


_by_provider: weakref.WeakKeyDictionary[Any, Metrics] = weakref.WeakKeyDictionary()
_global: dict[str, Metrics] = {}
_global_sinks: tuple[Store | None, bool] = (None, True)
_registry_lock = threading.Lock()


def _reset_after_fork() -> None:
    global _registry_lock
    _registry_lock = threading.Lock()
    for found in [*_global.values(), *_by_provider.values()]:
        found._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def metrics_for(meter_provider: metrics.MeterProvider | None = None) -> Metrics:
    """The one Metrics of a MeterProvider (None: the global one), so instruments exist once."""
    with _registry_lock:
        if meter_provider is None:
            found = _global.get("global")
            if found is None:
                found = _global["global"] = Metrics(None)
                found.store, found.feed_sdk = _global_sinks
            return found
        found = _by_provider.get(meter_provider)
        if found is None:
            found = _by_provider[meter_provider] = Metrics(meter_provider)
        return found


def use_store(store: Store | None, *, feed_sdk: bool = True) -> None:
    """Where the global MeterProvider's operations go: `store` (rendered by /metrics; None: nowhere)
    and, when `feed_sdk`, the SDK's instruments for every other reader."""
    global _global_sinks
    with _registry_lock:
        _global_sinks = (store, feed_sdk)
        found = _global.get("global")
        if found is not None:
            found.store, found.feed_sdk = store, feed_sdk


def global_store() -> Store | None:
    return _global_sinks[0]
