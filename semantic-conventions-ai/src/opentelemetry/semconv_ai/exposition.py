"""The Prometheus text format (0.0.4) of the core's accumulators, rendered without the SDK.

Input: `(kind code, key, values)` per block, from one process's `Store` or summed over the files of
a multi-process directory. Label strings are formatted and escaped once per label set and cached;
each sample line is then one string join. Nothing a label value holds can break the output: it is
escaped, lone surrogates become U+FFFD, and a value longer than `store.MAX_LABEL_CHARS` is cut.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import instruments as spec
from .store import KINDS, LLM, Field, Kind, bounded_label

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_Entry = tuple[int, tuple[Any, ...], Sequence[float]]


_FORMATTED: dict[float, str] = {}


def go_float(value: float) -> str:
    """A float as Prometheus' Go clients write it (so `le` values match what Prometheus stored before)."""
    found = _FORMATTED.get(value)
    if found is None:
        value = float(value)
        found = _go_float(value)
        if value.is_integer() and 0 <= value < 100_000:  # bucket counts, mostly: worth remembering
            _FORMATTED[value] = found
    return found


def _go_float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(float(value))
    dot = text.find(".")
    if value > 0 and dot > 6 and "e" not in text:  # Go switches to an exponent sooner than Python
        digits = (text[:dot] + text[dot + 1 :]).rstrip("0")
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{mantissa}e+{dot - 1:02d}"
    return text


def escape_label(value: object) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = bounded_label(text)  # type: ignore[assignment]
    if "\\" in text or '"' in text or "\n" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return text


def _fields_by_spec() -> list[tuple[spec.InstrumentSpec, list[tuple[Kind, Field]]]]:
    found: dict[str, tuple[spec.InstrumentSpec, list[tuple[Kind, Field]]]] = {}
    for kind in KINDS.values():
        for item in kind.fields:
            found.setdefault(item.spec.name, (item.spec, []))[1].append((kind, item))
    return [found[s.name] for s in spec.ALL_SPECS if s.name in found]


_BY_SPEC = _fields_by_spec()
_ERRORS = LLM.field(spec.ERRORS).offset
_REQUESTS = LLM.field(spec.REQUESTS).offset
_COST = LLM.field(spec.COST).offset
_COST_HISTOGRAM = LLM.field(spec.COST_PER_REQUEST)


class Renderer:
    """Renders blocks; keeps the formatted label strings between scrapes."""

    def __init__(self) -> None:
        self._labels: dict[tuple[int, tuple[Any, ...]], str] = {}
        self._blocks: dict[tuple[int, tuple[Any, ...]], tuple[list[float], dict[int, bytes]]] = {}
        self._les = {
            id(f): [go_float(b) for b in f.bounds] + ["+Inf"]
            for k in KINDS.values()
            for f in k.fields
            if f.bounds
        }
        self._extras = {
            id(f): "".join(f',{k}="{escape_label(v)}"' for k, v in f.extra)
            for k in KINDS.values()
            for f in k.fields
        }

    def labels(self, kind: Kind, key: tuple[Any, ...]) -> str:
        cached = self._labels.get((kind.code, key))
        if cached is None:
            if len(self._labels) > 100_000:
                self._labels.clear()
            cached = ",".join(
                f'{name}="{escape_label(value)}"' for name, value in zip(kind.labels, key, strict=False)
            )
            self._labels[(kind.code, key)] = cached
        return cached

    def render(self, entries: Iterable[_Entry], extra: bytes = b"") -> bytes:
        # Per label set: its values at the last render and the text of each of its fields. A label
        # set whose values did not change since (most of them, between two scrapes) costs one list
        # comparison; only changed ones are formatted again.
        blocks = self._blocks
        if len(blocks) > 200_000:
            blocks.clear()
        by_kind: dict[int, list[tuple[tuple[Any, ...], list[float], dict[int, bytes]]]] = {}
        for count, (code, key, values) in enumerate(entries):
            kind = KINDS.get(code)
            if kind is None or len(key) != len(kind.labels) or len(values) < kind.size:
                continue
            if count % 256 == 255:
                time.sleep(0)  # let the application's threads have the GIL: they wait less
            values = list(values)
            cached = blocks.get((code, key))
            if cached is None or cached[0] != values:
                cached = blocks[(code, key)] = (values, {})
            by_kind.setdefault(code, []).append((key, values, cached[1]))
        for items in by_kind.values():
            items.sort(key=_sort_key)
        out: list[bytes] = []
        for instrument, places in _BY_SPEC:
            lines: list[bytes] = []
            for kind, item in places:
                at = item.offset
                for key, values, texts in by_kind.get(kind.code, ()):
                    text = texts.get(at)
                    if text is None:
                        found: list[str] = []
                        self._samples(found, instrument, kind, item, key, values)
                        text = texts[at] = "".join(found).encode()
                    if text:
                        lines.append(text)
            if lines:
                kind_name = "counter" if instrument.kind == spec.COUNTER else "histogram"
                name = instrument.prometheus_name
                out.append(
                    f"# HELP {name} {_help(instrument.description)}\n# TYPE {name} {kind_name}\n".encode()
                )
                out.extend(lines)
        out.append(extra)
        return b"".join(out)

    def _samples(
        self, lines: list[str], instrument: spec.InstrumentSpec, kind: Kind, item: Field,
        key: tuple[Any, ...], values: Sequence[float],
    ) -> None:  # fmt: skip
        at = item.offset
        name = instrument.prometheus_name
        if instrument.kind == spec.COUNTER:
            value = values[at]
            if kind is LLM and at == _ERRORS:
                present = values[_REQUESTS] != 0
            elif kind is LLM and at == _COST:
                present = value != 0 or _count(values, _COST_HISTOGRAM) > 0
            else:
                present = value != 0
            if present:
                lines.append(
                    f"{name}{{{self.labels(kind, key)}{self._extras[id(item)]}}} {go_float(value)}\n"
                )
            return
        total = _count(values, item)
        if not total:
            return
        labels = self.labels(kind, key) + self._extras[id(item)]
        running = 0.0
        for le, count in zip(self._les[id(item)], values[at : at + item.size - 1], strict=False):
            running += count
            lines.append(f'{name}_bucket{{{labels},le="{le}"}} {go_float(running)}\n')
        lines.append(f"{name}_sum{{{labels}}} {go_float(values[at + item.size - 1])}\n")
        lines.append(f"{name}_count{{{labels}}} {go_float(running)}\n")


def _sort_key(item: tuple[tuple[Any, ...], Any, Any]) -> list[str]:
    return [str(part) for part in item[0]]


def _count(values: Sequence[float], item: Field) -> float:
    return sum(values[item.offset : item.offset + item.size - 1])


def _help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def target_info(attributes: Mapping[str, Any]) -> bytes:
    """`target_info` with the resource's attributes, as the OpenTelemetry exporter shows them."""
    if not attributes:
        return b""
    pairs = ",".join(
        f'{_label_name(k)}="{escape_label(v)}"' for k, v in sorted(attributes.items()) if isinstance(k, str)
    )
    text = f"# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info{{{pairs}}} 1\n"
    return text.encode("utf-8", "replace")


def _label_name(name: str) -> str:
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in name)
    return cleaned if cleaned and not cleaned[0].isdigit() else "_" + cleaned
