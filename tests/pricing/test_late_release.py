"""A price approved after its scheduled time is released when approved, never back-dated, and
the delay stays on public record: on the series page, /corrections and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.catalog import service as catalog
from metalwire.catalog.models import PriceSeries
from metalwire.db.migrate import alembic_config, upgrade
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.models import Assessment
from metalwire.pricing.published import late_releases, published_prices
from metalwire.pricing.review import approve_assessment
from tests.pricing.conftest import AFTER_RELEASE, BEFORE_RELEASE, DAY, SILVER, Desk
from tests.pricing.test_api import DEALS

# 11:30 Shanghai is 03:30 UTC; approved at 08:43 UTC: 5 h 13 min late.
APPROVED_LATE = dt.datetime(2026, 11, 25, 8, 43, tzinfo=dt.UTC)
BETWEEN = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)  # past the schedule, before approval
LATER = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def publish_at(desk: Desk, approved: dt.datetime) -> int:
    desk.submit(SILVER, DAY, DEALS)
    with desk.db.transaction() as session:
        run = assess_day(session, DAY, user=desk.analyst, series_code=SILVER)
        [draft] = run.assessments
        row = approve_assessment(session, draft.id, user=desk.editor, now=approved)
        return row.id


def test_a_late_approval_is_released_when_approved_not_at_its_schedule(desk: Desk) -> None:
    publish_at(desk, APPROVED_LATE)
    with desk.db.transaction() as session:
        assert published_prices(session, _silver(session), as_of=BETWEEN) == []
        [price] = published_prices(session, _silver(session), as_of=LATER)
        assert price.release_at == APPROVED_LATE
        [late] = late_releases(session, as_of=LATER)
        assert late.scheduled_at == AFTER_RELEASE and late.released_at == APPROVED_LATE
        assert late.late_by == dt.timedelta(hours=5, minutes=13)
        # Known only once it is out.
        assert late_releases(session, as_of=BETWEEN) == []


def test_an_approval_ahead_of_time_is_released_at_its_schedule_and_is_not_late(
    desk: Desk,
) -> None:
    publish_at(desk, BEFORE_RELEASE)
    with desk.db.transaction() as session:
        [price] = published_prices(session, _silver(session), as_of=LATER)
        assert price.release_at == AFTER_RELEASE
        assert late_releases(session, as_of=LATER) == []


def test_as_of_before_a_late_release_never_shows_it_through_the_api(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    publish_at(desk, APPROVED_LATE)
    at(LATER)
    url = f"/api/v1/series/{SILVER}/prices?start={DAY}"
    between = f"{BETWEEN:%Y-%m-%dT%H:%M:%SZ}"
    assert client.get(f"{url}&as_of={between}").json()["items"] == []
    [row] = client.get(url).json()["items"]
    assert row["released_at"] == APPROVED_LATE.isoformat()
    [record] = client.get("/api/v1/late-releases").json()
    assert record["series"] == SILVER and record["date"] == DAY.isoformat()
    assert record["late_minutes"] == 313
    assert record["scheduled_at"] == AFTER_RELEASE.isoformat()
    assert client.get(f"/api/v1/late-releases?series={SILVER}").json() == [record]
    assert client.get(f"/api/v1/late-releases?as_of={between}").json() == []
    problem = client.get("/api/v1/late-releases?series=NO-SUCH")
    assert problem.status_code == 422 and "series" in problem.text


def test_the_delay_stays_on_record_on_the_series_page_and_corrections_in_both_languages(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    publish_at(desk, APPROVED_LATE)
    at(LATER)
    for path in (f"/series/{SILVER}", "/corrections"):
        assert "released 5 h 13 min late" in client.get(f"{path}?lang=en").text
        assert "晚于计划 5小时13分钟 发布" in client.get(f"{path}?lang=zh").text


def _silver(session: Session) -> PriceSeries:
    series = catalog.get_series(session, SILVER)
    assert series is not None
    return series


def test_the_migration_moves_a_back_dated_late_release_to_its_approval(desk: Desk) -> None:
    assessment_id = publish_at(desk, APPROVED_LATE)
    engine = desk.db.engine
    command.downgrade(alembic_config(engine), "0008")
    # What the earlier code wrote: the late original back-dated to its schedule.
    with desk.db.transaction() as session:
        row = session.get(Assessment, assessment_id)
        assert row is not None
        row.release_at = AFTER_RELEASE
        # The column alone: the series row as the current code maps it has later columns.
        seq_before = session.scalar(
            select(PriceSeries.publication_seq).where(PriceSeries.id == row.series_id)
        )
    upgrade(engine)
    with desk.db.transaction() as session:
        row = session.get(Assessment, assessment_id)
        assert row is not None and row.release_at == APPROVED_LATE
        assert row.series.publication_seq == seq_before + 1
        assert [r.assessment_id for r in late_releases(session, as_of=LATER)] == [assessment_id]
