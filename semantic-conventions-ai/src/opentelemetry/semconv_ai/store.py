"""The core's own accumulators: per label set, a block of doubles that the call path adds into.

The /metrics exposition is rendered from these blocks (`exposition`), never through the SDK. A
block holds every counter and histogram bucket of one label set, laid out by a `Kind`. Blocks live
in fixed-size chunks that never move, so the call path keeps a direct view of its block:

- in memory (one process serves its own metrics), chunks are bytearrays;
- in a file (`PROMETHEUS_MULTIPROC_DIR`), chunks are shared mappings of one file per process. A
  store into a shared mapping is in the kernel's page cache as soon as it is made, so a value is
  durable when the call returns, even if the process is SIGKILLed right after.

File layout (little endian, 64 KiB chunks): chunk 0 starts with the header (magic, bytes used,
layout id, pid), then entries; an entry is `u32 size, u16 kind, u16 key length, key (JSON), pad to
8, doubles`, and never straddles a chunk (a zero size means: go on at the next chunk). An entry is
written before `used` is moved past it, so a reader (or a process that died mid-write) never
exposes a half-written entry. Counts are stored per bucket, and a histogram's count is their sum,
so buckets and count always agree.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import mmap
import os
import re
import struct
import threading
import weakref
from bisect import bisect_left
from typing import Any

from . import instruments as spec
from . import names

CHUNK = 1 << 16
MAGIC = b"OLLMSTR1"
HEADER = 32  # magic, used, layout id, pid
ENTRY = struct.Struct("<IHH")
MAX_KEY_BYTES = 60000


class Field:
    """One counter, or one histogram (buckets then sum), inside a block."""

    __slots__ = ("bounds", "extra", "offset", "size", "spec")

    def __init__(
        self, instrument: spec.InstrumentSpec, offset: int, extra: tuple[tuple[str, str], ...]
    ) -> None:
        self.spec = instrument
        self.extra = extra  # label pairs this field adds to the block's labels
        self.offset = offset
        self.bounds: tuple[float, ...] = tuple(instrument.buckets or ())
        self.size = 1 if instrument.kind == spec.COUNTER else len(self.bounds) + 2


class Kind:
    """The label names of a block and the fields it holds."""

    def __init__(
        self, code: int, labels: tuple[str, ...], fields: list[tuple[spec.InstrumentSpec, dict[str, str]]]
    ):
        self.code = code
        self.labels = labels
        self.fields: list[Field] = []
        offset = 0
        for instrument, extra in fields:
            item = Field(instrument, offset, tuple(extra.items()))
            self.fields.append(item)
            offset += item.size
        self.size = offset

    def field(self, instrument: spec.InstrumentSpec, **extra: str) -> Field:
        wanted = tuple(extra.items())
        return next(f for f in self.fields if f.spec is instrument and f.extra == wanted)


def _prom(attribute: str) -> str:
    return attribute.replace(".", "_")


_TT = "token_type"
LLM = Kind(1, ("provider", "operation", "model", "workflow"), [  # the order of LLMLabels.key
    (spec.REQUESTS, {}), (spec.ERRORS, {}),
    (spec.TOKENS, {_TT: names.TOKEN_INPUT}), (spec.TOKENS, {_TT: names.TOKEN_OUTPUT}),
    (spec.TOKEN_DETAILS, {_TT: names.TOKEN_CACHE_READ}),
    (spec.TOKEN_DETAILS, {_TT: names.TOKEN_CACHE_CREATION}),
    (spec.TOKEN_DETAILS, {_TT: names.TOKEN_REASONING}),
    (spec.COST, {}), (spec.UNPRICED, {}), (spec.LABEL_OVERFLOW, {}), (spec.EVALUATIONS_DROPPED, {}),
    (spec.USAGE_REJECTED, {"kind": "tokens"}), (spec.USAGE_REJECTED, {"kind": "cost"}),
    (spec.DURATION, {}), (spec.COST_PER_REQUEST, {}),
])  # fmt: skip
QUALITY = Kind(2, (*LLM.labels, "evaluator"), [(spec.QUALITY, {})])
_GT = _prom(names.TOKEN_TYPE)
GENAI = Kind(3, tuple(_prom(a) for a in spec.GENAI_LABELS), [
    (spec.GENAI_TOKENS, {_GT: names.TOKEN_INPUT}), (spec.GENAI_TOKENS, {_GT: names.TOKEN_OUTPUT}),
    (spec.GENAI_TTFC, {}), (spec.GENAI_TPOC, {}),
])  # fmt: skip
GENAI_DURATION = Kind(4, (*GENAI.labels, _prom(names.ERROR_TYPE)), [(spec.GENAI_DURATION, {})])
KINDS = {kind.code: kind for kind in (LLM, QUALITY, GENAI, GENAI_DURATION)}


def layout_id() -> int:
    """Changes whenever a layout does: a reader skips files written with another layout."""
    text = repr(
        [(k.code, k.labels, [(f.spec.name, f.extra, f.bounds) for f in k.fields]) for k in KINDS.values()]
    )
    value = 2166136261  # FNV-1a: stable across processes, unlike hash()
    for byte in text.encode():
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


LAYOUT_ID = layout_id()


# Offsets the call path uses, resolved once.
_REQ = LLM.field(spec.REQUESTS).offset
_ERR = LLM.field(spec.ERRORS).offset
_TIN = LLM.field(spec.TOKENS, token_type=names.TOKEN_INPUT).offset
_TOUT = LLM.field(spec.TOKENS, token_type=names.TOKEN_OUTPUT).offset
_CREAD = LLM.field(spec.TOKEN_DETAILS, token_type=names.TOKEN_CACHE_READ).offset
_CCRE = LLM.field(spec.TOKEN_DETAILS, token_type=names.TOKEN_CACHE_CREATION).offset
_REAS = LLM.field(spec.TOKEN_DETAILS, token_type=names.TOKEN_REASONING).offset
_COST = LLM.field(spec.COST).offset
_UNPRICED = LLM.field(spec.UNPRICED).offset
_OVERFLOW = LLM.field(spec.LABEL_OVERFLOW).offset
_DROPPED = LLM.field(spec.EVALUATIONS_DROPPED).offset
_COUNTS = {  # Store.count's `which`
    "overflow": _OVERFLOW,
    "dropped": _DROPPED,
    "tokens": LLM.field(spec.USAGE_REJECTED, kind="tokens").offset,
    "cost": LLM.field(spec.USAGE_REJECTED, kind="cost").offset,
}
_DUR = LLM.field(spec.DURATION)
_CPR = LLM.field(spec.COST_PER_REQUEST)
_QUAL = QUALITY.fields[0]
_GIN = GENAI.field(spec.GENAI_TOKENS, **{_GT: names.TOKEN_INPUT})
_GOUT = GENAI.field(spec.GENAI_TOKENS, **{_GT: names.TOKEN_OUTPUT})
_TTFC = GENAI.field(spec.GENAI_TTFC)
_TPOC = GENAI.field(spec.GENAI_TPOC)
_GDUR = GENAI_DURATION.fields[0]


class Block:
    """One label set's doubles: `view[base + offset]`."""

    __slots__ = ("base", "key", "kind", "view")

    def __init__(self, kind: Kind, key: tuple[Any, ...], view: memoryview, base: int) -> None:
        self.kind = kind
        self.key = key
        self.view = view
        self.base = base

    def values(self) -> list[float]:
        return self.view[self.base : self.base + self.kind.size].tolist()


