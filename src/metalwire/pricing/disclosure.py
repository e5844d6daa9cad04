"""Per-assessment disclosure (EU BMR Annex II 7(a), IOSCO PRA principles 10 and 11): from what
an assessment stored when it was made — deals used and their volume, the share of each input
kind, exclusions, the method and an analyst's rationale — the figures published beside its
price. The read side only: callers pass prices the gate has already let through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.catalog.units import plain, round_price
from metalwire.pricing.evidence import Method
from metalwire.pricing.models import Assessment
from metalwire.pricing.price_row import DisclosureRow
from metalwire.pricing.published import PublishedPrice

_SHARE_DECIMALS = 2


class Assessed(Protocol):
    """What a disclosure reads of an assessment version (an Assessment row)."""

    id: Any
    market_date: Any
    version: Any
    method: Any
    deals_used: Any
    volume_used: Any
    rationale: Any
    explanation: Any


def _share(shares: Mapping[str, Any], *kinds: str) -> Decimal | None:
    """The summed percent of these kinds; None when the assessment recorded no shares (one made
    before shares were stored) or used no input at all (carried forward)."""
    if not shares or not any(Decimal(str(v)) for v in shares.values()):
        return None
    total = sum((Decimal(str(shares.get(k, "0"))) for k in kinds), Decimal(0))
    return round_price(total, _SHARE_DECIMALS)


def disclosure_of(row: Assessed) -> DisclosureRow:
    """The disclosure of one stored assessment version."""
    data: Mapping[str, Any] = row.explanation or {}
    shares: Mapping[str, Any] = data.get("input_shares") or {}
    method = str(getattr(row.method, "value", row.method))
    judgment = method == Method.JUDGMENT.value
    return DisclosureRow(
        date=row.market_date,
        assessment_id=row.id,
        version=row.version,
        method=method,
        transactions=int(row.deals_used),
        transaction_volume=Decimal(plain(Decimal(row.volume_used))),
        share_deal=_share(shares, "deal"),
        share_bid_offer=_share(shares, "bid", "offer"),
        share_indication=_share(shares, "indication"),
        judgment=judgment,
        judgment_reason=row.rationale if judgment else None,
        exclusions=len(data.get("excluded") or []),
    )


# What a disclosure reads: the columns alone, not the mapped rows (an export is 10,000 days).
_DISCLOSED = (
    Assessment.id,
    Assessment.market_date,
    Assessment.version,
    Assessment.method,
    Assessment.deals_used,
    Assessment.volume_used,
    Assessment.rationale,
    Assessment.explanation,
)


def disclosures(session: Session, prices: Sequence[PublishedPrice]) -> dict[int, DisclosureRow]:
    """The disclosure of each published price, by assessment id: one statement over the
    prices' series and dates (the prices are the gate's; nothing else is returned)."""
    if not prices:
        return {}
    wanted = {p.assessment_id for p in prices}
    rows = session.execute(
        select(*_DISCLOSED).where(
            Assessment.series_id.in_({p.series_id for p in prices}),
            Assessment.market_date >= min(p.market_date for p in prices),
            Assessment.market_date <= max(p.market_date for p in prices),
        )
    )
    return {row.id: disclosure_of(row) for row in rows if row.id in wanted}
