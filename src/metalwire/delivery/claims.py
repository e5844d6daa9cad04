"""The outbox's two claims, each made once across any number of workers: an event due is fanned
out into deliveries by one worker, and a delivery due is sent by one worker at a time.

On PostgreSQL the rows are picked with ``FOR UPDATE SKIP LOCKED`` (workers pass each other
by); on SQLite the database's single writer makes the conditional UPDATE atomic. A claimed
delivery carries a lease: a worker that dies mid-send leaves it to be claimed again when the
lease runs out, under the same delivery id, so a receiver can tell a resend from news.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from metalwire.delivery.models import Delivery, DeliveryStatus, WebhookEndpoint
from metalwire.delivery.recipients import recipients
from metalwire.outbox.models import ReleaseEvent

# How long a claimed delivery is the claimer's by default (METALWIRE_WORKER_LEASE_SECONDS):
# longer than any send takes (webhook timeout, SMTP timeout), so a live worker never has its
# work taken.
LEASE = dt.timedelta(seconds=60)


def _skip_locked(query: Select[int], session: Session) -> Select[int]:
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def dispatch_due(session: Session, now: dt.datetime, *, limit: int = 50) -> list[ReleaseEvent]:
    """Fan the events due by ``now`` out into deliveries (in the caller's transaction, which
    also marks them dispatched: committed together or not at all)."""
    due = _skip_locked(
        select(ReleaseEvent.id)
        .where(ReleaseEvent.dispatched.is_(False), ReleaseEvent.due_at <= now)
        .order_by(ReleaseEvent.due_at, ReleaseEvent.id)
        .limit(limit),
        session,
    )
    ids = list(
        session.scalars(
            update(ReleaseEvent)
            .where(ReleaseEvent.id.in_(due.scalar_subquery()), ReleaseEvent.dispatched.is_(False))
            .values(dispatched=True)
            .returning(ReleaseEvent.id)
        )
    )
    if not ids:
        return []
    events = list(
        session.scalars(
            select(ReleaseEvent).where(ReleaseEvent.id.in_(ids)).order_by(ReleaseEvent.due_at)
        )
    )
    endpoints = list(
        session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)))
    )
    rows = [
        {
            "id": str(uuid.uuid4()),
            "event_id": event.id,
            "channel": recipient.channel,
            "target": recipient.target,
            "user_id": recipient.user_id,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": event.due_at,
            "created_at": now,
        }
        for event in events
        for recipient in recipients(session, event, endpoints)
    ]
    if rows:
        session.execute(Delivery.__table__.insert(), rows)  # type: ignore[attr-defined]
    return events


def _claimable(now: dt.datetime) -> Select[str]:
    return select(Delivery.id).where(
        or_(
            (Delivery.status == DeliveryStatus.PENDING) & (Delivery.next_attempt_at <= now),
            # A worker died holding it.
            (Delivery.status == DeliveryStatus.SENDING) & (Delivery.lease_until < now),
        )
    )


def claim(
    session: Session, worker: str, now: dt.datetime, *, limit: int, lease: dt.timedelta = LEASE
) -> list[str]:
    """Take up to ``limit`` deliveries due by ``now`` for ``worker``, for ``lease``."""
    due = _claimable(now).order_by(Delivery.next_attempt_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    return list(
        session.scalars(
            update(Delivery)
            .where(Delivery.id.in_(due.scalar_subquery()))
            .where(_claimable(now).whereclause)  # type: ignore[arg-type]
            .values(
                status=DeliveryStatus.SENDING,
                claimed_by=worker,
                lease_until=now + lease,
                attempts=Delivery.attempts + 1,
            )
            .returning(Delivery.id)
        )
    )


def next_instant(session: Session) -> dt.datetime | None:
    """The earliest instant anything in the outbox falls due: an event's release, a retry, a
    lease running out."""
    times = session.execute(
        select(
            select(func.min(ReleaseEvent.due_at))
            .where(ReleaseEvent.dispatched.is_(False))
            .scalar_subquery(),
            select(func.min(Delivery.next_attempt_at))
            .where(Delivery.status == DeliveryStatus.PENDING)
            .scalar_subquery(),
            select(func.min(Delivery.lease_until))
            .where(Delivery.status == DeliveryStatus.SENDING)
            .scalar_subquery(),
        )
    ).one()
    found = [t for t in times if t is not None]
    return min(_aware(t) for t in found) if found else None


def _aware(value: dt.datetime | str) -> dt.datetime:
    # Raw scalar subqueries come back as the database stored them (naive UTC, or text on SQLite).
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def claimed(session: Session, ids: Sequence[str]) -> list[Delivery]:
    return list(session.scalars(select(Delivery).where(Delivery.id.in_(list(ids)))))
