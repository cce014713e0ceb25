"""Response quality scores (`llm_response_quality_score`): cheap built-in evaluators and the user's own.

An evaluator is any callable that takes an `EvaluationInput` and returns a score in [0, 1] (a bool
counts as 1 or 0; None means "no score for this one"). Its `evaluator` label is its `name`
attribute, else its `__name__`; pass a dict to name them instead.

Evaluators run in one daemon thread, off the call path: when an operation ends, the core's end hook
puts a small tuple on a bounded queue and returns. When the queue is full the evaluation is dropped
and counted in `llm_evaluations_dropped_total`. Evaluators see the answer even when content capture
is off; nothing they see is exported, and instrumentation is suppressed in their thread, so an
evaluator that calls an LLM itself makes no spans or metrics (and no evaluations of its own).
"""

from __future__ import annotations

import json
import logging
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import context
from opentelemetry.semconv_ai import (
    Operation,
    add_end_hook,
    current_workflow,
    metrics_for,
    names,
    remove_end_hook,
)
from opentelemetry.semconv_ai.labels import normalize_label, normalize_model
from opentelemetry.semconv_ai.operation import JSON_CONTENT

logger = logging.getLogger("openllmetry")

Score = float | bool | None


@dataclass(frozen=True)
class EvaluationInput:
    """What an evaluator sees of one ended operation. Never exported."""

    operation: str
    provider: str
    model: str
    response_model: str | None
    workflow: str
    finish_reasons: tuple[str, ...]
    output_messages: list[dict[str, Any]] | None  # the conventions' shape; None when not collected
    output_type: str | None  # "json" when a JSON response format was requested
    error_type: str | None  # set when the operation failed
    input_tokens: int | None
    output_tokens: int | None
    answered: bool | None = None  # output had text or tool calls; known even when messages are not kept

    @property
    def text(self) -> str:
        """The answer's text parts, joined."""
        return "".join(_texts(self.output_messages or ()))

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return [p for m in self.output_messages or () for p in _parts(m) if p.get("type") == "tool_call"]


Evaluator = Callable[[EvaluationInput], Score]


def _parts(message: Any) -> list[dict[str, Any]]:
    parts = message.get("parts") if isinstance(message, dict) else None
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


def _texts(messages: Iterable[Any]) -> list[str]:
    return [
        p["content"]
        for m in messages
        for p in _parts(m)
        if p.get("type") == "text" and isinstance(p.get("content"), str)
    ]


# -- built-in evaluators ------------------------------------------------------------------------

# Raw provider values and the conventions' values, lower-cased. Reasons not listed give no score.
FINISH_REASON_SCORES = {
    **dict.fromkeys(
        ("stop", "end_turn", "stop_sequence", "tool_calls", "tool_call", "tool_use", "function_call"), 1.0
    ),
    **dict.fromkeys(("length", "max_tokens", "max_output_tokens", "model_context_window_exceeded"), 0.5),
    **dict.fromkeys(
        ("content_filter", "refusal", "safety", "recitation", "blocklist", "prohibited_content", "spii"), 0.0
    ),
    **dict.fromkeys(("error", "failed"), 0.0),
}
_ANSWER_OPERATIONS = frozenset({names.CHAT, names.TEXT_COMPLETION, names.GENERATE_CONTENT})


def finish_reason(result: EvaluationInput) -> float | None:
    """1 for a normal stop (tool calls included), 0.5 for a length cut-off, 0 for a filter or an error."""
    if result.error_type is not None:
        return 0.0
    scores = [FINISH_REASON_SCORES.get(r.lower()) for r in result.finish_reasons]
    known = [s for s in scores if s is not None]
    return sum(known) / len(known) if known else None


def non_empty(result: EvaluationInput) -> float | None:
    """1 when the answer has text or tool calls (or other output parts), 0 when it is empty."""
    if result.error_type is not None:
        return None
    if result.output_messages is None:
        return None if result.answered is None else float(result.answered)
    for message in result.output_messages:
        for part in _parts(message):
            kind = part.get("type")
            if kind == "text":
                content = part.get("content")
                if isinstance(content, str) and content.strip():
                    return 1.0
            elif kind != "reasoning":
                return 1.0
    return 0.0


