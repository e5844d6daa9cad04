"""Published reads, point in time: what a reader could see at an instant (approved and past its
release instant, through the gate's ``released``), the publication stamp, corrections, late
releases and where today's release stands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, Select, String, and_, bindparam, func, select, type_coerce
from sqlalchemy.orm import Session

from metalwire.accounts.gate import released
from metalwire.catalog.lifecycle import market_today
from metalwire.catalog.models import CatalogEntry, CatalogGroup, Commodity, PriceSeries
from metalwire.catalog.units import round_price
from metalwire.pricing import engine
from metalwire.pricing.change import price_change, price_step
from metalwire.pricing.models import Assessment
from metalwire.pricing.release_times import (
    overdue,
    released_late,
    released_on_approval,
    scheduled_release,
    trades_on,
)


class PublishedPrice(NamedTuple):
    """One published daily value. A NamedTuple rather than a frozen dataclass: a price history
    builds one per day (5,000 for 20 years) on every request, and a frozen dataclass costs
    five times as much to construct."""

    assessment_id: int
    series_id: int
    market_date: dt.date
    version: int
    low: Decimal
    high: Decimal
    mid: Decimal
    vwap: Decimal | None
    change: Decimal | None
    change_pct: Decimal | None
    method: str
    release_at: dt.datetime


# A published version as readers get it. The method is read as the label stored: published as
# text, so no need to build the enum per row.
PUBLISHED_COLUMNS = (
    Assessment.id,
    Assessment.series_id,
    Assessment.market_date,
    Assessment.version,
    Assessment.low,
    Assessment.high,
    Assessment.mid,
    Assessment.vwap,
    type_coerce(Assessment.method, String).label("method"),
    Assessment.release_at,
)


def _published_rows(
    session: Session,
    series_ids: Iterable[int],
    as_of: dt.datetime,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[
    Row[tuple[int, int, dt.date, int, Decimal, Decimal, Decimal, Decimal | None, str, dt.datetime]]
]:
    query = (
        select(*PUBLISHED_COLUMNS)
        .where(
            Assessment.series_id.in_(list(series_ids)),
            released(Assessment, as_of),
        )
        .order_by(Assessment.series_id, Assessment.market_date, Assessment.version)
    )
    if start is not None:
        query = query.where(Assessment.market_date >= start)
    if end is not None:
        query = query.where(Assessment.market_date <= end)
    return list(session.execute(query).all())  # type: ignore[arg-type]


def with_changes(
    rows: Sequence[Row[Any]], decimals: int, seed_mid: Decimal | None, relative: bool = True
) -> list[PublishedPrice]:
    """Latest version per date, with change against the previous published mid (and in percent
    when ``relative``: not for premiums, see SeriesKind.has_relative_change)."""
    latest: dict[tuple[int, dt.date], tuple[Any, ...]] = {}
    for row in rows:  # ordered by version: the last one wins
        latest[(row.series_id, row.market_date)] = row
    # round_price(value, decimals), with its step computed once: this loop runs for every
    # published day of a history, and the call overhead was most of its time.
    step = price_step(decimals)
    out: list[PublishedPrice] = []
    previous = seed_mid
    for (
        assessment_id,
        series_id,
        market_date,
        version,
        low,
        high,
        mid,
        vwap,
        method,
        release_at,
    ) in latest.values():
        mid = mid.quantize(step, ROUND_HALF_UP)
        change, change_pct = price_change(mid, previous, step, relative=relative)
        out.append(
            PublishedPrice(
                assessment_id,
                series_id,
                market_date,
                version,
                low.quantize(step, ROUND_HALF_UP),
                high.quantize(step, ROUND_HALF_UP),
                mid,
                None if vwap is None else vwap.quantize(step, ROUND_HALF_UP),
                change,
                change_pct,
                str(method),
                release_at,
            )
        )
        previous = mid
    return out


def publication_stamp_query(series_id: Any, as_of: Any) -> Select[int, dt.datetime | None]:
    """(approvals of the series so far, newest release instant as of an instant).

    Together they change whenever what a reader may see can have changed: every approval (an
    original, a late one, a correction) bumps the sequence, and when time passes a release, that
    release is later than any before it, so the newest instant moves. Both are index lookups,
    whatever the length of the history.
    """
    newest = (
        select(func.max(Assessment.release_at))
        .where(
            Assessment.series_id == series_id,
            released(Assessment, as_of),
        )
        .scalar_subquery()
    )
    return select(PriceSeries.publication_seq, newest).where(PriceSeries.id == series_id)


class SeriesStanding(NamedTuple):
    """What the gate and the body cache need of a series, read in one statement."""

    series_id: int
    tier: str
    group: str
    stamp: tuple[int, dt.datetime | None]


def _standing_statement() -> Select[Any]:
    seq, newest = publication_stamp_query(PriceSeries.id, bindparam("as_of")).selected_columns
    return (
        select(PriceSeries.id, PriceSeries.tier, CatalogGroup.code, seq, newest)
        .join(Commodity, Commodity.id == PriceSeries.commodity_id)
        .join(CatalogEntry, CatalogEntry.id == Commodity.entry_id)
        .join(CatalogGroup, CatalogGroup.id == CatalogEntry.group_id)
        .where(PriceSeries.code == bindparam("code"))
    )


SERIES_STANDING = _standing_statement()  # built once: it serves the API's fast path


def series_standing(
    connection: Connection, code: str, *, as_of: dt.datetime
) -> SeriesStanding | None:
    row = connection.execute(SERIES_STANDING, {"code": code, "as_of": as_of}).one_or_none()
    return None if row is None else standing_of(tuple(row))


def standing_of(row: tuple[Any, ...]) -> SeriesStanding:
    """A SERIES_STANDING row."""
    return SeriesStanding(row[0], str(row[1]), row[2], (int(row[3]), row[4]))


def released_count(connection: Connection, now: dt.datetime) -> int:
    """Assessment versions released by an instant, whatever the series (the operators' gauge)."""
    return int(
        connection.execute(select(func.count()).where(released(Assessment, now))).scalar_one()
    )


def publication_stamp(
    session: Session, series_id: int, *, as_of: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """The series' publication stamp as of an instant (see publication_stamp_query)."""
    seq, newest = session.execute(publication_stamp_query(series_id, as_of)).one()
    return int(seq), newest


def published_prices(
    session: Session,
    series: PriceSeries,
    *,
    as_of: dt.datetime,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[PublishedPrice]:
    """The series' history as it was published at ``as_of``: the latest released version per day."""
    rows = _published_rows(session, [series.id], as_of, start, end)
    seed = None
    if start is not None:
        before = _published_rows_before(session, series.id, start, as_of)
        seed = round_price(before, series.decimals) if before is not None else None
    return with_changes(rows, series.decimals, seed, series.kind.has_relative_change)


def price_page(
    session: Session,
    series: PriceSeries,
    *,
    as_of: dt.datetime,
    start: dt.date | None = None,
    end: dt.date | None = None,
    limit: int,
) -> tuple[list[PublishedPrice], dt.date | None]:
    """At most ``limit`` days of ``published_prices``, and the first market date of the next
    page (None on the last one)."""
    prices = published_prices(session, series, as_of=as_of, start=start, end=end)
    page = prices[:limit]
    if len(prices) <= limit:
        return page, None
    return page, page[-1].market_date + dt.timedelta(days=1)


def _published_rows_before(
    session: Session, series_id: int, day: dt.date, as_of: dt.datetime
) -> Decimal | None:
    last_date = session.scalar(
        select(func.max(Assessment.market_date)).where(
            Assessment.series_id == series_id,
            Assessment.market_date < day,
            released(Assessment, as_of),
        )
    )
    if last_date is None:
        return None
    mid: Decimal | None = session.scalar(
        select(Assessment.mid)
        .where(
            Assessment.series_id == series_id,
            Assessment.market_date == last_date,
            released(Assessment, as_of),
        )
        .order_by(Assessment.version.desc())
        .limit(1)
    )
    return mid


def latest_published(
    session: Session, series_list: Sequence[PriceSeries], *, as_of: dt.datetime
) -> dict[int, PublishedPrice]:
    """The newest published value of each series (with its change), as of an instant."""
    if not series_list:
        return {}
    newest = (
        select(Assessment.series_id, func.max(Assessment.market_date).label("day"))
        .where(
            Assessment.series_id.in_([s.id for s in series_list]),
            released(Assessment, as_of),
        )
        .group_by(Assessment.series_id)
        .subquery()
    )
    days = {row.series_id: row.day for row in session.execute(select(newest))}
    out: dict[int, PublishedPrice] = {}
    for series in series_list:
        day = days.get(series.id)
        if day is None:
            continue
        prices = published_prices(session, series, as_of=as_of, start=day, end=day)
        if prices:
            out[series.id] = prices[-1]
    return out


@dataclass(frozen=True)
class CorrectionNotice:
    series: PriceSeries
    market_date: dt.date
    version: int
    old_low: Decimal
    old_high: Decimal
    new_low: Decimal
    new_high: Decimal
    reason: str
    published_at: dt.datetime
    assessment_id: int


def corrections(
    session: Session, *, as_of: dt.datetime, series_ids: Sequence[int] | None = None
) -> list[CorrectionNotice]:
    """Published corrections, newest first: what was wrong, what is right, and why."""
    newer = Assessment
    query = (
        select(newer)
        .where(newer.version > 1, released(newer, as_of))
        .order_by(newer.release_at.desc())
    )
    if series_ids is not None:
        query = query.where(newer.series_id.in_(list(series_ids)))
    notices = []
    for row in session.scalars(query):
        old = session.scalar(
            select(Assessment).where(
                and_(
                    Assessment.series_id == row.series_id,
                    Assessment.market_date == row.market_date,
                    Assessment.version == row.version - 1,
                )
            )
        )
        assert old is not None and row.release_at is not None
        d = row.series.decimals
        notices.append(
            CorrectionNotice(
                row.series,
                row.market_date,
                row.version,
                round_price(old.low, d),
                round_price(old.high, d),
                round_price(row.low, d),
                round_price(row.high, d),
                row.correction_reason or "",
                row.release_at,
                row.id,
            )
        )
    return notices


@dataclass(frozen=True)
class LateRelease:
    """A value released after its scheduled time: the public record of the delay."""

    series: PriceSeries
    market_date: dt.date
    scheduled_at: dt.datetime
    released_at: dt.datetime
    assessment_id: int

    @property
    def late_by(self) -> dt.timedelta:
        return self.released_at - self.scheduled_at


def late_releases(
    session: Session, *, as_of: dt.datetime, series_ids: Sequence[int] | None = None
) -> list[LateRelease]:
    """Values released after their scheduled time, newest first (as known at ``as_of``).

    An original is released at ``max(scheduled, approval)``, so one released when it was
    approved was approved at or after its time: those whose release is past the schedule."""
    query = (
        select(Assessment)
        .where(
            Assessment.version == 1,
            released(Assessment, as_of),
            released_on_approval(Assessment),
        )
        .order_by(Assessment.release_at.desc(), Assessment.id.desc())
    )
    if series_ids is not None:
        query = query.where(Assessment.series_id.in_(list(series_ids)))
    out = []
    for row in session.scalars(query):
        assert row.release_at is not None
        scheduled = scheduled_release(row.series, row.market_date)
        if released_late(row.release_at, scheduled):
            out.append(LateRelease(row.series, row.market_date, scheduled, row.release_at, row.id))
    return out


def assessment_versions(
    session: Session, row: Assessment, *, as_of: dt.datetime
) -> list[Assessment]:
    """The published versions of the same series and date, oldest first."""
    return list(
        session.scalars(
            select(Assessment)
            .where(
                Assessment.series_id == row.series_id,
                Assessment.market_date == row.market_date,
                released(Assessment, as_of),
            )
            .order_by(Assessment.version)
        )
    )


# --- release state -----------------------------------------------------------------------------


class ReleaseState:
    RELEASED = "released"
    PENDING = "pending"  # before its release time today: "expected to be released soon"
    DELAYED = "delayed"  # past its release time and still not released
    NO_SESSION = "no-session"  # not a trading day in the series' market


def release_state(session: Session, series: PriceSeries, now: dt.datetime) -> str:
    """Where today's value of a series stands, computed at read time (no scheduler needed)."""
    today = market_today(series, now)
    if not trades_on(series, today):
        return ReleaseState.NO_SESSION
    out_today = session.scalar(
        select(func.count(Assessment.id)).where(
            Assessment.series_id == series.id,
            Assessment.market_date == today,
            released(Assessment, now),
        )
    )
    if out_today:
        return ReleaseState.RELEASED
    return ReleaseState.DELAYED if overdue(series, today, now) else ReleaseState.PENDING


def period_averages(
    prices: Sequence[PublishedPrice], period: str, decimals: int
) -> list[tuple[dt.date, dt.date, Decimal, int]]:
    """Weekly (ISO week) or monthly averages: the mean of the daily published mids."""
    groups: dict[tuple[int, int], list[PublishedPrice]] = {}
    for price in prices:
        if period == "week":
            year, week, _ = price.market_date.isocalendar()
            key = (year, week)
        else:
            key = (price.market_date.year, price.market_date.month)
        groups.setdefault(key, []).append(price)
    out = []
    for items in groups.values():
        mean = engine.period_average([p.mid for p in items], decimals)
        out.append((items[0].market_date, items[-1].market_date, mean, len(items)))
    return out
