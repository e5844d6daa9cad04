"""A price published the way the desk publishes one: deals submitted, assessed by the analyst,
approved by another editor (four eyes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from metalwire.pricing.assessing import assess_day, override
from metalwire.pricing.release_times import scheduled_release
from metalwire.pricing.review import approve_assessment
from tests.conftest import Desk

Deals = list[tuple[str, str]]  # (price, volume) of each deal


def three_deals(low: str, mid: str, high: str, volume: str = "200") -> Deals:
    """Three deals of one volume: the assessed range is low-high around mid."""
    return [(low, volume), (mid, volume), (high, volume)]


def publish(
    desk: Desk,
    code: str,
    day: dt.date,
    deals: Deals,
    *,
    approved_at: dt.datetime | None = None,
    judgment: tuple[str, str, str] | None = None,
    approve: bool = True,
) -> int:
    """The series' price for ``day`` assessed from ``deals`` and approved at ``approved_at`` (by
    default ten minutes before the day's scheduled release, so released on time; an approval
    after it releases the price late). ``judgment`` (low, high, rationale) overrides the
    assessed range; ``approve=False`` leaves a draft. Returns the assessment's id."""
    desk.submit(code, day, deals)
    with desk.db.transaction() as session:
        run = assess_day(session, day, user=desk.analyst, series_code=code)
        assessment = run.assessments[0]
        if judgment:
            low, high, rationale = judgment
            override(
                session,
                assessment.id,
                low=Decimal(low),
                high=Decimal(high),
                rationale=rationale,
                user=desk.analyst,
            )
        if approve:
            if approved_at is None:
                scheduled = scheduled_release(assessment.series, day)
                approved_at = scheduled - dt.timedelta(minutes=10)
            approve_assessment(session, assessment.id, user=desk.editor, now=approved_at)
        return assessment.id
