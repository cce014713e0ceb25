"""Cost lookup behind a small interface.

The core asks the current pricer for the USD cost of an operation's usage. A pricer answers a
number, None (no known price), or PENDING, in which case it calls `on_ready` later with the
answer, once its price data has loaded: no call waits and no call's cost is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Protocol


class Usage(NamedTuple):
    input_tokens: int  # all input, cached input included
    output_tokens: int  # all output, reasoning included
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0


PENDING = object()

CostCallback = Callable[[float | None], None]


class Pricer(Protocol):
    def cost(self, provider: str, model: str, usage: Usage, on_ready: CostCallback) -> object:
        """USD as a float, None when the model has no known price, or PENDING."""
        ...


class NoPrices:
    """Prices nothing: every operation counts as unpriced."""

    def cost(self, provider: str, model: str, usage: Usage, on_ready: CostCallback) -> object:
        return None


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
