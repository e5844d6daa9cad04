"""What the assessment engine takes and gives: submissions as evidence, a price family's rule,
the previous published price, exclusions and the published result (pricing/engine.py computes
one from the others). Pure data: no database, no web."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from metalwire.records import JsonRecord

_ZERO = Decimal(0)


class SubmissionKind(StrEnum):
    DEAL = "deal"
    BID = "bid"
    OFFER = "offer"
    INDICATION = "indication"


class Method(StrEnum):
    TRANSACTION = "transaction-based"
    SPREAD = "spread-based"
    INTERPOLATED = "interpolated"
    CARRIED_FORWARD = "carried-forward"
    JUDGMENT = "judgment"
    LICENSED = "licensed"  # a partner's value, entered as delivered (pricing/partner.py)


# The methods as the Chinese site labels them (locale/zh messages.po).
METHOD_NAMES_ZH: dict[str, str] = {
    "transaction-based": "基于成交",
    "spread-based": "基于价差",
    "interpolated": "插值",
    "carried-forward": "沿用前值",
    "judgment": "人工判断",
    "licensed": "授权发布",
}


class NoEvidence(LookupError):
    """Nothing to assess from and no previous assessment to carry forward."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One submission as the engine sees it; the database layer has validated its shape."""

    id: int
    kind: SubmissionKind
    price: Decimal | None
    low: Decimal | None
    high: Decimal | None
    volume: Decimal | None
    contributor: str
    received_at: datetime  # aware, UTC
    adjustment: Decimal = _ZERO  # added to the price to normalize it to the base specification


@dataclass(frozen=True, slots=True)
class Previous:
    """The previous published assessment of the series."""

    low: Decimal
    high: Decimal
    mid: Decimal


@dataclass(frozen=True, slots=True)
class Rule:
    """A price family's assessment parameters (see methodology.yaml)."""

    min_deals: int = 3
    mad_k: Decimal = Decimal(3)
    min_volume: Decimal = _ZERO
    mad_floor: Decimal = Decimal("0.001")  # fraction of the median deal, the least MAD counts as

    def __post_init__(self) -> None:
        if self.min_deals < 1:
            raise ValueError("min_deals must be at least 1")
        if self.mad_k <= 0:
            raise ValueError("mad_k must be positive")
        if self.min_volume < 0:
            raise ValueError("min_volume must be >= 0")
        if self.mad_floor < 0:
            raise ValueError("mad_floor must be >= 0")


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A submission left out of the assessment; ``price`` is normalized to the base spec."""

    submission_id: int
    price: Decimal
    reason: str
    reason_zh: str = ""  # the same reason in Chinese; empty for one written by an analyst

    def to_dict(self) -> dict[str, Any]:
        """As the stored evidence lists it, with the Chinese reason where there is one (a
        Chinese page reads it: pricing/phrases.py, explained_in)."""
        out: dict[str, Any] = {
            "submission_id": self.submission_id,
            "price": str(self.price),
            "reason": self.reason,
        }
        if self.reason_zh:
            out["reason_zh"] = self.reason_zh
        return out


@dataclass(frozen=True, slots=True)
class AssessmentResult(JsonRecord):
    """A published price with everything needed to explain and audit it.

    Prices are rounded to the series' decimals; statistics (``price_*``, ``volume_*``) describe
    the inputs used, normalized to the base specification.
    """

    low: Decimal
    high: Decimal
    mid: Decimal
    vwap: Decimal | None  # transaction-based only
    method: Method
    carried_forward: bool
    deals_used: int
    volume_used: Decimal  # total volume of the deals used
    inputs_used: tuple[int, ...]
    inputs_considered: tuple[int, ...]  # on time, above minimum volume, not outliers
    excluded: tuple[Exclusion, ...]
    input_shares: dict[str, Decimal]  # percent of inputs used, per submission kind
    price_min: Decimal | None
    price_max: Decimal | None
    price_avg: Decimal | None
    volume_min: Decimal | None
    volume_max: Decimal | None
    volume_avg: Decimal | None
    previous_mid: Decimal | None
    change: Decimal | None
    change_pct: Decimal | None
    explanation: str
    rationale: str | None = None
    explanation_zh: str = ""  # the same sentences in Chinese (the rationale as written)
    # What the engine computed before an analyst's judgment replaced it.
    engine_low: Decimal | None = None
    engine_high: Decimal | None = None
    engine_mid: Decimal | None = None
    engine_method: Method | None = None
    engine_explanation: str | None = None
    engine_explanation_zh: str | None = None
