"""Release events written into the outbox, in the caller's transaction (the one that releases):
an approval, a survey release, an article's publication. Committed with the state change or
rolled back with it, so a crash can neither lose an event nor invent one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Insert, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from metalwire.outbox.models import EventKind, ReleaseEvent

# The channel a worker LISTENs on (PostgreSQL): told on commit that the outbox has news.
NOTIFY_CHANNEL = "metalwire_release"


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ReleaseEvent)


def announce(
    session: Session,
    kind: EventKind,
    *,
    subject: str,
    code: str,
    due_at: dt.datetime,
    refs: dict[str, Any],
) -> None:
    """Put an event in the outbox, due at its release instant. The same (kind, subject) again
    moves a not yet dispatched event to its new instant (an article rescheduled) and is
    otherwise nothing: a second worker noticing the same delay writes no second event."""
    statement: Insert = (
        _insert(session)
        .values(kind=kind, subject=subject, code=code, due_at=due_at, refs=refs, dispatched=False)
        .on_conflict_do_nothing(index_elements=["kind", "subject"])
    )
    if session.execute(statement).rowcount == 0:  # type: ignore[attr-defined]
        session.execute(
            update(ReleaseEvent)
            .where(
                ReleaseEvent.kind == kind,
                ReleaseEvent.subject == subject,
                ReleaseEvent.dispatched.is_(False),
            )
            .values(due_at=due_at, refs=refs)
        )
    if session.get_bind().dialect.name == "postgresql":
        # Sent at commit, and only then: a worker never wakes for an event that was rolled back.
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


def price_subject(series_code: str, market_date: dt.date, version: int) -> str:
    return f"{series_code}/{market_date.isoformat()}/v{version}"


def price_date_prefix(series_code: str, market_date: dt.date) -> str:
    """What every version's subject of one series and date starts with."""
    return f"{series_code}/{market_date.isoformat()}/"
