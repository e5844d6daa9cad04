"""Partner (licensed) series: their values are the partner's, entered as delivered, never
assessed by the engine (methodology/partner-prices.md).

A licensed family names its licence in methodology.yaml (``licence``). The desk enters the
partner's low and high for a market date (``enter_partner_value``: CLI, API or a file); the value
is a draft with the method ``licensed``, carrying the licensor and the terms, and is approved by
a second person like any other price (pricing/review.py). Nothing is carried forward: a day the
partner does not deliver has no value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.models import Scope, User
from metalwire.audit import record
from metalwire.catalog.lifecycle import accepts_values_on
from metalwire.catalog.models import PriceSeries, SeriesStatus
from metalwire.catalog.units import round_price
from metalwire.pricing.assessing import check_hand_range, latest_version, previous_approved
from metalwire.pricing.change import price_change, price_step
from metalwire.pricing.desk import PricingError, require_role
from metalwire.pricing.evidence import Method
from metalwire.pricing.methodology import Licence, licence_of, licensed_families
from metalwire.pricing.models import Assessment, AssessmentStatus


def licence_for(series: PriceSeries) -> Licence | None:
    """The licence a series' values are published under; None for metalwire's own."""
    return licence_of(series.methodology)


def licence_allows_export(series: PriceSeries) -> bool:
    """Whether a reader's export (CSV, XLSX) may carry the series' values: not when its licence
    forbids redistribution."""
    licence = licence_for(series)
    return licence is None or licence.redistribution


def export_withheld_note(series: PriceSeries) -> str:
    """Why an export leaves a series out."""
    licence = licence_for(series)
    licensor = licence.licensor if licence else series.source
    return f"{series.code}: licensed from {licensor}; the licence forbids redistribution"


def licensed_series(session: Session) -> list[PriceSeries]:
    """The active series whose values a partner delivers: what the desk enters by hand."""
    return list(
        session.scalars(
            select(PriceSeries)
            .where(
                PriceSeries.status == SeriesStatus.ACTIVE,
                PriceSeries.methodology.in_(licensed_families()),
            )
            .order_by(PriceSeries.code)
        )
    )


def _licensed_series(session: Session, code: str) -> tuple[PriceSeries, Licence]:
    series = session.scalar(select(PriceSeries).where(PriceSeries.code == code))
    if series is None:
        raise PricingError(f"no series {code!r}", field="series")
    licence = licence_for(series)
    if licence is None:
        raise PricingError(
            f"{code} is assessed by metalwire, not licensed; submit evidence instead",
            field="series",
        )
    return series, licence


def _explanation(licence: Licence, reference: str) -> dict[str, object]:
    shown = f" ({reference})" if reference else ""
    return {
        "explanation": f"{licence.licensor}'s published value{shown}, as delivered under "
        "licence; not assessed by metalwire.",
        "explanation_zh": f"{licence.licensor}发布的价格{shown}，按授权原样发布；非metalwire评估。",
        "source": licence.licensor,
        "licence": licence.terms_en,
        "reference": reference,
        "inputs_used": [],
        "inputs_considered": [],
        "excluded": [],
        "input_shares": {},
    }


def _priced(
    session: Session, series: PriceSeries, market_date: dt.date, low: Decimal, high: Decimal
) -> tuple[Decimal, Decimal, Decimal, Decimal | None, Decimal | None]:
    """The value at the series' decimals (half-up, once) and its change against the previous
    published mid: the same rule as every other price."""
    d = series.decimals
    low, high = round_price(low, d), round_price(high, d)
    mid = round_price((low + high) / 2, d)
    previous = previous_approved(session, series.id, market_date)
    change, pct = price_change(
        mid,
        previous.mid if previous else None,
        price_step(d),
        relative=series.kind.has_relative_change,
    )
    return low, high, mid, change, pct


def enter_partner_value(
    session: Session,
    code: str,
    market_date: dt.date,
    *,
    low: Decimal,
    high: Decimal,
    user: User,
    reference: str = "",
) -> Assessment:
    """The partner's value for a date as a draft (new, or the day's draft replaced), for a second
    person to approve; an approved day takes a correction instead."""
    require_role(user, Scope.SUBMIT, "enter partner values")
    series, licence = _licensed_series(session, code)
    if not accepts_values_on(series, market_date):
        raise PricingError(f"{code} is discontinued from that date", field="date")
    check_hand_range(series, low, high, ("reference", reference))
    if high < low:
        raise PricingError("high must not be below low", field="high")
    current = latest_version(session, series.id, market_date)
    if current is not None and current.status is AssessmentStatus.APPROVED:
        raise PricingError(
            f"{code} {market_date} is already approved; publish a correction instead",
            field="date",
        )
    low, high, mid, change, pct = _priced(session, series, market_date, low, high)
    row = current or Assessment(
        series_id=series.id, market_date=market_date, version=1, status=AssessmentStatus.DRAFT
    )
    before = None if current is None else {"low": current.low, "high": current.high}
    row.low, row.high, row.mid, row.vwap = low, high, mid, None
    row.change, row.change_pct = change, pct
    row.method, row.carried_forward = Method.LICENSED, False
    row.deals_used, row.volume_used = 0, Decimal(0)
    row.explanation, row.rationale = _explanation(licence, reference), None
    row.assessor_id = user.id
    if current is None:
        session.add(row)
    session.flush()
    record(
        session,
        actor=user.email,
        action="enter-licensed" if current is None else "reenter-licensed",
        object_type="assessment",
        object_id=row.id,
        before=before,
        after={
            "series": code,
            "date": market_date,
            "low": low,
            "high": high,
            "source": licence.licensor,
        },
    )
    return row
