"""Bounds around price data: only regular files are read, and genai-prices' caches stay small."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

MAX_LIBRARY_CACHE = 256  # entries in each of genai-prices' own lookup caches
MAX_PRICING_FILE_BYTES = 16 * 1024 * 1024


def read_regular_file(path: Path) -> str:
    """The file's text; a FIFO, a device or a directory is refused instead of blocking on it."""
    if not stat.S_ISREG(path.stat().st_mode):
        raise ValueError("not a regular file")
    if path.stat().st_size > MAX_PRICING_FILE_BYTES:
        raise ValueError(f"larger than {MAX_PRICING_FILE_BYTES} bytes")
    return path.read_text("utf-8")


def trim_lookup_caches(snapshot: Any) -> None:
    """genai-prices caches every name it was asked about, for good; ours is the cache that matters."""
    for name in ("_lookup_cache", "_provider_cache", "_provider_misses"):
        cache = getattr(snapshot, name, None)
        if cache is not None and len(cache) > MAX_LIBRARY_CACHE:
            cache.clear()
