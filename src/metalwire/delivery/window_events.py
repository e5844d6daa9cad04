"""``window.opened`` / ``window.closed``: an arbitrage window changes state when a price it is
computed from is released. When a ``price.released`` event is dispatched, every window taking
that series is computed for the price's date as of just before the release and as of it; a
change of state is announced at the same instant (in the same transaction as the dispatch)."""

from __future__ import annotations

import datetime as dt

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
        if after is None or after == _state(session, definition, day, at - _JUST_BEFORE):
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
