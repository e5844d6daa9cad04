"""The append-only audit trail: every state change in metalwire calls :func:`record`."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import JSON, Connection, Index, Integer, String, event, inspect, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from metalwire.audit_chain import ChainedEvent, ChainReport, recompute, verify_chain
from metalwire.db.base import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """Who did what to which object, when, with the state before and after.

    Rows are never updated or deleted; database triggers refuse both. Each row also carries the
    hash of the row before it and its own hash (:mod:`metalwire.audit_chain`), so that a change
    made around the triggers (by a database owner, on a restored copy) is detected by
    ``metalwire audit verify``. Both are set when the row is flushed (:func:`_chain_new_events`).
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_object", "object_type", "object_id"),
        # The newest event per type in one lookup (the content stamp of shared answers).
        Index("ix_audit_event_type_id", "object_type", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    # Nullable in the schema only because SQLite cannot add a NOT NULL column without rebuilding
    # the table; every row gets both at flush (the first row's prev_hash stays empty).
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


def jsonable(value: Any) -> Any:
    """Turn decimals, dates and enums into JSON-safe values without losing digits."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one audit event inside the caller's transaction.

    ``at`` is the operation's instant when the caller has one (its clock, its ``now``), so that
    the trail agrees with the rows the operation stamped; the wall clock otherwise."""
    item = AuditEvent(
        at=at or utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
    )
    session.add(item)
    return item


def upsert(
    session: Session,
    *,
    actor: str,
    existing: Any | None,
    model: type[Any],
    values: dict[str, Any],
    object_id: str | int,
    identity: dict[str, Any] | None = None,
) -> tuple[Any, str | None]:
    """Create a row of ``model`` from ``identity`` and ``values``, or bring ``existing`` in line
    with ``values``, with one audit event for whatever changed. Returns the row and what was
    done: "create", "update" or None (already as given)."""
    object_type = model.__tablename__
    if existing is None:
        row = model(**(identity or {}), **values)
        session.add(row)
        session.flush()
        record(
            session,
            actor=actor,
            action="create",
            object_type=object_type,
            object_id=object_id,
            after=values,
        )
        return row, "create"
    before = {key: getattr(existing, key) for key in values}
    if before == values:
        return existing, None
    for key, value in values.items():
        setattr(existing, key, value)
    record(
        session,
        actor=actor,
        action="update",
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=values,
    )
    return existing, "update"


# Any 64-bit constant no other code uses: the key of the PostgreSQL lock that serializes appends.
_CHAIN_LOCK_KEY = 0x6D77_6175_6469_7401


def _lock_chain(connection: Connection) -> None:
    """Hold the chain until this transaction ends, so two writers never link to the same tail.

    PostgreSQL: a transaction-level advisory lock. SQLite has one writer at a time, but pysqlite
    only opens the transaction at the first write, so a tail read before it could be made stale
    by another writer's commit: a write that touches nothing (the triggers fire per row) starts
    the transaction and takes the write lock before the tail is read."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    else:
        connection.execute(text("UPDATE audit_event SET id = id WHERE 0"))


def _tail(connection: Connection) -> tuple[int, str | None]:
    row = connection.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return (0, None) if row is None else (row.id, row.hash)


def _next_id(connection: Connection, tail_id: int) -> int:
    # The id is part of the hash, so it is taken here rather than left to the INSERT. On
    # PostgreSQL the serial's sequence stays the source, so ids keep rising past rolled-back ones.
    if connection.dialect.name == "postgresql":
        value = connection.execute(
            text("SELECT nextval(pg_get_serial_sequence('audit_event', 'id'))")
        ).scalar_one()
        return int(value)
    return tail_id + 1


def _as_stored(value: Any) -> Any:
    # Hash what a later read will give back (tuples become lists, keys become strings).
    return None if value is None else json.loads(json.dumps(value))


def _link(connection: Connection, item: AuditEvent, tail_id: int, prev: str | None) -> None:
    item.id = _next_id(connection, tail_id)
    item.at = item.at or utcnow()
    item.object_id = str(item.object_id)
    item.before, item.after = _as_stored(item.before), _as_stored(item.after)
    item.prev_hash = prev
    item.hash = recompute(item, prev)


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, _context: Any, _instances: Any) -> None:
    """Link the events about to be inserted to the chain's tail, in the order they were added."""
    pending = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not pending:
        return
    pending.sort(key=lambda obj: inspect(obj).insert_order or 0)
    connection = session.connection()
    _lock_chain(connection)
    tail_id, prev = _tail(connection)
    for item in pending:
        _link(connection, item, tail_id, prev)
        tail_id, prev = item.id, item.hash


def _chained_events(session: Session) -> Iterator[ChainedEvent]:
    rows = session.execute(
        select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.actor,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.before,
            AuditEvent.after,
            AuditEvent.prev_hash,
            AuditEvent.hash,
        )
        .order_by(AuditEvent.id)
        .execution_options(yield_per=1000)
    )
    for row in rows:
        yield ChainedEvent(*row)


def verify_trail(session: Session) -> ChainReport:
    """Recompute the whole chain from the stored events, oldest first."""
    return verify_chain(_chained_events(session))
