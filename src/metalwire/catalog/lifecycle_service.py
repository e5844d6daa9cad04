"""Series lifecycle from the desk: define a series, change its release time or tier from an
effective date, discontinue it with advance notice. Every change is audited and published as a
notice (``notices``); no value is ever removed, the history stays readable."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.audit import record
from metalwire.catalog.lifecycle import discontinued_from, market_today
from metalwire.catalog.models import (
    PriceSeries,
    SeriesChange,
    SeriesChangeKind,
    SeriesStatus,
    Tier,
)
from metalwire.catalog.schemas import SeriesDefinition
from metalwire.catalog.service import define_series, get_series
from metalwire.db.base import utcnow
from metalwire.errors import Conflict, InvalidInput, NotFound
from metalwire.outbox.events import announce
from metalwire.outbox.models import EventKind

NOTICE_LIMIT = 2000


def _series(session: Session, code: str) -> PriceSeries:
    series = get_series(session, code)
    if series is None:
        raise NotFound(f"no price series with code {code!r}", field="code")
    return series


def _check(series: PriceSeries, effective: dt.date, notice: str, today: dt.date) -> None:
    if not notice.strip():
        raise InvalidInput("a change needs its public notice", field="notice")
    if len(notice) > NOTICE_LIMIT:
        raise InvalidInput(f"at most {NOTICE_LIMIT:,} characters", field="notice")
    if effective <= today:
        raise InvalidInput(
            f"a change is announced in advance: effective after today ({today}), not {effective}",
            field="effective",
        )
    end = discontinued_from(series)
    if end is not None:
        raise Conflict(f"{series.code} is discontinued from {end}", field="code")
    last = max((c["effective"] for c in series.changes or ()), default=None)
    if last is not None and effective.isoformat() < last:
        raise Conflict(f"{series.code} has a change effective {last}; announce later ones after it")


def _announce(
    session: Session,
    series: PriceSeries,
    kind: SeriesChangeKind,
    effective: dt.date,
    values: tuple[str | None, str | None],
    notice: str,
    actor: str,
) -> SeriesChange:
    before, after = values
    change = SeriesChange(
        series_id=series.id,
        kind=kind,
        effective_from=effective,
        before=before,
        after=after,
        notice=notice.strip(),
        actor=actor,
    )
    session.add(change)
    session.flush()
    announce(
        session,
        EventKind.SERIES_NOTICE,
        subject=f"series-change/{change.id}",
        code=series.code,
        due_at=change.announced_at,
        refs={"change_id": change.id},
    )
    record(
        session,
        actor=actor,
        action=f"series-{kind.value}",
        object_type="series",
        object_id=series.code,
        before={"value": before},
        after={"value": after, "effective": effective, "notice": change.notice},
    )
    return change


def create_series(session: Session, definition: SeriesDefinition, *, actor: str) -> PriceSeries:
    """A new series (a code not yet used), announced from its creation."""
    if get_series(session, definition.code) is not None:
        raise Conflict(f"series {definition.code} exists; change it instead", field="code")
    series = define_series(session, definition, actor)
    session.flush()
    notice = f"New series {definition.code}: {definition.name_en}"
    today = market_today(series, utcnow())
    _announce(
        session, series, SeriesChangeKind.CREATE, today, (None, definition.code), notice, actor
    )
    return series


def change_series(
    session: Session,
    code: str,
    *,
    effective: dt.date,
    notice: str,
    actor: str,
    release_time: dt.time | None = None,
    tier: Tier | None = None,
    now: dt.datetime | None = None,
) -> SeriesChange:
    """A new release time or tier from a market date on; earlier dates keep theirs."""
    if (release_time is None) == (tier is None):
        raise InvalidInput("change either the release time or the tier", field="change")
    series = _series(session, code)
    _check(series, effective, notice, market_today(series, now or utcnow()))
    entry: dict[str, Any] = {"effective": effective.isoformat()}
    if release_time is not None:
        kind, key, new = (
            SeriesChangeKind.RELEASE_TIME,
            "release_time",
            release_time.strftime("%H:%M"),
        )
        old = _current(series, "release_time", series.release_time.strftime("%H:%M"))
    else:
        assert tier is not None
        kind, key, new = SeriesChangeKind.TIER, "tier", tier.value
        old = _current(series, "tier", series.tier.value)
    entry[key], entry[f"{key}_before"] = new, old
    series.changes = [*(series.changes or []), entry]
    return _announce(session, series, kind, effective, (old, new), notice, actor)


def _current(series: PriceSeries, key: str, column: str) -> str:
    """The value the latest announced change of ``key`` sets, or the column's."""
    latest = [c[key] for c in series.changes or () if key in c]
    return str(latest[-1]) if latest else column


