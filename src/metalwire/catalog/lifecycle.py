"""A series over time (pure): its release time and tier by market date, and whether it still
takes values on a date. The lookups read only the series row (its ``changes``), never the
database, so every hot read stays at its statement count."""

from __future__ import annotations

import datetime as dt

from metalwire.catalog.models import PriceSeries, SeriesStatus


def accepts_values_on(series: PriceSeries, market_date: dt.date) -> bool:
    """Whether the series takes a new value for the date: not once discontinued."""
    return series.status is SeriesStatus.ACTIVE
