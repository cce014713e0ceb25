"""The user's own prices (`OPENLLMETRY_PRICING_FILE` or `openllmetry.init(pricing=...)`), checked before
`genai-prices`: USD per million tokens per (provider, model)."""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from .price_bounds import read_regular_file
from .pricer import Usage

logger = logging.getLogger("opentelemetry.semconv_ai")

PRICING_FILE_ENV = "OPENLLMETRY_PRICING_FILE"


class UserPrice(NamedTuple):
    """USD per million tokens. Input is uncached input; cache prices default to the input price."""

    input_mtok: float
    output_mtok: float
    cache_read_mtok: float
    cache_write_mtok: float

    def cost(self, usage: Usage) -> float | None:
        uncached = usage.input_tokens - usage.cache_read_tokens - usage.cache_creation_tokens
        if uncached < 0:
            return None
        return (
            uncached * self.input_mtok
            + usage.cache_read_tokens * self.cache_read_mtok
            + usage.cache_creation_tokens * self.cache_write_mtok
            + usage.output_tokens * self.output_mtok
        ) / 1_000_000


class UserPrices:
    """Exact names, then the longest `prefix*` match; provider `*` (or none given) matches any."""

    def __init__(self, entries: Iterable[tuple[str, str, UserPrice]] = ()) -> None:
        self.exact: dict[tuple[str, str], UserPrice] = {}
        self.prefixes: list[tuple[str, str, UserPrice]] = []
        for provider, model, price in entries:
            if model.endswith("*"):
                self.prefixes.append((provider, model[:-1], price))
            else:
                self.exact[(provider, model)] = price
        self.prefixes.sort(key=lambda item: -len(item[1]))

    def __len__(self) -> int:
        return len(self.exact) + len(self.prefixes)

    def find(self, provider: str, model: str) -> UserPrice | None:
        model = model.lower()
        found = self.exact.get((provider, model)) or self.exact.get(("*", model))
        if found is not None:
            return found
        for entry_provider, prefix, price in self.prefixes:
            if entry_provider in (provider, "*") and model.startswith(prefix):
                return price
        return None


def _rate(entry: Mapping[str, Any], key: str, default: float | None) -> float:
    value = entry.get(key, default)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value < 0:
        raise ValueError(f"{key} must be a non-negative number, got {value!r}")
    return float(value)


def parse_prices(data: Any) -> UserPrices:
    """`{"models": [{"provider", "model", "input_mtok", "output_mtok", "cache_read_mtok"?, ...}]}`."""
    models = data.get("models") if isinstance(data, Mapping) else None
    if not isinstance(models, list):
        raise ValueError('expected an object with a "models" list')
    entries: list[tuple[str, str, UserPrice]] = []
    for index, entry in enumerate(models):
        try:
            model = entry.get("model") if isinstance(entry, Mapping) else None
            if not isinstance(model, str) or not model:
                raise ValueError('each entry needs a "model" name')
            provider = entry.get("provider") or "*"
            if not isinstance(provider, str):
                raise ValueError('"provider" must be a string')
            input_mtok = _rate(entry, "input_mtok", None)
            price = UserPrice(
                input_mtok,
                _rate(entry, "output_mtok", None),
                _rate(entry, "cache_read_mtok", input_mtok),
                _rate(entry, "cache_write_mtok", input_mtok),
            )
        except ValueError as exc:
            logger.warning("pricing override entry %d ignored: %s", index, exc)
            continue
        entries.append((provider, model.lower(), price))
    return UserPrices(entries)


def load_prices(source: str | os.PathLike[str] | Mapping[str, Any] | None) -> UserPrices:
    """The user's prices from a JSON file or an already parsed mapping; empty (with a warning) on error."""
    if source is None or source == "":
        return UserPrices()
    try:
        data = source if isinstance(source, Mapping) else json.loads(read_regular_file(Path(source)))
        return parse_prices(data)
    except (OSError, ValueError) as exc:
        logger.warning("pricing overrides from %r not loaded: %s", source, exc)
        return UserPrices()


class _Overrides:
    lock = threading.Lock()
    prices = UserPrices()
    configured = False
    generation = 0
    loading: threading.Thread | None = None


def configure_file(path: str | os.PathLike[str]) -> None:
    """`configure(path)` in a daemon thread (the default pricer waits up to 5 s for it before pricing)."""
    thread = _Overrides.loading = threading.Thread(target=configure, args=(path,), daemon=True)
    thread.start()


def configure(path: str | os.PathLike[str] | Mapping[str, Any] | None) -> None:
    """Price models from `path` (a JSON file, or the same structure as a dict) ahead of genai-prices.

    None reads the file named by OPENLLMETRY_PRICING_FILE, if any. Takes effect at once.
    """
    if path is None:
        path = os.environ.get(PRICING_FILE_ENV)
    prices = load_prices(path)
    with _Overrides.lock:
        _Overrides.prices = prices
        _Overrides.configured = True
        _Overrides.generation += 1


def _user_prices() -> UserPrices:
    loading = _Overrides.loading
    if loading is not None and loading is not threading.current_thread():
        loading.join(5.0)
    if not _Overrides.configured:
        configure(None)
    return _Overrides.prices
