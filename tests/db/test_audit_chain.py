"""The audit trail's hash chain: kept by real operations and concurrent writers, backfilled by
migration 0010, and broken links (a changed or removed event) named by `metalwire audit verify`.
Both databases; tampering goes around the append-only triggers as a database owner could."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from metalwire.audit import AuditEvent, record, verify_trail
from metalwire.audit_chain import ChainedEvent, event_hash, verify_chain
from metalwire.cli import app
from metalwire.db.migrate import alembic_config, upgrade
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.review import approve_day
from tests.conftest import Desk, ScratchDatabase
from tests.pricing.conftest import BEFORE_RELEASE, DAY, SILVER

runner = CliRunner()
DEALS = [("7840", "10"), ("7850", "20"), ("7855", "5"), ("7860", "10"), ("7870", "15")]
APPROVED = BEFORE_RELEASE - dt.timedelta(hours=2)


def publish_a_day(desk: Desk) -> None:
    desk.submit(SILVER, DAY, DEALS)
    with desk.db.transaction() as session:
        assess_day(session, DAY, user=desk.analyst, series_code=SILVER)
    with desk.db.transaction() as session:
        approve_day(session, DAY, user=desk.editor, series_code=SILVER, now=APPROVED)


def event_ids(db: ScratchDatabase) -> list[int]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def around_the_triggers(db: ScratchDatabase, statement: str) -> None:
    """What the database owner can do: switch the append-only triggers off and write."""
    with db.engine.begin() as conn:
        if db.backend == "sqlite":
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        conn.execute(text(statement))


def verify() -> tuple[int, str]:
    result = runner.invoke(app, ["audit", "verify"])
    return result.exit_code, result.output


# --- the pure hash -------------------------------------------------------------------------


def chained(n: int) -> list[ChainedEvent]:
    events, prev = [], None
    for i in range(1, n + 1):
        fields = {
            "id": i,
            "at": dt.datetime(2026, 12, 1, 8, i, tzinfo=dt.UTC),
            "actor": "editor@desk.cn",
            "action": "approve",
            "object_type": "assessment",
            "object_id": str(i),
            "before": None,
            "after": {"low": "7840", "版本": i},
        }
        digest = event_hash(prev_hash=prev, **fields)  # type: ignore[arg-type]
        events.append(ChainedEvent(**fields, prev_hash=prev, hash=digest))  # type: ignore[arg-type]
        prev = digest
    return events


def test_the_hash_is_stable_and_covers_every_field() -> None:
    [event] = chained(1)
    assert event.hash == event_hash(
        prev_hash=None,
        id=1,
        # The same instant in another zone, and the after dict in another key order.
        at=dt.datetime(2026, 12, 1, 16, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        actor="editor@desk.cn",
        action="approve",
        object_type="assessment",
        object_id="1",
        before=None,
        after={"版本": 1, "low": "7840"},
    )
    assert event.hash is not None and len(event.hash) == 64
    base = {
        "prev_hash": None,
        "id": 1,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
    }
    changes = {
        "prev_hash": "0" * 64,
        "id": 2,
        "at": event.at + dt.timedelta(microseconds=1),
        "actor": "mallory",
        "action": "override",
        "object_type": "article",
        "object_id": "2",
        "before": {},
        "after": {"low": "7841", "版本": 1},
    }
    for field, value in changes.items():
        assert event_hash(**{**base, field: value}) != event.hash, field


def test_verify_chain_names_the_first_broken_link() -> None:
    events = chained(4)
    assert verify_chain(events).broken is None
    assert verify_chain(events).count == 4 and verify_chain(events).head == events[-1].hash
    changed = list(events)
    changed[1] = ChainedEvent(**{**changed[1].__dict__, "actor": "mallory"})
    report = verify_chain(changed)
    assert report.broken is not None and report.broken.event_id == 2
    assert report.broken.problem.startswith("hash mismatch")
    report = verify_chain([events[0], events[2], events[3]])
    assert report.broken is not None and report.broken.event_id == 3
    assert "prev_hash" in report.broken.problem


# --- on the databases ----------------------------------------------------------------------


def test_real_operations_keep_the_chain_and_verify_says_ok(
    desk: Desk, env_db: ScratchDatabase
) -> None:
    publish_a_day(desk)
    with desk.db.transaction() as session:
        report = verify_trail(session)
        count = session.scalar(select(func.count(AuditEvent.id)))
        first, *rest = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert report.broken is None and report.count == count and count and count >= 6
    assert first.prev_hash is None
    assert all(e.prev_hash is not None and e.hash is not None for e in rest)
    code, output = verify()
    assert code == 0, output
    assert f"OK: {count} audit events chained" in output and str(report.head) in output


def test_one_transaction_writing_many_events_chains_them_in_order(db: ScratchDatabase) -> None:
    with db.transaction() as session:
        for i in range(5):
            record(session, actor="t", action="step", object_type="thing", object_id=i)
            if i == 2:
                session.flush()  # the tail is read again, inside the same transaction
    with db.transaction() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "step").order_by(AuditEvent.id)
        ).all()
        assert [r.object_id for r in rows] == ["0", "1", "2", "3", "4"]
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
        assert verify_trail(session).broken is None


def test_concurrent_writers_do_not_fork_the_chain(db: ScratchDatabase) -> None:
    writers, each = 4, 8
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                with db.transaction() as session:
                    record(session, actor=f"w{n}", action="race", object_type="t", object_id=i)
        except BaseException as exc:  # reported by the test below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with db.transaction() as session:
        report = verify_trail(session)
        prevs = session.scalars(select(AuditEvent.prev_hash)).all()
        races = session.scalar(select(func.count()).where(AuditEvent.action == "race"))
    assert report.broken is None, report.broken
    assert races == writers * each
    assert len(prevs) == len(set(prevs)), "two events link to the same predecessor"


def test_a_changed_middle_event_fails_verify_naming_it(desk: Desk, env_db: ScratchDatabase) -> None:
    publish_a_day(desk)
    ids = event_ids(env_db)
    middle = ids[len(ids) // 2]
    around_the_triggers(
        env_db, f'UPDATE audit_event SET after = \'{{"low": "1"}}\' WHERE id = {middle}'
    )
    code, output = verify()
    assert code == 1, output
    assert f"BROKEN at audit event {middle} " in output and "hash mismatch" in output


def test_a_deleted_middle_event_fails_verify_naming_the_next(
    desk: Desk, env_db: ScratchDatabase
) -> None:
    publish_a_day(desk)
    ids = event_ids(env_db)
    middle = ids[len(ids) // 2]
    around_the_triggers(env_db, f"DELETE FROM audit_event WHERE id = {middle}")
    code, output = verify()
    assert code == 1, output
    following = ids[ids.index(middle) + 1]
    assert f"BROKEN at audit event {following} " in output
    assert "prev_hash" in output and "previous event's hash" in output


def test_record_stores_the_operation_time_not_the_wall_clock(desk: Desk) -> None:
    moment = dt.datetime(2026, 11, 20, 9, 15, 30, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with desk.db.transaction() as session:
        record(session, actor="t", action="at", object_type="thing", object_id=1, at=moment)
    publish_a_day(desk)
    with desk.db.transaction() as session:
        stored = session.scalars(select(AuditEvent.at).where(AuditEvent.action == "at")).one()
        approved = session.scalars(
            select(AuditEvent.at).where(AuditEvent.action == "approve")
        ).one()
        assert verify_trail(session).broken is None
    assert stored == moment and stored.tzinfo is not None
    assert approved == APPROVED


# --- migration 0010 ------------------------------------------------------------------------

OLD_EVENT = sa.table(
    "audit_event",
    sa.column("at", sa.DateTime()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.String()),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
)


def test_the_migration_chains_the_events_already_recorded(db: ScratchDatabase) -> None:
    command.downgrade(alembic_config(db.engine), "0009")
    with db.engine.begin() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("audit_event")}
        assert "hash" not in columns and "prev_hash" not in columns
        # What the code before 0010 wrote: rows with no hashes.
        conn.execute(
            OLD_EVENT.insert(),
            [
                {
                    "at": dt.datetime(2026, 12, 1, 8, i, 0, 5000 * i),
                    "actor": "editor@desk.cn",
                    "action": "approve",
                    "object_type": "assessment",
                    "object_id": str(i),
                    "before": None if i % 2 else {"low": "7840"},
                    "after": {"低": f"78{i}0", "n": i},
                }
                for i in range(1, 6)
            ],
        )
    # The downgrade made the triggers again.
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'mallory'"))
    upgrade(db.engine)
    with db.transaction() as session:
        report = verify_trail(session)
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert report.broken is None and report.count == len(events) >= 5
    prev = None
    for e in events:
        assert (e.prev_hash, e.hash) == (
            prev,
            event_hash(
                prev_hash=prev,
                id=e.id,
                at=e.at,
                actor=e.actor,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                before=e.before,
                after=e.after,
            ),
        )
        prev = e.hash
    for statement in ("UPDATE audit_event SET hash = NULL", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    # And the chain goes on from the backfilled tail.
    with db.transaction() as session:
        new = record(session, actor="t", action="after-0010", object_type="thing", object_id=1)
    assert new.prev_hash == prev
