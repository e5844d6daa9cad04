"""Series lifecycle from the desk: a release time or tier changed from an effective date, a
discontinuation announced in advance; every change audited and published as a notice."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from metalwire.audit import AuditEvent
from metalwire.catalog import lifecycle_service as lifecycle
from metalwire.catalog.models import PriceSeries, SeriesStatus, Tier
from metalwire.catalog.service import get_series
from metalwire.cli import app
from metalwire.errors import Conflict, InvalidInput
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.release_times import scheduled_release
from tests.conftest import Desk, ScratchDatabase
from tests.support.desk import publish

SILVER = "AG-INGOT-CN-SPOT"  # free, 11:30 Asia/Shanghai
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 25)
LATER = dt.date(2026, 11, 26)
runner = CliRunner()


def test_a_release_time_change_applies_from_its_date_only(desk: Desk) -> None:
    with desk.db.transaction() as session:
        lifecycle.change_series(
            session,
            SILVER,
            effective=LATER,
            notice="Silver moves to 10:00 from 26 November",
            actor="editor@desk.cn",
            release_time=dt.time(10, 0),
            now=NOW,
        )
    with desk.db.transaction() as session:
        series = get_series(session, SILVER)
        assert series is not None
        assert scheduled_release(series, DAY) == dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC)
        assert scheduled_release(series, LATER) == dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
        (notice,) = lifecycle.notices(session, SILVER)
        assert (notice.before, notice.after, notice.effective_from) == ("11:30", "10:00", LATER)
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == SILVER)
        ).all()
        assert "series-release-time" in actions


def test_a_tier_change_reaches_the_series_on_its_date(desk: Desk) -> None:
    with desk.db.transaction() as session:
        lifecycle.change_series(
            session,
            SILVER,
            effective=LATER,
            notice="Silver becomes premium",
            actor="t",
            tier=Tier.PREMIUM,
            now=NOW,
        )
        assert lifecycle.apply_due(session, today=DAY) == []
        series = get_series(session, SILVER)
        assert series is not None and series.tier is Tier.FREE
        assert lifecycle.apply_due(session, today=LATER) == [SILVER]
        assert series.tier.value == "premium"
        assert lifecycle.apply_due(session, today=LATER) == []  # idempotent


def test_a_discontinued_series_takes_no_new_value_and_keeps_its_history(desk: Desk) -> None:
    publish(desk, SILVER, DAY, [("7840", "1"), ("7855", "1"), ("7870", "1")])
    with desk.db.transaction() as session:
        lifecycle.discontinue_series(
            session, SILVER, effective=LATER, notice="Silver is discontinued", actor="t", now=NOW
        )
    desk.submit(SILVER, LATER, [("7900", "1"), ("7910", "1"), ("7920", "1")])
    with desk.db.transaction() as session:
        run = assess_day(session, LATER, user=desk.analyst, series_code=SILVER)
        assert run.assessments == [] and run.skipped == [(SILVER, "discontinued")]
        lifecycle.apply_due(session, today=LATER)
        series = session.scalar(select(PriceSeries).where(PriceSeries.code == SILVER))
        assert series is not None and series.status is SeriesStatus.DISCONTINUED
    from metalwire.pricing.published import published_prices

    with desk.db.transaction() as session:
        series = get_series(session, SILVER)
        assert series is not None
        moment = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
        assert [p.market_date for p in published_prices(session, series, as_of=moment)] == [DAY]


def test_changes_are_announced_in_advance_with_a_notice(desk: Desk) -> None:
    with desk.db.transaction() as session:
        with pytest.raises(InvalidInput, match="in advance"):
            lifecycle.discontinue_series(
                session, SILVER, effective=NOW.date(), notice="now", actor="t", now=NOW
            )
        with pytest.raises(InvalidInput, match="notice"):
            lifecycle.change_series(
                session, SILVER, effective=LATER, notice=" ", actor="t", tier=Tier.PREMIUM, now=NOW
            )
        lifecycle.discontinue_series(
            session, SILVER, effective=LATER, notice="gone", actor="t", now=NOW
        )
        with pytest.raises(Conflict, match="discontinued"):
            lifecycle.change_series(
                session, SILVER, effective=LATER, notice="x", actor="t", tier=Tier.PREMIUM, now=NOW
            )


def test_in_advance_means_after_the_series_own_market_date(desk: Desk) -> None:
    """At 20:00 UTC Shanghai's next day has begun: a silver change effective that day is not
    in advance, though the UTC date is still the day before (the API, the CLI and the desk
    all ask the series' own calendar)."""
    evening = dt.datetime(2026, 11, 24, 20, 0, tzinfo=dt.UTC)  # 04:00 on the 25th in Shanghai
    with desk.db.transaction() as session:
        with pytest.raises(InvalidInput, match=r"after today \(2026-11-25\)"):
            lifecycle.change_series(
                session,
                SILVER,
                effective=DAY,
                notice="x",
                actor="t",
                tier=Tier.PREMIUM,
                now=evening,
            )
        lifecycle.change_series(
            session, SILVER, effective=LATER, notice="x", actor="t", tier=Tier.PREMIUM, now=evening
        )


def test_series_create_from_the_command_line(env_db: ScratchDatabase) -> None:
    with env_db.transaction() as session:
        from metalwire.catalog.service import sync_catalog

        sync_catalog(session)
    fields = {
        "code": "AG-TEST-NEW-SPOT",
        "commodity": "AG-1",
        "name_en": "Silver test",
        "name_zh": "白银测试",
        "kind": "outright",
        "unit": "kg",
        "currency": "CNY",
        "decimals": "0",
        "timezone": "Asia/Shanghai",
        "release_time": "11:30",
        "calendar": "CN",
        "methodology": "spot-prices",
    }
    args = ["series", "create", *(x for k, v in fields.items() for x in ("--set", f"{k}={v}"))]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "exists" in again.output
    bad = runner.invoke(app, ["series", "create", "--set", "code=bad"])
    assert bad.exit_code != 0
    notices = runner.invoke(app, ["series", "notices", "AG-TEST-NEW-SPOT", "--json"])
    assert "create" in notices.output


def test_the_delivery_worker_brings_a_change_into_force_on_its_date(desk: Desk) -> None:
    """Nobody has to remember `series apply-due`: the worker's first pass of a desk day does
    it (the gate and the listings read the series' columns)."""
    from metalwire.delivery.worker import Worker
    from metalwire.settings import load_settings

    with desk.db.transaction() as session:
        lifecycle.change_series(
            session,
            SILVER,
            effective=LATER,
            notice="Premium from the 26th",
            actor="t",
            tier=Tier.PREMIUM,
            now=NOW,
        )
    settings = load_settings(database_url=desk.db.url)
    the_25th = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)  # 16:00 in Shanghai
    the_26th = dt.datetime(2026, 11, 25, 16, 30, tzinfo=dt.UTC)  # 00:30 on the 26th there
    for at, tier in ((the_25th, Tier.FREE), (the_26th, Tier.PREMIUM)):
        worker = Worker(desk.db.sessions, settings, clock=lambda at=at: at)
        worker.step()
        worker.close()
        with desk.db.session() as session:
            series = get_series(session, SILVER)
            assert series is not None and series.tier is tier, at


def test_notices_are_public_in_the_api(desk: Desk, client: TestClient) -> None:
    with desk.db.transaction() as session:
        lifecycle.change_series(
            session,
            SILVER,
            effective=LATER,
            notice="Silver moves to 10:00",
            actor="t",
            release_time=dt.time(10, 0),
            now=NOW,
        )
    (item,) = client.get("/api/v1/series-notices", params={"series": SILVER}).json()
    assert item["kind"] == "release-time" and (item["before"], item["after"]) == ("11:30", "10:00")
    assert item["effective_from"] == LATER.isoformat() and item["notice"] == "Silver moves to 10:00"
    unknown = client.get("/api/v1/series-notices", params={"series": "NO-SUCH"})
    assert unknown.status_code == 422 and "series" in unknown.text
