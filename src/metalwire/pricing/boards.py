"""The price board: each series' newest published value and today's release state, through the
access gate, read set-wise for any number of series. One read model for the API's
/prices/latest and every page that lists prices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session, aliased, contains_eager

from metalwire.accounts.gate import (
    Principal,
    history_floor,
    is_released,
    may_read_tier,
    released,
)
from metalwire.catalog.lifecycle import market_today
from metalwire.catalog.models import CatalogEntry, Commodity, PriceSeries, SeriesStatus
from metalwire.catalog.units import round_price
from metalwire.pricing.desk import ASSESSED_KINDS
from metalwire.pricing.models import Assessment
from metalwire.pricing.published import (
    PUBLISHED_COLUMNS,
    PublishedPrice,
    ReleaseState,
    with_changes,
)
from metalwire.pricing.release_times import overdue, scheduled_release, trades_on


@dataclass(frozen=True)
class BoardRow:
    series: PriceSeries
    state: str  # released, pending, delayed, no-session
    locked: bool  # above the caller's plan: no value is shown
    price: PublishedPrice | None


def price_board(
    session: Session, principal: Principal, series_list: Sequence[PriceSeries], now: dt.datetime
) -> list[BoardRow]:
    """Each series' latest released price and today's release state, through the gate: a
    premium series above the plan is locked, a price before the plan's history is left out,
    nothing unreleased appears. Read set-wise (latest_board), whatever the number of series."""
    return latest_board(session, principal, series_list, now)


def any_pending(rows: Sequence[BoardRow]) -> bool:
    """The release banner shows while any of today's prices in view awaits its time."""
    return any(row.state == ReleaseState.PENDING for row in rows)


# --- set-wise reads for pages that show many series at once (the home page) ----------------------
#
# The published reads (published.py) take one series at a time (a few statements each): too
# slow for pages showing dozens of series. The functions below read the same things for any
# number of series in a fixed handful of statements; a test holds them equal to the per-series
# reads.


class _Version(NamedTuple):
    """One stored version, in the shape published.with_changes reads."""

    assessment_id: int
    series_id: int
    market_date: dt.date
    version: int
    low: Decimal
    high: Decimal
    mid: Decimal
    vwap: Decimal | None
    method: str
    release_at: dt.datetime


_VERSION_COLUMNS = (*PUBLISHED_COLUMNS, Assessment.status)


def _on_days(days: set[tuple[int, dt.date]]) -> ColumnElement[bool]:
    """Rows of these (series, market date) pairs — and of other pairs crossing them, which
    callers drop. Only series and date are asked of the database: with a condition on the
    release time too, SQLite can walk the (series, release time) index through every row
    of each history. Approval and embargo are decided by the caller, by the gate's own rule."""
    return and_(
        Assessment.series_id.in_({series_id for series_id, _ in days}),
        Assessment.market_date.in_({day for _, day in days}),
    )


def _visible(row: Any, days: set[tuple[int, dt.date]], as_of: dt.datetime) -> bool:
    return (
        (row.series_id, row.market_date) in days
        and row.status in Assessment.READABLE_STATUSES
        and is_released(row.release_at, as_of)
    )


def _versions_on(
    session: Session, days: set[tuple[int, dt.date]], as_of: dt.datetime
) -> list[_Version]:
    """The published versions of these (series, market date) pairs, by series and version."""
    if not days:
        return []
    rows = session.connection().execute(
        select(*_VERSION_COLUMNS)
        .where(_on_days(days))
        .order_by(Assessment.series_id, Assessment.version)
    )
    return [_Version._make(row[:-1]) for row in rows if _visible(row, days, as_of)]


def _published_on(
    session: Session, days: set[tuple[int, dt.date]], as_of: dt.datetime
) -> set[tuple[int, dt.date]]:
    """Which of these (series, market date) pairs have a published version."""
    if not days:
        return set()
    rows = session.connection().execute(
        select(
            Assessment.series_id, Assessment.market_date, Assessment.status, Assessment.release_at
        ).where(_on_days(days))
    )
    return {(row.series_id, row.market_date) for row in rows if _visible(row, days, as_of)}


