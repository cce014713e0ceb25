"""The default pricer: `genai-prices` data, loaded off the call path, under the user's own prices.

Nothing here touches the network: the bundled `genai-prices` snapshot is used, and its updater is
never started. The package takes a fraction of a second to import, so it loads in a daemon thread on
first use; calls priced meanwhile answer PENDING and get their cost through `on_ready` once it has
loaded. Past MAX_PENDING such calls, a call counts as unpriced instead of queueing without bound.

After the first call per (provider, model), a call is priced from a cached plan: the model's rates
laid out the way `genai-prices` applies them (cached tokens split out of the input, tiers chosen by
input size), in Decimal so the result is exactly what `genai_prices.calc_price` gives. Each plan is
checked against the library once when it is built; a model whose plan disagrees is priced by the
library on every call instead.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from functools import partial
from typing import Any

from .price_bounds import trim_lookup_caches
from .pricer import PENDING, PRICE_IDS, CostCallback, Usage, price_id
from .user_prices import (  # noqa: F401 (configure, load_prices, parse_prices: this module's API too)
    PRICING_FILE_ENV,
    UserPrice,
    UserPrices,
    _Overrides,
    _user_prices,
    configure,
    configure_file,
    load_prices,
    parse_prices,
)

logger = logging.getLogger("opentelemetry.semconv_ai")

MAX_PENDING = 10_000
MAX_CACHED_MODELS = 4096

PROVIDER_IDS = PRICE_IDS  # the registry in `pricer`, under its former name

# Positions in `(1, *usage)`: a per-request price counts 1; the rest follow the core's Usage.
_REQUEST, _INPUT, _OUTPUT, _CACHE_READ, _CACHE_WRITE, _REASONING = range(6)
_REPORTED = {
    "input_tokens": _INPUT,
    "output_tokens": _OUTPUT,
    "cache_read_tokens": _CACHE_READ,
    "cache_write_tokens": _CACHE_WRITE,
    "output_reasoning_tokens": _REASONING,
}
_ZERO = Decimal(0)
_EXACT_DIVISORS = frozenset(10**n for n in range(10))
_PROBES = (Usage(1000, 500, 100, 50, 20), Usage(7, 3), Usage(0, 0))

Price = Callable[[Usage], "float | None"]


def _unpriced(usage: Usage) -> None:
    return None


# -- genai-prices ---------------------------------------------------------------------------


def _plan(model_price: Any, units: Mapping[str, tuple[str, frozenset[Any], int]]) -> tuple[Any, ...] | None:
    """Terms `(coefficients, price, tiers, per)`: per priced unit, its count as ± our usage fields.

    Mirrors genai-prices: a priced unit's count excludes the counts of its priced sub-units (cache
    reads are not also billed as input), and a tier applies when the whole input exceeds its start.
    """
    priced = []
    for price_key, price in vars(model_price).items():
        if price is None or price_key.startswith("_"):
            continue
        unit = units.get(price_key)
        if unit is None:
            return None
        priced.append((*unit, price))
    tokens = sorted((p for p in priced if p[0] != "requests"), key=lambda p: (-len(p[1]), p[0]))
    leaves: dict[str, dict[int, int]] = {}
    for usage_key, dims, _, _ in tokens:
        leaf = {_REPORTED[usage_key]: 1} if usage_key in _REPORTED else {}
        for other_key, other_dims, _, _ in tokens:
            if other_key != usage_key and dims <= other_dims:
                for index, coefficient in leaves[other_key].items():
                    leaf[index] = leaf.get(index, 0) - coefficient
        leaves[usage_key] = leaf
    terms = []
    for usage_key, _, per, price in priced:
        leaf = {_REQUEST: 1} if usage_key == "requests" else leaves[usage_key]
        coefficients = tuple((index, c) for index, c in leaf.items() if c)
        if not coefficients:
            continue
        tiers: tuple[tuple[int, Decimal], ...] = ()
        if not isinstance(price, Decimal):
            tiers = tuple(sorted(((t.start, t.price) for t in price.tiers), reverse=True))
            price = price.base
        if per in _EXACT_DIVISORS:  # dividing by a power of ten first is exact: one Decimal op less per call
            price, tiers, per = price / per, tuple((start, p / per) for start, p in tiers), 1
        terms.append((coefficients, price, tiers, per))
    return tuple(terms)


def _apply(terms: tuple[Any, ...], usage: Usage) -> float | None:
    values = (1, *usage)
    total = _ZERO
    for coefficients, price, tiers, per in terms:
        count = 0
        for index, coefficient in coefficients:
            count += coefficient * values[index]
        if count <= 0:
            if count < 0:
                return None  # inconsistent usage (more cached than total input): genai-prices refuses too
            continue
        for start, tier_price in tiers:
            if usage.input_tokens > start:
                price = tier_price
                break
        total += price * count if per == 1 else price * count / per
    return float(total)


class _Catalog:
    """genai-prices' bundled data: model lookup, plans, and the library's own calculation."""

    def __init__(self) -> None:
        import genai_prices
        from genai_prices import data_snapshot

        self._usage_type = genai_prices.Usage
        self._get_snapshot = data_snapshot.get_snapshot
        self.snapshot = self._get_snapshot()  # the slow part: builds the bundled data
        try:
            from genai_prices.data_units import unit_data
        except ImportError:  # older releases: no unit table, the library prices every call
            self.units: dict[str, tuple[str, frozenset[Any], int]] | None = None
        else:
            self.units = {
                unit.get("price_key", key): (key, frozenset(unit.get("dimensions", {}).items()), unit["per"])
                for key, unit in unit_data.items()
            }
        self._plans: dict[int, tuple[Any, Price]] = {}

    def current(self) -> bool:
        """False once someone installed another snapshot (genai-prices' own updater, started by the user)."""
        return self._get_snapshot() is self.snapshot

    def adopt(self) -> None:
        """Price from the snapshot genai-prices serves now."""
        self.snapshot = self._get_snapshot()
        self._plans.clear()

    def usage(self, usage: Usage) -> Any:
        extra = {"output_reasoning_tokens": usage.reasoning_tokens} if usage.reasoning_tokens else {}
        return self._usage_type(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_creation_tokens,
            **extra,
        )

    def library(self, model: Any, provider: Any, usage: Usage) -> float | None:
        try:
            return float(model.calc_price(self.usage(usage), provider).total_price)
        except Exception:
            logger.debug("genai-prices could not price %s", getattr(model, "id", model), exc_info=True)
            return None

    def price(self, provider_name: str, model_name: str) -> Price | None:
        """How to price calls to this model, or None when genai-prices has no price for it."""
        provider_id = price_id(provider_name)
        snapshot = self.snapshot
        try:
            provider, model = snapshot.find_provider_model(model_name, None, provider_id, None)
        except LookupError:
            return None
        finally:
            trim_lookup_caches(snapshot)
        if isinstance(model.prices, list):  # prices that change with the date or time of day
            return partial(self._dated, model, provider)
        return self._planned(model.prices, model, provider)

    def _dated(self, model: Any, provider: Any, usage: Usage) -> float | None:
        model_price = model.get_prices(datetime.now(tz=timezone.utc))
        found = self._plans.get(id(model_price))
        price = found[1] if found is not None and found[0] is model_price else None
        if price is None:
            price = self._planned(model_price, model, provider)
            self._plans[id(model_price)] = (model_price, price)
        return price(usage)

    def _planned(self, model_price: Any, model: Any, provider: Any) -> Price:
        library = partial(self.library, model, provider)
        terms = _plan(model_price, self.units) if self.units is not None else None
        if terms is None:
            return library
        planned = partial(_apply, terms)
        probes = list(_PROBES)
        for _, _, tiers, _ in terms:
            probes += [Usage(start + 1000, 500, 100, 50, 20) for start, _ in tiers]
        for probe in probes:
            if planned(probe) != library(probe):
                logger.debug("price plan of %s disagrees with genai-prices; using the library", model.id)
                return library
        return planned


class GenAIPrices:
    """The core's default pricer. Safe to call from any thread; never blocks on loading."""

    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self.max_pending = max_pending
        self._lock = threading.Lock()
        self._loaded = threading.Event()  # set once loaded and every pending call has its cost
        self._ready = False
        self._loader: threading.Thread | None = None
        self._pending: list[tuple[str, str, Usage, CostCallback]] = []
        self._catalog: _Catalog | None = None
        self._cache: dict[tuple[str, str], Price] = {}
        self._generation = -1
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: _after_fork(ref()))

    def cost(self, provider: str, model: str, usage: Usage, on_ready: CostCallback) -> object:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self._start()
                    if len(self._pending) >= self.max_pending:
                        return None
                    self._pending.append((provider, model, usage, on_ready))
                    return PENDING
        return self._price(provider, model, usage)

    def start_loading(self) -> None:
        """Begin loading price data in the background (the first call does this by itself)."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._loader is None and not self._ready:
            self._loader = threading.Thread(target=self._load, name="openllmetry-prices", daemon=True)
            self._loader.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until prices are loaded and calls made meanwhile are priced (tests, short scripts)."""
        return self._loaded.wait(timeout)

    def _load(self) -> None:
        try:
            _user_prices()
        except Exception:
            logger.debug("loading pricing overrides failed", exc_info=True)
        catalog = None
        try:
            catalog = _Catalog()
        except ImportError:
            logger.info("genai-prices is not installed; only user-supplied prices apply")
        except Exception:
            logger.warning("genai-prices data not loaded; only user-supplied prices apply", exc_info=True)
        with self._lock:
            self._catalog = catalog
            self._ready = True
            pending, self._pending = self._pending, []
        for provider, model, usage, on_ready in pending:
            try:
                on_ready(self._price(provider, model, usage))
            except Exception:
                logger.debug("recording a deferred cost failed", exc_info=True)
        self._loaded.set()

    def _price(self, provider: str, model: str, usage: Usage) -> float | None:
        cache = self._cache
        catalog = self._catalog
        if self._generation != _Overrides.generation or (catalog is not None and not catalog.current()):
            self._refresh()
            catalog = self._catalog
        price = cache.get((provider, model))
        if price is None:
            price = self._resolve(catalog, provider, model)
            if len(cache) >= MAX_CACHED_MODELS:
                cache.clear()
            cache[(provider, model)] = price
        try:
            return price(usage)
        except Exception:
            logger.debug("pricing %s failed", model, exc_info=True)
            return None

    def _refresh(self) -> None:
        self._generation = _Overrides.generation
        self._cache.clear()
        catalog = self._catalog
        if catalog is not None and not catalog.current():
            catalog.adopt()

    @staticmethod
    def _resolve(catalog: _Catalog | None, provider: str, model: str) -> Price:
        user = _Overrides.prices.find(provider, model)
        if user is not None:
            return user.cost
        if catalog is None:
            return _unpriced
        try:
            return catalog.price(provider, model) or _unpriced
        except Exception:
            logger.debug("looking up the price of %s failed", model, exc_info=True)
            return _unpriced


def _after_fork(pricer: GenAIPrices | None) -> None:
    """A loader thread does not survive fork: let the child's next call start its own."""
    if pricer is not None:
        pricer._lock = threading.Lock()
        if not pricer._ready:
            pricer._loader = None