def _observe(view: memoryview, base: int, field: Field, value: float) -> None:
    if 0 <= value < math.inf:
        view[base + field.offset + bisect_left(field.bounds, value)] += 1
        view[base + field.offset + field.size - 1] += value


class Store:
    """Blocks by label set. `path=None`: in memory; else one file, shared with readers in other processes."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.blocks: dict[tuple[int, tuple[Any, ...]], Block] = {}
        self._chunks: list[Any] = []  # bytearrays or mmaps
        self._views: list[memoryview] = []
        self._fd = self._lock_fd = -1
        self._used = HEADER
        self._open()
        _live.add(self)

    # -- allocation -------------------------------------------------------------------------

    def _open(self) -> None:
        self._chunks, self._views, self._used = [], [], HEADER
        if self.path is not None:
            directory, name = os.path.split(self.path)
            temporary = os.path.join(directory, "." + name + ".tmp")
            fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
            # The lock is held for life, on a descriptor of its own: the mappings' duplicates of `fd`
            # must not hold it (a forked child keeps those, and must not keep its parent "alive").
            lock = os.open(temporary, os.O_RDONLY)
            fcntl.flock(lock, fcntl.LOCK_EX)
            os.rename(temporary, self.path)  # visible only once locked
            self._fd, self._lock_fd = fd, lock
        self._new_chunk()
        header = self._views[0].cast("B")
        header[0:8] = MAGIC
        struct.pack_into("<QQQ", header, 8, HEADER, LAYOUT_ID, os.getpid())
        self._header = header.cast("Q")

    def _new_chunk(self) -> None:
        if self._fd >= 0:
            offset = len(self._chunks) * CHUNK
            os.ftruncate(self._fd, offset + CHUNK)
            chunk: Any = mmap.mmap(
                self._fd, CHUNK, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=offset
            )
        else:
            chunk = bytearray(CHUNK)
        self._chunks.append(chunk)
        self._views.append(memoryview(chunk).cast("d"))

    def block(self, kind: Kind, key: tuple[Any, ...]) -> Block:
        found = self.blocks.get((kind.code, key))
        if found is not None:
            return found
        key = bounded_key(key)  # so that two keys never render as one label set
        found = self.blocks.get((kind.code, key))
        if found is not None:
            return found
        with self.lock:
            found = self.blocks.get((kind.code, key))
            if found is None:
                found = self.blocks[(kind.code, key)] = self._allocate(kind, key)
        return found

    def _allocate(self, kind: Kind, key: tuple[Any, ...]) -> Block:
        encoded = json.dumps(list(key), ensure_ascii=True, default=str).encode()
        if len(encoded) > MAX_KEY_BYTES:  # label values are capped long before this
            raise ValueError("label set too large to store")
        head = ENTRY.size + len(encoded)
        head += -head % 8
        size = head + 8 * kind.size
        if size > CHUNK - HEADER:
            raise ValueError("label set too large for one chunk")
        start = self._used
        if start // CHUNK != (start + size - 1) // CHUNK:
            start = (start // CHUNK + 1) * CHUNK  # the zero size left behind says: next chunk
        while start + size > len(self._chunks) * CHUNK:
            self._new_chunk()
        chunk = self._views[start // CHUNK]
        raw = chunk.cast("B")
        local = start % CHUNK
        ENTRY.pack_into(raw, local, size, kind.code, len(encoded))
        raw[local + ENTRY.size : local + ENTRY.size + len(encoded)] = encoded
        self._used = start + size
        self._header[1] = self._used  # after the entry: readers never see it half-written
        return Block(kind, key, chunk, (local + head) // 8)

    def after_fork(self) -> None:
        """In a forked child: a file of its own (the parent's stays the parent's), every block at 0."""
        self.lock = threading.Lock()
        keys = list(self.blocks)
        if self._fd >= 0:
            self._close_fds()  # the inherited lock is the parent's; the old mappings stay, unused
            self.path = child_path(self.path)
        self._open()
        old, self.blocks = self.blocks, {}
        for code, key in keys:
            block = old[(code, key)]
            fresh = self._allocate(block.kind, key)
            block.view, block.base = fresh.view, fresh.base  # callers holding the block keep working
            self.blocks[(code, key)] = block

    def entries(self) -> list[tuple[int, tuple[Any, ...], list[float]]]:
        """Every block's values, for rendering this process's own metrics."""
        with self.lock:
            blocks = list(self.blocks.values())
        return [(block.kind.code, block.key, block.values()) for block in blocks]

    def dump(self) -> bytes:
        return b"".join(bytes(chunk) for chunk in self._chunks)

    def close(self) -> None:
        """Stop writing: the file becomes a dead process's file, final and ready to be folded."""
        self._close_fds()

    def _close_fds(self) -> None:
        for fd in (self._fd, self._lock_fd):
            if fd >= 0:
                os.close(fd)
        self._fd = self._lock_fd = -1

    # -- the call path ----------------------------------------------------------------------

    def operation(
        self, llm: tuple[str, str, str, str] | None, genai: tuple[Any, ...] | None, error_type: str,
        duration: float, input_tokens: int | None, output_tokens: int | None, cache_read: int | None,
        cache_creation: int | None, reasoning: int | None, ttfc: float | None, tpoc: float | None,
    ) -> None:  # fmt: skip
        if llm is not None:
            b = self.blocks.get((1, llm)) or self.block(LLM, llm)
            v, o = b.view, b.base
            v[o + _REQ] += 1
            if error_type:
                v[o + _ERR] += 1
            if input_tokens:
                v[o + _TIN] += input_tokens
            if output_tokens:
                v[o + _TOUT] += output_tokens
            if cache_read:
                v[o + _CREAD] += cache_read
            if cache_creation:
                v[o + _CCRE] += cache_creation
            if reasoning:
                v[o + _REAS] += reasoning
            _observe(v, o, _DUR, duration)
        if genai is not None:
            key = (*genai, error_type)
            b = self.blocks.get((4, key)) or self.block(GENAI_DURATION, key)
            _observe(b.view, b.base, _GDUR, duration)
            if input_tokens is not None or output_tokens is not None or ttfc is not None or tpoc is not None:
                b = self.blocks.get((3, genai)) or self.block(GENAI, genai)
                v, o = b.view, b.base
                if input_tokens is not None:
                    _observe(v, o, _GIN, input_tokens)
                if output_tokens is not None:
                    _observe(v, o, _GOUT, output_tokens)
                if ttfc is not None:
                    _observe(v, o, _TTFC, ttfc)
                if tpoc is not None:
                    _observe(v, o, _TPOC, tpoc)

    def cost(self, llm: tuple[str, str, str, str], cost: float | None) -> None:
        b = self.blocks.get((1, llm)) or self.block(LLM, llm)
        if cost is None:
            b.view[b.base + _UNPRICED] += 1
        elif math.isfinite(cost) and cost >= 0:
            b.view[b.base + _COST] += cost
            _observe(b.view, b.base, _CPR, cost)

    def quality(self, llm: tuple[str, str, str, str], evaluator: str, score: float) -> None:
        key = (*llm, evaluator)
        b = self.blocks.get((2, key)) or self.block(QUALITY, key)
        _observe(b.view, b.base, _QUAL, score)

    def count(self, llm: tuple[str, str, str, str], which: str) -> None:
        """+1 on `overflow` (llm_label_overflow_total), `dropped` (llm_evaluations_dropped_total), or
        `tokens` / `cost` (llm_usage_rejected_total of that kind)."""
        b = self.blocks.get((1, llm)) or self.block(LLM, llm)
        b.view[b.base + _COUNTS[which]] += 1


