"""The monthly methodology-compliance report of a price family (IOSCO PRA principle 12, EU BMR
Annex II): per series, how the month's published prices were made — days assessed against
trading days, the share made from transactions, by judgment and carried forward, the average
transactions and volume behind a price, exclusions, corrections and late releases. Computed from
the published record (the latest version of each day, as of an instant) and each price's
disclosure (pricing/disclosure.py)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.catalog.models import PriceSeries
from metalwire.catalog.units import round_price
from metalwire.errors import InvalidInput, NotFound
from metalwire.pricing.disclosure import disclosures
from metalwire.pricing.evidence import Method
from metalwire.pricing.price_row import DisclosureRow
from metalwire.pricing.published import late_releases, published_prices
from metalwire.pricing.release_times import trades_on
from metalwire.records import JsonRecord

MONTH_PATTERN = re.compile(r"^(?!0000)(\d{4})-(0[1-9]|1[0-2])$")  # the calendar has no year 0
_PCT = 2
_AVERAGE = 3


@dataclass(frozen=True, slots=True)
class SeriesCompliance(JsonRecord):
    """One series' month (percentages of the days assessed, 2 decimals)."""

    series: str
    trading_days: int
    days_assessed: int
    methods: dict[str, int]  # days per method
    transaction_based_pct: Decimal | None
    judgment_pct: Decimal | None
    carried_forward_pct: Decimal | None
    avg_transactions: Decimal | None
    avg_volume: Decimal | None
    exclusions: int
    corrections: int  # days whose published price is a corrected version
    late_releases: int


@dataclass(frozen=True, slots=True)
class ComplianceReport(JsonRecord):
    family: str
    month: str
    first_day: dt.date
    last_day: dt.date
    as_of: dt.datetime
    series: tuple[SeriesCompliance, ...]


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """The first and last day of ``YYYY-MM``; InvalidInput naming ``month`` otherwise."""
    found = MONTH_PATTERN.fullmatch(month)
    if found is None:
        raise InvalidInput("give the month as YYYY-MM, e.g. 2026-11", field="month")
    year, number = int(found[1]), int(found[2])
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def _pct(count: int, total: int) -> Decimal | None:
    return round_price(Decimal(count) * 100 / total, _PCT) if total else None


def _average(values: Sequence[Decimal | int]) -> Decimal | None:
    if not values:
        return None
    return round_price(sum((Decimal(v) for v in values), Decimal(0)) / len(values), _AVERAGE)


def _trading_days(series: PriceSeries, first: dt.date, last: dt.date) -> int:
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return sum(1 for day in days if trades_on(series, day))


def series_compliance(
    series: PriceSeries, rows: Sequence[DisclosureRow], trading_days: int, late: int
) -> SeriesCompliance:
    """One series' figures from its month's disclosures (pure)."""
    methods = Counter(r.method for r in rows)
    total = len(rows)
    deals = [r for r in rows if r.transactions]
    return SeriesCompliance(
        series=series.code,
        trading_days=trading_days,
        days_assessed=total,
        methods=dict(sorted(methods.items())),
        transaction_based_pct=_pct(methods[Method.TRANSACTION.value], total),
        judgment_pct=_pct(sum(1 for r in rows if r.judgment), total),
        carried_forward_pct=_pct(methods[Method.CARRIED_FORWARD.value], total),
        avg_transactions=_average([r.transactions for r in rows]),
        avg_volume=_average([r.transaction_volume for r in deals]),
        exclusions=sum(r.exclusions for r in rows),
        corrections=sum(1 for r in rows if r.version > 1),
        late_releases=late,
    )


def family_series(session: Session, family: str) -> list[PriceSeries]:
    """The series assessed under a family, by code; NotFound when none is."""
    found = list(
        session.scalars(
            select(PriceSeries).where(PriceSeries.methodology == family).order_by(PriceSeries.code)
        )
    )
    if not found:
        raise NotFound(f"no price series follows the methodology {family!r}", field="family")
    return found


def compliance_report(
    session: Session, family: str, month: str, *, as_of: dt.datetime
) -> ComplianceReport:
    """The family's report for a month, from what was published by ``as_of``."""
    first, last = month_bounds(month)
    chosen = family_series(session, family)
    late = Counter(
        item.series.id
        for item in late_releases(session, as_of=as_of, series_ids=[s.id for s in chosen])
        if first <= item.market_date <= last
    )
    out = []
    for series in chosen:
        prices = published_prices(session, series, as_of=as_of, start=first, end=last)
        disclosed = disclosures(session, prices)
        rows = [disclosed[p.assessment_id] for p in prices]
        trading = _trading_days(series, first, min(last, as_of.date()))
        out.append(series_compliance(series, rows, trading, late[series.id]))
    return ComplianceReport(family, month, first, last, as_of, tuple(out))