# Built once: making an alias of a mapped class costs more than running the statement.
_NEWEST, _EARLIER = aliased(Assessment), aliased(Assessment)


def _published_day(
    row: type[Assessment], as_of: dt.datetime, before: ColumnElement[Any] | None = None
) -> Any:
    """The newest published market date of the enclosing row's series (before a date, if
    given): a backward step along the (series, date) index per series, however long the
    history, where a GROUP BY would read every row of it."""
    query = select(row.market_date).where(row.series_id == PriceSeries.id, released(row, as_of))
    if before is not None:
        query = query.where(row.market_date < before)
    return query.order_by(row.market_date.desc()).limit(1).correlate(PriceSeries).scalar_subquery()


def latest_published_many(
    session: Session, series_list: Sequence[PriceSeries], *, as_of: dt.datetime
) -> dict[int, PublishedPrice]:
    """latest_published in two statements, whatever the number of series."""
    if not series_list:
        return {}
    newest = _published_day(_NEWEST, as_of)
    days: dict[int, tuple[dt.date, dt.date | None]] = {
        series_id: (day, previous)
        for series_id, day, previous in session.execute(
            select(PriceSeries.id, newest, _published_day(_EARLIER, as_of, before=newest)).where(
                PriceSeries.id.in_([s.id for s in series_list])
            )
        )
        if day is not None
    }
    pairs = {(i, d) for i, (day, previous) in days.items() for d in (day, previous) if d}
    newest_rows: dict[int, list[_Version]] = {}
    seeds: dict[int, Decimal] = {}
    for row in _versions_on(session, pairs, as_of):
        if row.market_date == days[row.series_id][0]:
            newest_rows.setdefault(row.series_id, []).append(row)
        else:  # the previous published day: the change is against its last version's mid
            seeds[row.series_id] = row.mid
    out: dict[int, PublishedPrice] = {}
    for s in series_list:
        found = newest_rows.get(s.id)
        if not found:
            continue
        seed = seeds.get(s.id)
        # The published history's own change arithmetic, so the figures match it.
        prices = with_changes(
            found,  # type: ignore[arg-type]
            s.decimals,
            None if seed is None else round_price(seed, s.decimals),
            s.kind.has_relative_change,
        )
        out[s.id] = prices[-1]
    return out


def release_states(
    session: Session, series_list: Sequence[PriceSeries], now: dt.datetime
) -> dict[int, str]:
    """release_state of many series in one statement: series id -> state."""
    today = {s.id: market_today(s, now) for s in series_list}
    trading = [s for s in series_list if trades_on(s, today[s.id])]
    released = _published_on(session, {(s.id, today[s.id]) for s in trading}, now)
    states = {s.id: ReleaseState.NO_SESSION for s in series_list}
    for s in trading:
        day = today[s.id]
        if (s.id, day) in released:
            states[s.id] = ReleaseState.RELEASED
        elif overdue(s, day, now):
            states[s.id] = ReleaseState.DELAYED
        else:
            states[s.id] = ReleaseState.PENDING
    return states


def latest_board(
    session: Session,
    principal: Principal,
    series_list: Sequence[PriceSeries],
    now: dt.datetime,
    states: Mapping[int, str] | None = None,
) -> list[BoardRow]:
    """price_board's rows (same gate: tier and group, history floor, embargo), read set-wise.
    ``states``: the series' release states when the caller has read them already."""
    allowed = {
        s.id
        for s in series_list
        if may_read_tier(principal, s.tier.value, s.commodity.entry.group.code)
    }
    latest = latest_published_many(session, [s for s in series_list if s.id in allowed], as_of=now)
    if states is None:
        states = release_states(session, series_list, now)
    floor = history_floor(principal, now.date())
    rows = []
    for s in series_list:
        price = latest.get(s.id)
        if price is not None and floor is not None and price.market_date < floor:
            price = None
        rows.append(BoardRow(s, states[s.id], s.id not in allowed, price))
    return rows