def discontinue_series(
    session: Session,
    code: str,
    *,
    effective: dt.date,
    notice: str,
    actor: str,
    now: dt.datetime | None = None,
) -> SeriesChange:
    """No value from ``effective`` on (announced in advance); the history stays readable."""
    series = _series(session, code)
    _check(series, effective, notice, market_today(series, now or utcnow()))
    series.changes = [
        *(series.changes or []),
        {"effective": effective.isoformat(), "discontinue": True},
    ]
    return _announce(
        session,
        series,
        SeriesChangeKind.DISCONTINUE,
        effective,
        ("active", "discontinued"),
        notice,
        actor,
    )


def apply_due(session: Session, *, today: dt.date, actor: str = "system") -> list[str]:
    """Bring the columns (release time, tier, status: what the gate and listings read) to the
    changes in force on ``today``; returns the codes changed. Idempotent."""
    changed = []
    for series in session.scalars(select(PriceSeries).order_by(PriceSeries.code)):
        if not series.changes:
            continue
        before = (series.release_time, series.tier, series.status)
        for change in series.changes or ():
            if dt.date.fromisoformat(change["effective"]) > today:
                continue
            if "release_time" in change:
                series.release_time = dt.time.fromisoformat(change["release_time"])
            if "tier" in change:
                series.tier = Tier(change["tier"])
            if change.get("discontinue"):
                series.status = SeriesStatus.DISCONTINUED
        if (series.release_time, series.tier, series.status) != before:
            changed.append(series.code)
            record(
                session,
                actor=actor,
                action="series-apply-due",
                object_type="series",
                object_id=series.code,
                before={"release_time": before[0], "tier": before[1], "status": before[2]},
                after={
                    "release_time": series.release_time,
                    "tier": series.tier,
                    "status": series.status,
                },
            )
    return changed


def notices(session: Session, code: str | None = None, limit: int = 100) -> list[SeriesChange]:
    """The public notices of series changes, newest first (of one series when ``code``)."""
    query = select(SeriesChange).join(PriceSeries, SeriesChange.series_id == PriceSeries.id)
    if code is not None:
        query = query.where(PriceSeries.code == code)
    query = query.order_by(SeriesChange.announced_at.desc(), SeriesChange.id.desc()).limit(limit)
    return list(session.scalars(query))


def pending_notices(
    session: Session, today: dt.date, code: str | None = None
) -> list[SeriesChange]:
    """The announced changes not yet in force on ``today`` (of one series when ``code``),
    soonest first: what the desk has pending and what a series page gives notice of."""
    query = (
        select(SeriesChange)
        .join(PriceSeries, SeriesChange.series_id == PriceSeries.id)
        .where(SeriesChange.effective_from > today)
    )
    if code is not None:
        query = query.where(PriceSeries.code == code)
    query = query.order_by(PriceSeries.code, SeriesChange.effective_from, SeriesChange.id)
    return list(session.scalars(query))


def notice_record(notice: SeriesChange) -> dict[str, str | None]:
    """A series notice as it is published: the API's list, the desk's write routes' answers and
    the ``series.notice`` webhook all say it so."""
    return {
        "series": notice.series.code,
        "kind": notice.kind.value,
        "effective_from": notice.effective_from.isoformat(),
        "before": notice.before,
        "after": notice.after,
        "notice": notice.notice,
        "announced_at": notice.announced_at.isoformat(),
    }
