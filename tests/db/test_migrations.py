"""The schema: the app refuses an un-migrated database; the audit trail is append-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from metalwire.audit import AuditEvent, record
from metalwire.db.engine import create_db_engine
from metalwire.db.migrate import DatabaseNotMigrated, code_heads, database_heads, ensure_migrated
from metalwire.settings import load_settings
from metalwire.web.app import create_app
from tests.conftest import ScratchDatabase


def test_template_database_is_at_the_code_heads(db: ScratchDatabase) -> None:
    assert database_heads(db.engine) == code_heads()
    ensure_migrated(db.engine)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_app_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(DatabaseNotMigrated, match="run `metalwire db upgrade`"):
        create_app(load_settings(database_url=url))


def test_audit_events_cannot_be_updated_or_deleted(db: ScratchDatabase) -> None:
    with db.transaction() as session:
        record(
            session,
            actor="alice",
            action="test",
            object_type="thing",
            object_id=1,
            before={"a": 1},
            after={"a": 2},
        )
    with db.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.actor == "alice")).one()
        assert event.before == {"a": 1} and event.after == {"a": 2}
        assert event.at.tzinfo is not None
    for statement in ("UPDATE audit_event SET actor = 'mallory'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
