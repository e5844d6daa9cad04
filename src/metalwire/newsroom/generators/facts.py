"""What a generated report is made of: the facts it quotes, the draft, and the facts gathered by
the caller (premium, arbitrage, prices, corrections), with the small helpers every report uses.

Pure code: plain data in and out. Every figure a report quotes is a ``Fact`` naming the
statistic or assessment it came from, in reading order (title, summary, body); the site renders
them as the sources section, so the body carries none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from metalwire.newsroom.phrasing import Lang
from metalwire.records import JsonRecord

SourceKind = Literal["survey-statistic", "assessment", "series", "arbitrage"]
Trend = Literal["up", "down", "flat"]
ArbitrageKind = Literal["export", "import"]

_TRENDS = frozenset({"up", "down", "flat"})


# --- shapes -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fact(JsonRecord):
    """One figure quoted in the text and where it came from.

    ``value`` is the figure as the text quotes it (formatted for the draft's language, rounded
    wording included: "nearly 50%"); ``source_ref`` points at the statistic or assessment
    ("AG-INGOT-CN-OUTPUT/2025-10/v1#mom_pct", "assessment:123"); ``label`` names it for the
    sources section, in the draft's language.
    """

    key: str
    value: str
    source_kind: SourceKind
    source_ref: str
    label: str


@dataclass(frozen=True, slots=True)
class Draft(JsonRecord):
    """A generated article in one language; ``facts`` in reading order."""

    lang: Lang
    title: str
    summary: str
    body_markdown: str
    facts: list[Fact]
    tags: list[str]


def _check_trend(trend: str, owner: str) -> None:
    if trend not in _TRENDS:
        raise ValueError(f"{owner}: trend must be 'up', 'down' or 'flat', got {trend!r}")


@dataclass(frozen=True, slots=True)
class PremiumFacts:
    """A spot premium series over the recent trading days.

    ``low_min``/``high_max`` are the lowest low and highest high of the ``days`` assessments read
    (``series_ref`` names that window, e.g. "AG-INGOT-CN-PREMIUM/2025-10-27..2025-10-31"); the
    ``*_ref`` fields name the assessments holding each figure ("assessment:123").
    """

    series_code: str
    unit_en: str
    unit_zh: str
    low_min: Decimal
    high_max: Decimal
    latest_low: Decimal
    latest_high: Decimal
    trend: Trend
    days: int
    series_ref: str
    low_min_ref: str
    high_max_ref: str
    latest_ref: str

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"premium {self.series_code}: days must be >= 1, got {self.days}")
        if self.low_min > self.high_max or self.latest_low > self.latest_high:
            raise ValueError(f"premium {self.series_code}: a low is above its high")
        _check_trend(self.trend, f"premium {self.series_code}")


@dataclass(frozen=True, slots=True)
class ArbitrageFacts:
    """The latest export or import arbitrage: profit per unit (negative: a loss), whether the
    window is open and since when (or, closed, the day it closed if it was open in the period's
    last market days), and the profit's recent trend."""

    kind: ArbitrageKind
    profit: Decimal
    unit_en: str
    unit_zh: str
    open: bool
    opened_on: date | None
    trend: Trend
    source_ref: str
    closed_on: date | None = None

    def __post_init__(self) -> None:
        if self.closed_on is not None and self.open:
            raise ValueError("arbitrage: an open window has no closing date")
        if self.kind not in ("export", "import"):
            raise ValueError(f"arbitrage: kind must be 'export' or 'import', got {self.kind!r}")
        if self.opened_on is not None and not self.open:
            raise ValueError("arbitrage: a closed window has no opening date")
        _check_trend(self.trend, "arbitrage")


@dataclass(frozen=True, slots=True)
class PriceFacts:
    """A released assessment: range (``None`` for a single-value series), mid and change."""

    series_code: str
    name_en: str
    name_zh: str
    unit_en: str
    unit_zh: str
    low: Decimal | None
    high: Decimal | None
    mid: Decimal
    change: Decimal | None
    change_pct: Decimal | None
    assessment_ref: str


@dataclass(frozen=True, slots=True)
class CorrectionFacts:
    """A published correction of ``day``'s assessment (single-value series: low == high);
    ``assessment_ref`` is the corrected version; ``reason`` is quoted as published."""

    series_code: str
    name_en: str
    name_zh: str
    unit_en: str
    unit_zh: str
    day: date
    old_low: Decimal
    old_high: Decimal
    new_low: Decimal
    new_high: Decimal
    assessment_ref: str
    reason: str = ""


# --- helpers ------------------------------------------------------------------------------------


# A tagged draft marks where each figure is quoted: the figure, then its fact's index between
# two private-use characters, so a check can read which facts a sentence quotes without parsing
# prose (``untag`` gives back the draft as written). Suffixes, because a prefix would stop
# headline casing from capitalizing the figure's first word.
_TAG_OPEN, _TAG_CLOSE = "\ue000", "\ue001"
_TAG = re.compile(f"{_TAG_OPEN}(\\d+){_TAG_CLOSE}")


class QuotedFacts:
    """Facts in the order first quoted; a figure quoted twice is one fact. ``tagged``: each
    quote carries its fact's index (``tags_in``)."""

    def __init__(self, *, tagged: bool = False) -> None:
        self._items: dict[tuple[str, str], Fact] = {}
        self._tagged = tagged

    def add(self, key: str, value: str, kind: SourceKind, ref: str, label: str) -> None:
        self._items.setdefault((key, ref), Fact(key, value, kind, ref, label))

    def quote(self, key: str, value: str, kind: SourceKind, ref: str, label: str) -> str:
        self.add(key, value, kind, ref, label)
        if not self._tagged:
            return value
        return f"{value}{_TAG_OPEN}{list(self._items).index((key, ref))}{_TAG_CLOSE}"

    def items(self) -> list[Fact]:
        return list(self._items.values())


def untag(text: str) -> str:
    """A tagged text as written."""
    return _TAG.sub("", text)


def tags_in(text: str) -> list[int]:
    """The indexes (in ``Draft.facts``) of the facts a tagged text quotes, in order."""
    return [int(index) for index in _TAG.findall(text)]


def decimal_of(value: Any) -> Decimal | None:
    """A statistic as a Decimal: JSON carries decimals as strings; floats are refused, so a
    binary approximation never reaches a published sentence."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool | float):
        raise TypeError(f"expected a decimal string, got {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def sentences(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)


def paragraph(lang: Lang, *parts: str | None) -> str:
    # Chinese sentences end in full-width punctuation and are not separated by spaces.
    return ("" if lang == "zh" else " ").join(part for part in parts if part)
