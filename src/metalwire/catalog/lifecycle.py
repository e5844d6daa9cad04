"""A series over time (pure): its release time and tier by market date, and whether it still
takes values on a date. The lookups read only the series row (its ``changes``), never the
database, so every hot read stays at its statement count.

Each change in ``changes`` names the value it sets and the one it replaces (``release_time``
and ``release_time_before``, ``tier`` and ``tier_before``) and applies from its effective market
date on: an assessment of an earlier market date keeps the release time it had. The columns
``release_time``, ``tier`` and ``status`` hold the values in force today; a change announced
for a later date reaches them when due (catalog/lifecycle_service.py: ``apply_due``, run by
every lifecycle command and `metalwire series apply-due`), and the access gate weighs the
column, so a tier change opens or closes the whole series' history from its date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from metalwire.catalog.models import PriceSeries, Tier


def _in_force(series: PriceSeries, day: dt.date, key: str) -> Any | None:
    """The value of ``key`` on ``day``: set by the latest change effective on or before it, or
    the value the first change replaced; None when no change touches ``key``."""
    found = None
    first_before = None
    for change in series.changes or ():
        if key not in change:
            continue
        if first_before is None:
            first_before = change[f"{key}_before"]
        if dt.date.fromisoformat(change["effective"]) <= day:
            found = change[key]
    return found if found is not None else first_before


def release_time_on(series: PriceSeries, day: dt.date) -> dt.time:
    """The release time of the series' value for a market date."""
    if not series.changes:
        return series.release_time
    changed = _in_force(series, day, "release_time")
    return dt.time.fromisoformat(changed) if changed else series.release_time


def tier_on(series: PriceSeries, day: dt.date) -> Tier:
    """The series' tier on a date."""
    changed = _in_force(series, day, "tier") if series.changes else None
    return Tier(changed) if changed else series.tier


def discontinued_from(series: PriceSeries) -> dt.date | None:
    """The first market date without a value, when a discontinuation is announced."""
    for change in series.changes or ():
        if change.get("discontinue"):
            return dt.date.fromisoformat(change["effective"])
    return None


def accepts_values_on(series: PriceSeries, market_date: dt.date) -> bool:
    """Whether the series takes a new value for the date: not from its discontinuation on."""
    end = discontinued_from(series)
    return end is None or market_date < end


def pending_after(series: PriceSeries, day: dt.date) -> bool:
    """Whether a change is announced for a date after ``day``: read from the row, so a page
    asks for the notices only of a series that has one."""
    return any(dt.date.fromisoformat(c["effective"]) > day for c in series.changes or ())


def market_today(series: PriceSeries, now: dt.datetime) -> dt.date:
    """The series' market date at ``now``: its own timezone's calendar day (Shanghai's day has
    begun while London's and UTC's has not), the day a change "in advance" must come after."""
    return now.astimezone(ZoneInfo(series.timezone)).date()
