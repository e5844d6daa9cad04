"""When a series' value for a market date is due (its release instant, in its own timezone), and
whether a release kept its time.

The lateness checks here compare a release instant with a schedule or an approval: a record of
the desk's punctuality, never whether a reader may see the value (that is accounts.gate's
``released``)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement

from metalwire.catalog.calendars import CalendarError, get_calendar
from metalwire.catalog.lifecycle import release_time_on
from metalwire.catalog.models import PriceSeries


def scheduled_release(series: PriceSeries, market_date: dt.date) -> dt.datetime:
    """The release instant (UTC) of a series' value for a market date, in its own timezone, at
    the release time in force for that date (a change applies from its effective date only)."""
    local = dt.datetime.combine(
        market_date, release_time_on(series, market_date), tzinfo=ZoneInfo(series.timezone)
    )
    return local.astimezone(dt.UTC)


def trades_on(series: PriceSeries, day: dt.date) -> bool:
    """Whether the series' market has a session that day (its calendar; weekdays for a market
    without one)."""
    try:
        return get_calendar(series.calendar).is_trading_day(day)
    except CalendarError:
        return day.weekday() < 5


def overdue(series: PriceSeries, day: dt.date, now: dt.datetime) -> bool:
    """Past the scheduled release of the day's value: a value not out by then is delayed, not
    pending (the desk's punctuality, not a visibility rule)."""
    return now >= scheduled_release(series, day)


def release_on_approval(approved_at: dt.datetime, scheduled: dt.datetime) -> dt.datetime:
    """The instant an approved version goes out: its scheduled time, or its approval if that is
    later (a write-side rule of the release, not a visibility check)."""
    return max(approved_at, scheduled)


def released_late(release_at: dt.datetime, scheduled: dt.datetime) -> bool:
    """A value released after its scheduled instant (approved late): the public record of the
    delay, not a visibility rule."""
    return release_at > scheduled


def released_on_approval(row: Any) -> ColumnElement[bool]:
    """An original released when it was approved rather than at its schedule: approval releases
    at ``max(approval, schedule)``, so these were approved at or after their time (SQL, for an
    assessment or an alias of one)."""
    clause: ColumnElement[bool] = row.release_at == row.approved_at
    return clause
