"""``window.opened`` / ``window.closed``: an arbitrage window changes state when a price it is
computed from is released. When a ``price.released`` event is dispatched, every window taking
that series is computed for the price's date as of the release; a state other than the one
last announced for the window is announced at the same instant (in the same transaction as the
dispatch). Compared with the last announcement, not with the state just before the release, so
that a subscriber is told opened, closed, opened ... and never opened twice in a row, even when
a settlement imported between two releases moved the window unannounced."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.markets import windows
from metalwire.outbox.events import announce
from metalwire.outbox.models import EventKind, ReleaseEvent
from metalwire.pricing.models import Assessment

_JUST_BEFORE = dt.timedelta(microseconds=1)
_LOOK_BACK = dt.timedelta(days=10)  # past a long holiday: the newest date before this one


def _state(
    session: Session, definition: windows.WindowDefinition, day: dt.date, as_of: dt.datetime
) -> bool | None:
    """Whether the window was open on its newest market date up to ``day``, as of an instant
    (a window is open or closed from one published date to the next)."""
    start = day - _LOOK_BACK
    rows = windows.compute(session, definition, as_of=as_of, start=start, end=day).rows
    return rows[-1].open if rows else None


def _last_announced(session: Session, code: str, at: dt.datetime) -> bool | None:
    """Whether the window's last announcement before ``at`` said open (None: never one)."""
    kind = session.scalar(
        select(ReleaseEvent.kind)
        .where(
            ReleaseEvent.code == code,
            ReleaseEvent.kind.in_([EventKind.WINDOW_OPENED, EventKind.WINDOW_CLOSED]),
            ReleaseEvent.due_at <= at,
        )
        .order_by(ReleaseEvent.due_at.desc(), ReleaseEvent.id.desc())
        .limit(1)
    )
    return None if kind is None else kind is EventKind.WINDOW_OPENED


def announce_window_moves(session: Session, event: ReleaseEvent) -> int:
    """Announce the windows the released price opened or closed; returns how many."""
    if event.kind is not EventKind.PRICE_RELEASED:
        return 0
    assessment = session.get(Assessment, event.refs["assessment_id"])
    if assessment is None:
        return 0
    day, at = assessment.market_date, event.due_at
    moved = 0
    for definition in windows.definitions():
        if event.code not in definition.series_codes():
            continue
        after = _state(session, definition, day, at)
        before = _last_announced(session, definition.code, at)
        if before is None:
            before = _state(session, definition, day, at - _JUST_BEFORE)
        if after is None or after == before:
            continue
        moved += 1
        announce(
            session,
            EventKind.WINDOW_OPENED if after else EventKind.WINDOW_CLOSED,
            subject=f"{definition.code}/{day.isoformat()}",
            code=definition.code,
            due_at=at,
            refs={"date": day.isoformat(), "price_event": event.id},
        )
    return moved