def json_valid(result: EvaluationInput) -> float | None:
    """When a JSON response format was requested: the share of answers whose text parses as JSON."""
    if result.output_type != names.OUTPUT_JSON or result.error_type is not None or not result.output_messages:
        return None
    scores = []
    for message in result.output_messages:
        texts = _texts([message])
        if not texts and any(p.get("type") == "tool_call" for p in _parts(message)):
            continue  # answered with a tool call instead: not a JSON answer to judge
        try:
            json.loads("".join(texts))
            scores.append(1.0)
        except ValueError:
            scores.append(0.0)
    return sum(scores) / len(scores) if scores else None


BUILTINS: dict[str, Evaluator] = {
    "finish_reason": finish_reason,
    "non_empty": non_empty,
    "json_valid": json_valid,
}
_NEEDS_JSON_CONTENT = frozenset({"json_valid"})  # non_empty reads op.answered, kept without content


# -- the worker ---------------------------------------------------------------------------------

_STOP = object()


def _score(value: Any) -> float | None:
    """A score clamped to [0, 1]; None for anything that is not a finite number."""
    if value is None or isinstance(value, (str, bytes)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return min(1.0, max(0.0, number))


class _Worker:
    def __init__(self, evaluators: list[tuple[str, Evaluator, bool]], queue_size: int) -> None:
        self.evaluators = evaluators  # (name, evaluator, answers only)
        # The built-ins are a few dict lookups: they run inline, which costs less CPU than handing
        # each operation to a thread. User evaluators may be slow: only they go to the worker.
        self.inline = [e for e in evaluators if e[2]]
        self.queued = [e for e in evaluators if not e[2]]
        self.queue_size = queue_size
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self.answers_only = all(only for _, _, only in evaluators)
        # User evaluators may read any output; json_valid only the answers that were asked to be JSON.
        self.wants_content: bool | str = any(only is False for _, _, only in evaluators) or (
            JSON_CONTENT if any(name in _NEEDS_JSON_CONTENT for name, _, _ in evaluators) else False
        )
        self.thread: threading.Thread | None = None
        self.closed = False
        self._lock = threading.Lock()

    def ensure_started(self) -> None:
        with self._lock:
            if self.thread is None and not self.closed:
                self.thread = threading.Thread(target=self._run, name="openllmetry-evaluators", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        context.attach(context.set_value(context._SUPPRESS_INSTRUMENTATION_KEY, True))
        while not self.closed:
            item = self.queue.get()
            if item is _STOP:
                return
            try:
                self._evaluate(*item)
            except Exception:
                logger.debug("evaluating an operation failed", exc_info=True)

    def _evaluate(self, metrics: Any, labels: Any, *fields: Any) -> None:
        _run(self.queued, metrics, labels, EvaluationInput(*fields))

    def close(self, timeout: float | None) -> None:
        """Evaluate what is queued, then end the thread (give up after `timeout` seconds)."""
        thread = self.thread
        if thread is None:
            self.closed = True
            return
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            self.queue.put(_STOP, timeout=timeout)
        except queue.Full:
            pass
        thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        self.closed = True  # a thread still busy stops after its current evaluation


class _State:
    lock = threading.Lock()
    worker: _Worker | None = None


def _run(
    evaluators: list[tuple[str, Evaluator, bool]], metrics: Any, labels: Any, result: EvaluationInput
) -> None:
    answer = result.operation in _ANSWER_OPERATIONS
    for name, evaluator, answers_only in evaluators:
        if answers_only and not answer:
            continue
        try:
            score = _score(evaluator(result))
        except Exception:
            logger.debug("evaluator %s failed", name, exc_info=True)
            continue
        if score is not None:
            metrics.record_quality(labels, name, score)


def _fields(op: Operation) -> tuple[Any, ...]:
    """The fields of EvaluationInput, in order."""
    return (
        op.operation,
        op.provider,
        op.model,
        op.response_model,
        op.workflow,
        op.finish_reasons or (),
        op.output_messages,
        op.output_type,
        op.error_type,
        op.input_tokens,
        op.output_tokens,
        op.answered,
    )


def _on_end(op: Operation) -> None:
    worker = _State.worker
    if worker is None or (worker.answers_only and op.operation not in _ANSWER_OPERATIONS):
        return
    if worker.inline and op.operation in _ANSWER_OPERATIONS:
        _run(worker.inline, op.metrics, op.labels, EvaluationInput(*_fields(op)))
    if not worker.queued:
        return
    if worker.thread is None:
        worker.ensure_started()
    # The worker builds the EvaluationInput off the call path.
    try:
        worker.queue.put_nowait((op.metrics, op.labels, *_fields(op)))
    except queue.Full:
        op.metrics.record_dropped_evaluation(op.labels)


def _chosen_builtins(builtins: bool | Collection[str]) -> list[tuple[str, Evaluator, bool]]:
    if builtins is True:
        wanted: Iterable[str] = BUILTINS
    elif not builtins:
        wanted = ()
    else:
        wanted = [builtins] if isinstance(builtins, str) else list(builtins)
    chosen = []
    for name in wanted:
        if name in BUILTINS:
            chosen.append((name, BUILTINS[name], True))
        else:
            logger.warning("unknown built-in evaluator %r ignored; known: %s", name, ", ".join(BUILTINS))
    return chosen


def _user_evaluators(
    evaluators: Iterable[Evaluator] | Mapping[str, Evaluator] | None,
) -> list[tuple[str, Evaluator, bool]]:
    if evaluators is None:
        return []
    pairs: Iterable[tuple[Any, Any]]
    if isinstance(evaluators, Mapping):
        pairs = evaluators.items()
    else:
        pairs = (
            (getattr(e, "name", None) or getattr(e, "__name__", None) or type(e).__name__, e)
            for e in evaluators
        )
    chosen = []
    for name, evaluator in pairs:
        if callable(evaluator) and isinstance(name, str) and name:
            chosen.append((name, evaluator, False))
        else:
            logger.warning("evaluator %r ignored: expected a callable with a name", evaluator)
    return chosen


def start(
    evaluators: Iterable[Evaluator] | Mapping[str, Evaluator] | None = None,
    *,
    builtins: bool | Collection[str] = True,
    queue_size: int = 1024,
) -> None:
    """Score every operation that ends from now on (replacing evaluators started before).

    `builtins`: True for all of `BUILTINS`, False for none, or a collection of their names.
    """
    chosen = _chosen_builtins(builtins) + _user_evaluators(evaluators)
    stop()
    if not chosen:
        return
    worker = _Worker(chosen, max(1, int(queue_size)))
    with _State.lock:
        _State.worker = worker
        add_end_hook(_on_end, wants_content=worker.wants_content)


def stop(timeout: float | None = 5.0) -> None:
    """Stop scoring; what is already queued is evaluated first (for at most `timeout` seconds)."""
    with _State.lock:
        worker, _State.worker = _State.worker, None
        if worker is None:
            return
        remove_end_hook(_on_end, wants_content=worker.wants_content)
    worker.close(timeout)


def record_quality(
    score: float | bool,
    *,
    model: str,
    provider: str,
    evaluator: str = "user_feedback",
    operation: str = "chat",
    workflow: str | None = None,
) -> None:
    """Record a score that arrives later (a thumbs up is 1, a thumbs down 0) on the global MeterProvider.

    `workflow` defaults to the current `@workflow`, if any. Never raises.
    """
    try:
        value = _score(score)
        if value is None:
            logger.debug("quality score %r ignored: not a finite number", score)
            return
        metrics = metrics_for(None)
        labels = metrics.llm_labels(
            normalize_label(provider, "unknown"),
            normalize_label(operation, "unknown"),
            normalize_model(model),
            normalize_label(current_workflow() if workflow is None else workflow),
        )
        metrics.record_quality(labels, evaluator, value)
    except Exception:
        logger.debug("recording a quality score failed", exc_info=True)


def _after_fork_in_child() -> None:
    """The worker thread does not survive fork: the child's first operation starts a new one."""
    worker = _State.worker
    if worker is not None:
        _State.lock = threading.Lock()
        _State.worker = _Worker(worker.evaluators, worker.queue_size)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
