"""What publication asks for beside the price (EU BMR Annex II 7(a)): the range and average of
the prices and volumes used, and the share of each input type (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple, Protocol

from metalwire.catalog.units import round_price

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_PCT_DECIMALS = 2
# Volumes are not a series' price: their averages are published to 3 decimals (kg in tonnes).
_VOLUME_DECIMALS = 3


class Used(Protocol):
    """An input the assessment used: its normalized price, volume and kind."""

    @property
    def price(self) -> Decimal: ...
    @property
    def volume(self) -> Decimal | None: ...
    @property
    def kind(self) -> StrEnum: ...


def input_shares(used: Sequence[Used], kinds: Iterable[StrEnum]) -> dict[str, Decimal]:
    """Percent of the inputs used, per kind (every kind named, 0.00 for one not used)."""
    counts = dict.fromkeys(kinds, 0)
    for item in used:
        counts[item.kind] += 1
    total = len(used)
    return {
        kind.value: round_price(Decimal(count) * _HUNDRED / total, _PCT_DECIMALS)
        if total
        else round_price(_ZERO, _PCT_DECIMALS)
        for kind, count in counts.items()
    }


class Statistics(NamedTuple):
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    price_avg: Decimal | None = None
    volume_min: Decimal | None = None
    volume_max: Decimal | None = None
    volume_avg: Decimal | None = None


def statistics(used: Sequence[Used], decimals: int) -> Statistics:
    if not used:
        return Statistics()
    prices = [item.price for item in used]
    volumes = [item.volume for item in used if item.volume is not None]
    if not volumes:
        return Statistics(
            round_price(min(prices), decimals),
            round_price(max(prices), decimals),
            round_price(sum(prices, _ZERO) / len(prices), decimals),
        )
    return Statistics(
        round_price(min(prices), decimals),
        round_price(max(prices), decimals),
        round_price(sum(prices, _ZERO) / len(prices), decimals),
        min(volumes),
        max(volumes),
        round_price(sum(volumes, _ZERO) / len(volumes), _VOLUME_DECIMALS),
    )
