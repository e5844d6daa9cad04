"""Totals that reconcile: this month's published total against last month's, on one basis.

A month-on-month change is published on the matched sample, so a panel change is never read
as a market change; but the level is the whole panel's. The bridge says both: the total's own
change (level − last month's level, so the two published levels and the change agree exactly)
and its parts, the matched change, what newcomers added and what leavers had last month. Used
for output (values reported or imputed) and for inventories (stocks reported, never imputed).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from metalwire.catalog.units import round_price
from metalwire.supply.stats.model import ZERO, Bridge
from metalwire.supply.stats.panel import Month, only_in

_HUNDRED = Decimal(100)
_PCT_DECIMALS = 2


def bridge(
    level: Decimal,
    previous: Decimal,
    matched_change: Decimal | None,
    joined: Iterable[Decimal],
    left: Iterable[Decimal],
    unreported: Iterable[Decimal] = (),
    *,
    decimals: int,
) -> Bridge:
    """The bridge from ``previous`` to ``level`` (exact figures in, published figures out).

    The change is taken between the rounded levels, not rounded itself: a reader subtracting
    the published change from the published level finds last month's published level.
    """
    published_level = round_price(level, decimals)
    published_previous = round_price(previous, decimals)
    change = published_level - published_previous
    joined, left, unreported = list(joined), list(left), list(unreported)
    return Bridge(
        previous=published_previous,
        change_abs=change,
        change_pct=(
            round_price(change * _HUNDRED / published_previous, _PCT_DECIMALS)
            if published_previous
            else None
        ),
        matched_change=None if matched_change is None else round_price(matched_change, decimals),
        joined_count=len(joined),
        joined_volume=round_price(sum(joined, ZERO), decimals),
        left_count=len(left),
        left_volume=round_price(sum(left, ZERO), decimals),
        unreported_count=len(unreported),
        unreported_volume=round_price(sum(unreported, ZERO), decimals),
    )


def output_bridge(
    month: Month,
    previous: Month | None,
    new: list[str],
    gone: list[str],
    matched_change: Decimal | None,
    decimals: int,
) -> Bridge | None:
    """Output: newcomers have a value this month only; of those with a value last month only,
    members out of the panel left it, active members without a return or an estimate
    (``missing``) are unreported. ``None`` when either month has no value."""
    if previous is None or not previous.values or not month.values:
        return None
    before = previous.values
    unimputed = set(month.missing)
    return bridge(
        month.total,
        previous.total,
        matched_change,
        joined=(month.values[rid] for rid in new),
        left=(before[rid] for rid in gone if rid not in unimputed),
        unreported=(before[rid] for rid in gone if rid in unimputed),
        decimals=decimals,
    )


class StockSplit:
    """Stocks reported in both months (``count`` respondents, exact sums ``matched_now`` and
    ``matched_then``) and in one month only (``joined`` now, ``left`` then)."""

    __slots__ = ("count", "joined", "left", "matched_now", "matched_then")

    def __init__(self, month: Month, previous: Month) -> None:
        now, then = month.stocks, previous.stocks
        # Totals less the few reporting stocks in one month only, as for output.
        self.joined = [now[rid] for rid in only_in(now, then)]
        self.left = [then[rid] for rid in only_in(then, now)]
        self.count = len(now) - len(self.joined)
        self.matched_now = month.stocks_total - sum(self.joined, ZERO)
        self.matched_then = previous.stocks_total - sum(self.left, ZERO)

    def change(self) -> Decimal | None:
        return self.matched_now - self.matched_then if self.count else None

    def bridge(self, month: Month, previous: Month, decimals: int) -> Bridge | None:
        """Inventories: ``None`` unless stocks were reported in both months."""
        if not month.stocks or not previous.stocks:
            return None
        return bridge(
            month.stocks_total,
            previous.stocks_total,
            self.change(),
            self.joined,
            self.left,
            decimals=decimals,
        )
