"""Review: four eyes (an editor who did not assess it approves), release at the scheduled time,
corrections as new versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from metalwire.accounts.models import Scope, User
from metalwire.audit import record
from metalwire.catalog.models import PriceSeries
from metalwire.catalog.units import round_price
from metalwire.db.base import utcnow
from metalwire.errors import FourEyes
from metalwire.outbox.events import announce, price_subject
from metalwire.outbox.models import EventKind
from metalwire.pricing.assessing import (
    check_hand_range,
    latest_version,
    previous_approved,
    require_draft,
)
from metalwire.pricing.change import price_change, price_step
from metalwire.pricing.desk import PricingError, require_role
from metalwire.pricing.models import Assessment, AssessmentStatus
from metalwire.pricing.release_times import release_on_approval, scheduled_release


def approve_assessment(
    session: Session, assessment_id: int, *, user: User, now: dt.datetime | None = None
) -> Assessment:
    """Four eyes: an editor who did not assess it approves; release follows at its time."""
    require_role(user, Scope.PUBLISH, "approve assessments")
    row = require_draft(session, assessment_id)
    if row.assessor_id == user.id:
        raise FourEyes(
            f"four eyes: {user.email} assessed {row.series.code} on {row.market_date} and may "
            "not also approve it; another editor must"
        )
    now = now or utcnow()
    scheduled = scheduled_release(row.series, row.market_date)
    row.status = AssessmentStatus.APPROVED
    # In SQL, so that concurrent approvals of one series both count.
    session.execute(
        update(PriceSeries)
        .where(PriceSeries.id == row.series_id)
        .values(publication_seq=PriceSeries.publication_seq + 1)
        .execution_options(synchronize_session=False)
    )
    row.approver_id = user.id
    row.approved_at = now
    # Released at its scheduled time, or when approved if that is later: nobody saw a value
    # before it existed, so a late original is not back-dated (late_releases keeps its record),
    # and a correction is out when approved, never before the original's time.
    row.release_at = release_on_approval(now, scheduled)
    record(
        session,
        at=now,
        actor=user.email,
        action="approve",
        object_type="assessment",
        object_id=row.id,
        after={
            "series": row.series.code,
            "date": row.market_date,
            "version": row.version,
            "release_at": row.release_at,
        },
    )
    announce(
        session,
        EventKind.PRICE_CORRECTED if row.correction_reason else EventKind.PRICE_RELEASED,
        subject=price_subject(row.series.code, row.market_date, row.version),
        code=row.series.code,
        due_at=row.release_at,
        refs={"assessment_id": row.id, "series_id": row.series_id},
    )
    return row


def approve_day(
    session: Session,
    market_date: dt.date,
    *,
    user: User,
    series_code: str | None = None,
    now: dt.datetime | None = None,
) -> list[Assessment]:
    query = (
        select(Assessment)
        .join(PriceSeries)
        .where(Assessment.market_date == market_date, Assessment.status == AssessmentStatus.DRAFT)
    )
    if series_code is not None:
        query = query.where(PriceSeries.code == series_code)
    drafts = list(session.scalars(query.order_by(PriceSeries.code)))
    if not drafts:
        raise PricingError(
            f"no draft assessments on {market_date}"
            + (f" for {series_code}" if series_code else ""),
            field="date",
        )
    return [approve_assessment(session, d.id, user=user, now=now) for d in drafts]


def _published_to_correct(
    session: Session,
    series_code: str,
    market_date: dt.date,
    low: Decimal,
    high: Decimal,
    reason: str,
) -> tuple[PriceSeries, Assessment]:
    """The series and its published version on the date that a correction replaces, once the
    correction's range and reason are known to be acceptable (refused in this order)."""
    if not reason.strip():
        raise PricingError("a correction needs a reason, published with the notice", field="reason")
    series = session.scalar(select(PriceSeries).where(PriceSeries.code == series_code))
    if series is None:
        raise PricingError(f"unknown series {series_code!r}", field="series")
    check_hand_range(series, low, high, ("reason", reason))
    current = latest_version(session, series.id, market_date)
    if current is None or current.status is not AssessmentStatus.APPROVED:
        raise PricingError(
            f"{series_code} has no published price on {market_date} to correct", field="date"
        )
    if low > high:
        raise PricingError(f"{low} is above high {high}", field="low")
    return series, current


def _correction_notice(
    published: Assessment, low: Decimal, high: Decimal, reason: str, decimals: int
) -> tuple[str, str]:
    """The correction's explanation in English and Chinese: which version, what it said and
    what it should have said. The reason follows in both as the editor wrote it; only the
    platform's own words are translated."""

    def shown(value: Decimal) -> str:
        # As published, to the series' decimals: never the stored database scale (19727.000000).
        return format(round_price(value, decimals), "f")

    was = f"{shown(published.low)}-{shown(published.high)}"
    should_be = f"{shown(low)}-{shown(high)}"
    return (
        f"Correction of version {published.version}: {was} should be {should_be}. {reason}",
        f"更正第{published.version}版：{was}应为{should_be}。{reason}",
    )


def _correction_version(
    published: Assessment,
    series: PriceSeries,
    *,
    low: Decimal,
    high: Decimal,
    previous_mid: Decimal | None,
    reason: str,
    assessor_id: int,
) -> Assessment:
    """The next version of a published assessment with a corrected range (not yet added): the
    range to the series' decimals, its mid and change against the previous published price,
    the rest of the published version's result and the cause."""
    low, high = round_price(low, series.decimals), round_price(high, series.decimals)
    mid = round_price((low + high) / 2, series.decimals)
    change, change_pct = price_change(
        mid,
        previous_mid,
        price_step(series.decimals),
        relative=series.kind.has_relative_change,
    )
    explanation = dict(published.explanation)
    explanation["explanation"], explanation["explanation_zh"] = _correction_notice(
        published, low, high, reason, series.decimals
    )
    return Assessment(
        series_id=series.id,
        market_date=published.market_date,
        version=published.version + 1,
        status=AssessmentStatus.DRAFT,
        low=low,
        high=high,
        mid=mid,
        vwap=published.vwap,
        change=change,
        change_pct=change_pct,
        method=published.method,
        carried_forward=published.carried_forward,
        deals_used=published.deals_used,
        volume_used=published.volume_used,
        explanation=explanation,
        rationale=published.rationale,
        assessor_id=assessor_id,
        correction_reason=reason.strip(),
    )


def correct(
    session: Session,
    series_code: str,
    market_date: dt.date,
    *,
    low: Decimal,
    high: Decimal,
    reason: str,
    user: User,
) -> Assessment:
    """A correction: a new draft version with the right values and the cause, to be approved."""
    require_role(user, Scope.SUBMIT, "correct prices")
    series, current = _published_to_correct(session, series_code, market_date, low, high, reason)
    previous = previous_approved(session, series.id, market_date)
    row = _correction_version(
        current,
        series,
        low=low,
        high=high,
        previous_mid=None if previous is None else previous.mid,
        reason=reason,
        assessor_id=user.id,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=user.email,
        action="correct",
        object_type="assessment",
        object_id=row.id,
        before={"low": current.low, "high": current.high},
        after={"low": row.low, "high": row.high, "reason": reason.strip(), "version": row.version},
    )
    return row


def drafts_on(session: Session, market_date: dt.date) -> list[Assessment]:
    return list(
        session.scalars(
            select(Assessment)
            .join(PriceSeries)
            .where(
                Assessment.market_date == market_date, Assessment.status == AssessmentStatus.DRAFT
            )
            .order_by(PriceSeries.code)
        )
    )