_live: weakref.WeakSet[Store] = weakref.WeakSet()
logger = logging.getLogger("opentelemetry.semconv_ai")


def _after_fork_in_child() -> None:
    for store in list(_live):
        try:
            store.after_fork()
        except Exception:
            logger.warning("could not open a metrics store for this forked process", exc_info=True)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


MAX_LABEL_CHARS = 1024
_SURROGATES = re.compile("[\ud800-\udfff]")


def bounded_label(value: object) -> object:
    """What a label value is stored and shown as: at most MAX_LABEL_CHARS, lone surrogates as U+FFFD."""
    if not isinstance(value, str):
        return value
    if len(value) > MAX_LABEL_CHARS:
        value = value[:MAX_LABEL_CHARS]
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = _SURROGATES.sub("\ufffd", value)
    return value


def bounded_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(bounded_label(part) for part in key)


def child_path(path: str | None) -> str | None:
    if path is None:
        return None
    return os.path.join(os.path.dirname(path), member_name())


def member_name() -> str:
    """`openllmetry-<pid>-<random>.db`: never reused, whatever the pid."""
    return f"{MEMBER_PREFIX}{os.getpid()}-{os.urandom(6).hex()}{MEMBER_SUFFIX}"


MEMBER_PREFIX = "openllmetry-"
MEMBER_SUFFIX = ".db"
