"""When a series' value for a market date is due: its release instant, in its own timezone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from metalwire.catalog.models import PriceSeries


def scheduled_release(series: PriceSeries, market_date: dt.date) -> dt.datetime:
    """The release instant (UTC) of a series' value for a market date, in its own timezone."""
    local = dt.datetime.combine(market_date, series.release_time, tzinfo=ZoneInfo(series.timezone))
    return local.astimezone(dt.UTC)


def market_today(series: PriceSeries, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(series.timezone)).date()
