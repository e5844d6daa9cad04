"""Assess, review, release and correct, on both databases — read like the methodology."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from metalwire.catalog.service import get_series
from metalwire.errors import FourEyes
from metalwire.pricing.assessing import assess_day, override
from metalwire.pricing.desk import PricingError
from metalwire.pricing.models import Assessment, AssessmentStatus, Submission
from metalwire.pricing.published import (
    PublishedPrice,
    corrections,
    period_averages,
    published_prices,
    release_state,
)
from metalwire.pricing.review import approve_assessment, approve_day, correct
from metalwire.pricing.submissions import exclude_submission
from tests.pricing.conftest import AFTER_RELEASE, BEFORE_RELEASE, DAY, SILVER, Desk

FIVE_DEALS = [("7840", "10"), ("7850", "20"), ("7855", "5"), ("7860", "10"), ("7870", "15")]


def assess_and_approve(desk: Desk, day: dt.date = DAY, now: dt.datetime | None = None) -> None:
    with desk.db.transaction() as session:
        assess_day(session, day, user=desk.analyst, series_code=SILVER)
    with desk.db.transaction() as session:
        approve_day(session, day, user=desk.editor, series_code=SILVER, now=now)


def published(desk: Desk, as_of: dt.datetime) -> list[PublishedPrice]:
    with desk.db.transaction() as session:
        series = get_series(session, SILVER)
        assert series is not None
        return published_prices(session, series, as_of=as_of)


def test_five_deals_publish_a_transaction_based_range(desk: Desk) -> None:
    desk.submit(SILVER, DAY, FIVE_DEALS)
    with desk.db.transaction() as session:
        run = assess_day(session, DAY, user=desk.analyst, series_code=SILVER)
        [draft] = run.assessments
        assert (draft.low, draft.high, draft.mid) == (Decimal(7840), Decimal(7870), Decimal(7855))
        assert draft.method.value == "transaction-based"
        assert draft.deals_used == 5 and draft.volume_used == Decimal(60)
        assert draft.status is AssessmentStatus.DRAFT


def test_the_assessor_cannot_approve_their_own_assessment(desk: Desk) -> None:
    desk.submit(SILVER, DAY, FIVE_DEALS)
    with desk.db.transaction() as session:
        assess_day(session, DAY, user=desk.analyst, series_code=SILVER)
    # An editor who assessed may not approve either.
    with desk.db.transaction() as session:
        assess_day(session, DAY, user=desk.editor, series_code=SILVER)
    with pytest.raises(FourEyes, match="four eyes"), desk.db.transaction() as session:
        approve_day(session, DAY, user=desk.editor)
    with pytest.raises(PricingError, match="may not approve"):
        with desk.db.transaction() as session:
            approve_day(session, DAY, user=desk.analyst)


def test_an_approved_price_is_invisible_until_its_release_time_in_shanghai(desk: Desk) -> None:
    desk.submit(SILVER, DAY, FIVE_DEALS)
    assess_and_approve(desk, now=BEFORE_RELEASE - dt.timedelta(hours=1))
    assert published(desk, BEFORE_RELEASE) == []
    assert published(desk, AFTER_RELEASE - dt.timedelta(seconds=1)) == []
    [price] = published(desk, AFTER_RELEASE)
    assert price.mid == Decimal(7855)
    assert price.release_at == AFTER_RELEASE  # 11:30 Asia/Shanghai is 03:30 UTC


def test_release_state_pending_delayed_released(desk: Desk) -> None:
    with desk.db.transaction() as session:
        series = get_series(session, SILVER)
        assert series is not None
        assert release_state(session, series, BEFORE_RELEASE) == "pending"
        assert release_state(session, series, AFTER_RELEASE) == "delayed"
        saturday = dt.datetime(2026, 11, 28, 4, 0, tzinfo=dt.UTC)
        assert release_state(session, series, saturday) == "no-session"
    desk.submit(SILVER, DAY, FIVE_DEALS)
    assess_and_approve(desk, now=BEFORE_RELEASE)
    with desk.db.transaction() as session:
        series = get_series(session, SILVER)
        assert series is not None
        assert release_state(session, series, AFTER_RELEASE) == "released"


def test_late_submissions_after_the_cut_off_do_not_count(desk: Desk) -> None:
    desk.submit(SILVER, DAY, FIVE_DEALS)
    late = dt.datetime(2026, 11, 25, 3, 10, tzinfo=dt.UTC)  # 11:10, after the 11:00 cut-off
    desk.submit(SILVER, DAY, [("9000", "50")], received=late)
    with desk.db.transaction() as session:
        [draft] = assess_day(session, DAY, user=desk.analyst, series_code=SILVER).assessments
        assert draft.high == Decimal(7870)
        reasons = [e["reason"] for e in draft.explanation["excluded"]]
        assert len(reasons) == 1 and "late" in reasons[0]
        # Stored in Chinese too, for the Chinese pages (it was dropped on the way to storage).
        [stored] = draft.explanation["excluded"]
        assert stored["reason_zh"].startswith("迟到：") and "晚于截止时间" in stored["reason_zh"]


def test_a_manual_exclusion_records_who_and_why(desk: Desk) -> None:
    desk.submit(SILVER, DAY, FIVE_DEALS)
    with desk.db.transaction() as session:
        first = session.scalar(select(func.min(Submission.id)))
        assert first is not None
        exclude_submission(session, first, "counterparty is a related party", actor=desk.analyst)
    with desk.db.transaction() as session:
        [draft] = assess_day(session, DAY, user=desk.analyst, series_code=SILVER).assessments
        assert draft.low == Decimal(7850)
        assert any(
            e["reason"] == "excluded by the desk: counterparty is a related party"
            and e["reason_zh"] == "交易台剔除：counterparty is a related party"
            for e in draft.explanation["excluded"]
        )


def test_judgment_override_needs_a_rationale_and_keeps_the_engine_figures(desk: Desk) -> None:
    desk.submit(SILVER, DAY, FIVE_DEALS)
    with desk.db.transaction() as session:
        [draft] = assess_day(session, DAY, user=desk.analyst, series_code=SILVER).assessments
        with pytest.raises(PricingError, match="rationale"):
            override(
                session,
                draft.id,
                low=Decimal(7800),
                high=Decimal(7820),
                rationale=" ",
                user=desk.analyst,
            )
        row = override(
            session,
            draft.id,
            low=Decimal(7800),
            high=Decimal(7820),
            rationale="deals were distressed sales",
            user=desk.analyst,
        )
        assert row.method.value == "judgment" and row.mid == Decimal(7810)
        assert row.explanation["engine_low"] == "7840"
        assert row.rationale == "deals were distressed sales"


def test_a_correction_is_a_new_version_and_as_of_sees_what_was_published(desk: Desk) -> None:
    desk.submit(SILVER, DAY, FIVE_DEALS)
    assess_and_approve(desk, now=BEFORE_RELEASE)
    with desk.db.transaction() as session:
        correction = correct(
            session,
            SILVER,
            DAY,
            low=Decimal(7845),
            high=Decimal(7870),
            reason="one deal was misreported",
            user=desk.analyst,
        )
        assert correction.version == 2
    with pytest.raises(PricingError, match="may not approve"):
        with desk.db.transaction() as session:
            approve_assessment(session, correction.id, user=desk.analyst)
    corrected_at = AFTER_RELEASE + dt.timedelta(hours=5)
    with desk.db.transaction() as session:
        approve_assessment(session, correction.id, user=desk.editor, now=corrected_at)
    [before] = published(desk, corrected_at - dt.timedelta(seconds=1))
    [after] = published(desk, corrected_at)
    assert (before.low, before.version) == (Decimal(7840), 1)
    assert (after.low, after.mid, after.version) == (Decimal(7845), Decimal(7858), 2)
    with desk.db.transaction() as session:
        notices = corrections(session, as_of=corrected_at)
        assert [(n.old_low, n.new_low, n.reason) for n in notices] == [
            (Decimal(7840), Decimal(7845), "one deal was misreported")
        ]
        assert corrections(session, as_of=corrected_at - dt.timedelta(seconds=1)) == []
        versions = session.scalar(select(func.count(Assessment.id)))
        assert versions == 2  # no version is ever deleted


def test_change_is_against_the_previous_published_mid_and_follows_corrections(desk: Desk) -> None:
    day2 = DAY + dt.timedelta(days=1)
    desk.submit(SILVER, DAY, FIVE_DEALS)
    desk.submit(SILVER, day2, [("7870", "10"), ("7880", "10"), ("7890", "10")])
    assess_and_approve(desk, DAY, now=BEFORE_RELEASE)
    assess_and_approve(desk, day2, now=BEFORE_RELEASE)
    late = AFTER_RELEASE + dt.timedelta(days=2)
    _, second = published(desk, late)
    assert (second.mid, second.change, second.change_pct) == (
        Decimal(7880),
        Decimal(25),
        Decimal("0.32"),
    )
    with desk.db.transaction() as session:
        row = correct(
            session,
            SILVER,
            DAY,
            low=Decimal(7860),
            high=Decimal(7870),
            reason="typo",
            user=desk.analyst,
        )
        approve_assessment(session, row.id, user=desk.editor, now=late)
    _, second = published(desk, late)
    assert second.change == Decimal(15)  # 7880 - corrected 7865


def test_monthly_average_is_the_mean_of_daily_mids(desk: Desk) -> None:
    mids = {
        dt.date(2026, 11, 2): "206",
        dt.date(2026, 11, 3): "208",
        dt.date(2026, 11, 4): "210",
        dt.date(2026, 11, 5): "211",
        dt.date(2026, 11, 6): "208",
    }
    for day, mid in mids.items():
        desk.submit(SILVER, day, [(mid, "1"), (mid, "1"), (mid, "1")])
        assess_and_approve(desk, day, now=BEFORE_RELEASE)
    prices = published(desk, AFTER_RELEASE)
    [(first, last, mean, count)] = period_averages(prices, "month", 2)
    assert (first, last, mean, count) == (
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 6),
        Decimal("208.60"),
        5,
    )


def test_an_approved_price_cannot_be_reassessed(desk: Desk) -> None:
    desk.submit(SILVER, DAY, FIVE_DEALS)
    assess_and_approve(desk, now=BEFORE_RELEASE)
    with desk.db.transaction() as session:
        run = assess_day(session, DAY, user=desk.analyst, series_code=SILVER)
    assert run.assessments == [] and "correction" in run.skipped[0][1]
