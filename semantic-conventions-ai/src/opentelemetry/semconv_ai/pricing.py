"""Which pricer prices operations: the one set with `set_pricer`, else `genai-prices` when installed.

The interface (`Usage`, `PENDING`, `Pricer`) and the provider price ids live in `pricer`.
"""

from __future__ import annotations

from .pricer import PENDING, CostCallback, NoPrices, Pricer, Usage, price_id, register_price_id

__all__ = [
    "PENDING",
    "CostCallback",
    "NoPrices",
    "Pricer",
    "Usage",
    "get_pricer",
    "price_id",
    "register_price_id",
    "set_pricer",
]


class _Holder:
    pricer: Pricer | None = None


def set_pricer(pricer: Pricer | None) -> None:
    _Holder.pricer = pricer


def get_pricer() -> Pricer:
    pricer = _Holder.pricer
    if pricer is None:
        pricer = _Holder.pricer = _default_pricer()
    return pricer


def _default_pricer() -> Pricer:
    try:
        from .prices import GenAIPrices
    except ImportError:
        return NoPrices()
    return GenAIPrices()
