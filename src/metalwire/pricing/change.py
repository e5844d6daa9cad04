"""Change against the previous published price: the one rule, for the engine's drafts, a
judgment, a correction and every read of a published history (pure).

``change`` is the mid minus the previous published mid, to the series' price step, so published
changes always add up to the published prices; ``change_pct`` is that change in percent of the
previous mid, to two decimals, half-up — none for a series without a relative change (premiums,
discounts, fees: SeriesKind.has_relative_change) or against a zero mid.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

PCT_STEP = Decimal("0.01")  # change_pct is published to 2 decimals
_HUNDRED = Decimal(100)


def price_step(decimals: int) -> Decimal:
    """The smallest move of a series published to ``decimals`` places (round_price's step)."""
    return Decimal(1).scaleb(-decimals)


def price_change(
    mid: Decimal, previous_mid: Decimal | None, step: Decimal, *, relative: bool = True
) -> tuple[Decimal | None, Decimal | None]:
    """(change, change_pct) of a published mid against the previous published mid.

    Takes the step, not the decimals: a history calls this for every published day, and the
    step is computed once per series."""
    if previous_mid is None:
        return None, None
    change = (mid - previous_mid).quantize(step, ROUND_HALF_UP)
    return change, change_pct(change, previous_mid) if relative else None


def change_pct(change: Decimal, previous_mid: Decimal) -> Decimal | None:
    """``change`` in percent of the previous mid, to two decimals, half-up; none against a zero
    mid (no base to move from). Alerts measure a day's move by the same rule."""
    if not previous_mid:
        return None
    return (change * _HUNDRED / previous_mid).quantize(PCT_STEP, ROUND_HALF_UP)