@dataclass(frozen=True)
class ReleaseSlot:
    """Today's releases not out yet that share one time: when (UTC, and local in the series'
    zone), whether it has passed (delayed), and which series."""

    due: dt.datetime
    local: dt.datetime
    timezone: str
    state: str  # pending or delayed
    series: list[PriceSeries]


def due_releases(states: Iterable[tuple[PriceSeries, str]], now: dt.datetime) -> list[ReleaseSlot]:
    """Today's releases still to come (pending) or overdue (delayed), by time, soonest first:
    overdue ones come first. Schedules are reference data; no value is read."""
    slots: dict[tuple[dt.datetime, str, str], list[PriceSeries]] = {}
    for series, state in states:
        if state not in (ReleaseState.PENDING, ReleaseState.DELAYED):
            continue
        due = scheduled_release(series, market_today(series, now))
        slots.setdefault((due, series.timezone, state), []).append(series)
    return [
        ReleaseSlot(due, due.astimezone(ZoneInfo(zone)), zone, state, sorted(found, key=_code))
        for (due, zone, state), found in sorted(slots.items(), key=lambda item: item[0])
    ]


def _code(series: PriceSeries) -> str:
    return series.code


def key_series(
    series_list: Sequence[PriceSeries], per_group: int
) -> dict[str, tuple[list[PriceSeries], int]]:
    """Per catalog group (by code): its key series, and how many series it has in all.

    Key series: each entry's first (free before premium, then by code), then each entry's
    second, and so on, until ``per_group`` — so a group shows the spread of its entries rather
    than the many series of its first one. In catalog order (by entry).
    """
    by_entry: dict[str, dict[tuple[int, int], list[PriceSeries]]] = {}
    for s in sorted(series_list, key=lambda s: (s.tier.value != "free", s.code)):
        entry = s.commodity.entry
        place = (entry.position, entry.id)
        by_entry.setdefault(entry.group.code, {}).setdefault(place, []).append(s)
    out: dict[str, tuple[list[PriceSeries], int]] = {}
    for group, entries in by_entry.items():
        queues = [entries[place] for place in sorted(entries)]
        picked: list[tuple[int, int, PriceSeries]] = []  # (entry's place, depth, series)
        depth = 0
        while len(picked) < per_group and any(depth < len(q) for q in queues):
            picked.extend((i, depth, q[depth]) for i, q in enumerate(queues) if depth < len(q))
            depth += 1
        shown = sorted(picked[:per_group], key=lambda item: item[:2])
        out[group] = ([s for _, _, s in shown], sum(len(q) for q in queues))
    return out


def group_boards(
    session: Session,
    principal: Principal,
    series_list: Sequence[PriceSeries],
    now: dt.datetime,
    *,
    per_group: int,
    states: Mapping[int, str],
) -> dict[str, tuple[list[BoardRow], int]]:
    """Per catalog group: the board rows of its key series (key_series), and its series count.
    Prices are read for the series shown only, in one latest_board call."""
    chosen = key_series(series_list, per_group)
    shown = [s for group_series, _ in chosen.values() for s in group_series]
    rows = {row.series.id: row for row in latest_board(session, principal, shown, now, states)}
    return {
        group: ([rows[s.id] for s in group_series], total)
        for group, (group_series, total) in chosen.items()
    }


def active_series(session: Session) -> list[PriceSeries]:
    """Every active series with its commodity, entry and group, in one statement (the gate
    needs the group of each)."""
    return list(
        session.scalars(
            select(PriceSeries)
            .join(PriceSeries.commodity)
            .join(Commodity.entry)
            .join(CatalogEntry.group)
            .where(PriceSeries.status == SeriesStatus.ACTIVE)
            .options(
                contains_eager(PriceSeries.commodity)
                .contains_eager(Commodity.entry)
                .contains_eager(CatalogEntry.group)
            )
            .order_by(PriceSeries.code)
        )
    )


def assessed_only(series_list: Sequence[PriceSeries]) -> list[PriceSeries]:
    """The series the pricing desk assesses and releases at their time: futures settlements and
    indices come from market data and index calculation, with pages of their own."""
    return [s for s in series_list if s.kind in ASSESSED_KINDS]
