"""Pure alert evaluation: thresholds and day-on-day moves in, triggered alerts out (no database).

A move is measured as the site publishes it: the change of the released mid against the
previous released mid, in percent of the previous mid, rounded half-up to two decimals. A reader
who sees "+2.00%" on the page and set a 2% threshold must get the mail, so the comparison is
made on that same rounded figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from metalwire.errors import InvalidInput
from metalwire.i18n import N_
from metalwire.pricing.change import change_pct

PCT_STEP = Decimal("0.01")
MAX_THRESHOLD = Decimal(100)


class ThresholdError(InvalidInput):
    """A threshold that cannot be a rule; the message says why (in English, as a msgid)."""


THRESHOLD_LENGTH = 20  # characters as typed: "100.00 %" and room for spaces, never a document


def parse_threshold(text: str) -> Decimal:
    """A threshold as typed: a percentage above 0 and at most 100, with at most two decimals,
    written out (2.5, not 2.5e0 or 2_5: Python's Decimal reads those, a reader does not mean
    them)."""
    cleaned = text.strip().removesuffix("%").strip()
    how = N_("Give the threshold as a number of percent, e.g. 2.5.")
    if len(cleaned) > THRESHOLD_LENGTH:
        raise ThresholdError(how)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ThresholdError(how) from None
    if not value.is_finite() or value <= 0 or value > MAX_THRESHOLD:
        raise ThresholdError(N_("The threshold must be more than 0 and at most 100 percent."))
    if any(c in cleaned for c in "eE_"):
        raise ThresholdError(how)
    if value != value.quantize(PCT_STEP):
        raise ThresholdError(N_("The threshold takes at most two decimals."))
    return value.quantize(PCT_STEP)


def day_on_day_pct(previous_mid: Decimal, current_mid: Decimal) -> Decimal | None:
    """The move in percent of the previous mid, as prices publish their change_pct
    (pricing/change.py); None when there is no base (a zero mid)."""
    return change_pct(current_mid - previous_mid, previous_mid)


def moved_enough(change_pct: Decimal, threshold_pct: Decimal) -> bool:
    """Rises and falls alike: the size of the move counts, not its direction."""
    return abs(change_pct) >= threshold_pct


@dataclass(frozen=True)
class PriceRule:
    alert_id: int
    series_code: str
    threshold_pct: Decimal


@dataclass(frozen=True)
class Move:
    """A series' released mid on a market date and the released mid before it."""

    series_code: str
    market_date: dt.date
    previous_mid: Decimal
    current_mid: Decimal

    @property
    def change_pct(self) -> Decimal | None:
        return day_on_day_pct(self.previous_mid, self.current_mid)


@dataclass(frozen=True)
class Triggered:
    rule: PriceRule
    move: Move
    change_pct: Decimal


def evaluate(rules: Iterable[PriceRule], moves: Mapping[str, Move]) -> list[Triggered]:
    """The rules whose series moved by at least their threshold; a rule without a move (no
    released price that day, or none before it) stays quiet."""
    out = []
    for rule in rules:
        move = moves.get(rule.series_code)
        if move is None:
            continue
        change = move.change_pct
        if change is not None and moved_enough(change, rule.threshold_pct):
            out.append(Triggered(rule, move, change))
    return out
