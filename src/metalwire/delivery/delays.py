"""``price.delayed``: a series still unreleased past its scheduled release instant. No state
changes when a price is late, so the worker notices it: at each scheduled instant it looks for
the day's approved value and, finding none released, announces the delay (once: the subject is
the series and day, and a second worker's announcement is the same row)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import released
from metalwire.catalog.lifecycle import market_today
from metalwire.catalog.models import PriceSeries, SeriesStatus
from metalwire.outbox.events import announce
from metalwire.outbox.models import EventKind
from metalwire.pricing.models import Assessment, AssessmentStatus
from metalwire.pricing.release_times import scheduled_release, trades_on


def _schedule(series: PriceSeries, around: dt.datetime) -> list[tuple[dt.datetime, dt.date]]:
    """The series' release instants of the market days around an instant (yesterday to
    tomorrow in its own timezone), with their days."""
    today = market_today(series, around)
    days = [today + dt.timedelta(days=n) for n in (-1, 0, 1)]
    return [(scheduled_release(series, day), day) for day in days if trades_on(series, day)]


def _active(session: Session) -> list[PriceSeries]:
    return list(
        session.scalars(select(PriceSeries).where(PriceSeries.status == SeriesStatus.ACTIVE))
    )


def next_release(session: Session, now: dt.datetime) -> dt.datetime | None:
    """The next scheduled release instant of any active series after ``now``."""
    later = [at for s in _active(session) for at, _day in _schedule(s, now) if at > now]
    return min(later, default=None)


def announce_delays(session: Session, since: dt.datetime, now: dt.datetime) -> int:
    """Announce every series whose scheduled instant fell in (since, now] and has no approved
    value of that day released by now; returns how many were found late."""
    late = 0
    for series in _active(session):
        for at, day in _schedule(series, now):
            if not since < at <= now:
                continue
            out = session.scalar(
                select(Assessment.id).where(
                    Assessment.series_id == series.id,
                    Assessment.market_date == day,
                    Assessment.status == AssessmentStatus.APPROVED,
                    released(Assessment, now),
                )
            )
            if out is None:
                late += 1
                announce(
                    session,
                    EventKind.PRICE_DELAYED,
                    subject=f"{series.code}/{day.isoformat()}",
                    code=series.code,
                    due_at=at,
                    refs={"series_id": series.id, "date": day.isoformat()},
                )
    return late
