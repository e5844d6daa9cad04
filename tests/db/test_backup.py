"""``metalwire db backup``, ``restore`` and ``copy`` on real databases: every row of every table
comes back (the audit trail with the same ids and content), copied ids leave the sequences
past them, a failed copy leaves nothing, and a wrong target or file is refused by name.

The data is the newsroom tests' small released market (prices, a correction, a survey with
releases, users) with the demo reports written from it, an API key, a signed-in session and a
price alert: rows in most tables, of every column type the schema uses.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

import metalwire.models  # noqa: F401  (every table on Base.metadata)
from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope
from metalwire.alerts.service import set_price_alert
from metalwire.audit import AuditEvent
from metalwire.cli import app
from metalwire.db import copy as copy_module
from metalwire.db import pg_archive
from metalwire.db.base import Base
from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction
from metalwire.db.holdings import count_rows
from metalwire.demo.newsroom import build_newsroom
from tests.conftest import POSTGRES_URL, RUN_ID, ScratchDatabase, _pg_admin
from tests.newsroom.test_service import NOW, SILVER, Market, market

__all__ = ["market"]  # the fixture shared with the newsroom tests

runner = CliRunner()


@pytest.fixture
def populated(market: Market) -> Market:
    desk = market.desk
    with market.db.transaction() as session:
        build_newsroom(session, editor=desk.editor, analyst=desk.analyst, now=NOW)
        accounts.create_api_key(session, desk.analyst.email, Scope.SUBMIT, name="feed", actor="t")
        subscriber = accounts.require_user(session, market.subscriber.email)
        accounts.start_session(session, subscriber)
        set_price_alert(session, subscriber, SILVER, "2.5", actor=subscriber.email)
    return market


class EmptyDatabases:
    """Fresh, empty databases of either kind, dropped at the end of the test."""

    def __init__(self, tmp_path: Path) -> None:
        self._tmp_path = tmp_path
        self._created: list[str] = []

    def new(self, backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self._tmp_path / f'empty-{uuid.uuid4().hex[:8]}.db'}"
        assert POSTGRES_URL
        name = f"mw_{RUN_ID}_bk_{uuid.uuid4().hex[:8]}"
        admin = _pg_admin()
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self._created.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    def drop(self) -> None:
        if not self._created:
            return
        admin = _pg_admin()
        with admin.connect() as connection:
            for name in self._created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[EmptyDatabases]:
    databases = EmptyDatabases(tmp_path)
    yield databases
    databases.drop()


def other_backend(backend: str) -> str:
    """Where a copy goes: the other kind of database when both are at hand."""
    if POSTGRES_URL is None:
        return backend
    return "postgresql" if backend == "sqlite" else "sqlite"


def every_row(engine: Engine) -> dict[str, list[Any]]:
    """Every table read through the application's own column types, in id order."""
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


def audit_trail(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent.__table__).order_by(AuditEvent.id))
        return [tuple(row) for row in rows]


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return count_rows(connection)


def invoke(url: str, *args: str) -> Any:
    return runner.invoke(app, list(args), env={"METALWIRE_DATABASE_URL": url})


def assert_same_data(source: Engine, copy: Engine) -> None:
    expected = counts(source)
    assert counts(copy) == expected
    assert expected["audit_event"] > 50 and expected["article_revision"] > 0
    assert len([name for name, rows in expected.items() if rows]) >= 20
    trail = audit_trail(copy)
    assert trail == audit_trail(source)
    assert [row[0] for row in trail] == sorted(row[0] for row in trail)
    assert every_row(copy) == every_row(source)


def test_backup_then_restore_into_a_fresh_database_keeps_every_row(
    populated: Market, backend: str, empty: EmptyDatabases, tmp_path: Path
) -> None:
    file = tmp_path / "metalwire.backup"
    written = invoke(populated.db.url, "db", "backup", str(file))
    assert written.exit_code == 0, written.output
    total = sum(counts(populated.db.engine).values())
    assert f"wrote {file}: " in written.output
    assert f"{total:,} rows, {file.stat().st_size:,} bytes" in written.output
    assert not list(tmp_path.glob(".*partial*"))

    target_url = empty.new(backend)
    restored = invoke(target_url, "db", "restore", str(file))
    assert restored.exit_code == 0, restored.output
    assert f"{total:,} rows" in restored.output and "note:" not in restored.output
    target = create_db_engine(target_url)
    try:
        assert_same_data(populated.db.engine, target)
        # The restored database is a working one: the migrations see it at the head.
        again = invoke(target_url, "db", "upgrade")
        assert again.exit_code == 0 and "schema already at" in again.output, again.output
        # backup -> restore -> verify: the restored trail's hash chain holds.
        verified = invoke(target_url, "audit", "verify")
        assert verified.exit_code == 0 and verified.output.startswith("OK"), verified.output
    finally:
        target.dispose()


def test_copy_into_an_empty_database_keeps_ids_and_moves_the_sequences(
    populated: Market, backend: str, empty: EmptyDatabases
) -> None:
    target_url = empty.new(other_backend(backend))
    copied = invoke(populated.db.url, "db", "copy", "--to", target_url)
    assert copied.exit_code == 0, copied.output
    assert "copied into" in copied.output
    target = create_db_engine(target_url)
    try:
        assert_same_data(populated.db.engine, target)
        with target.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(version) == 1
        # New rows get fresh ids, past every copied one (PostgreSQL: the sequences were reset).
        last_user = max(row[0] for row in every_row(target)["app_user"])
        last_event = audit_trail(target)[-1][0]
        with transaction(make_sessionmaker(target)) as session:
            user = accounts.add_user(session, "new@mill.cn", role=Role.READER, actor="t")
            session.flush()
            assert user.id == last_user + 1
        assert audit_trail(target)[-1][0] == last_event + 1
        # The copied chain holds, and the new event links to its tail.
        verified = invoke(target_url, "audit", "verify")
        assert verified.exit_code == 0 and verified.output.startswith("OK"), verified.output
    finally:
        target.dispose()


def test_a_failed_copy_leaves_the_target_empty(
    db: ScratchDatabase, backend: str, empty: EmptyDatabases, monkeypatch: pytest.MonkeyPatch
) -> None:
    target_url = empty.new(other_backend(backend))
    copy_table = copy_module._copy_table

    def failing(reading: Any, writing: Any, source: Any, target: Any, batch: int) -> int:
        if target.name == "survey_return":  # late in the order: the catalog already copied
            raise OperationalError("INSERT", {}, Exception("disk full"))
        return copy_table(reading, writing, source, target, batch)

    monkeypatch.setattr(copy_module, "_copy_table", failing)
    failed = invoke(db.url, "db", "copy", "--to", target_url)
    assert failed.exit_code == 1, failed.output
    assert "copying survey_return" in failed.output and "nothing was copied" in failed.output
    assert "Traceback" not in failed.output
    target = create_engine(target_url)
    try:
        with target.connect() as connection:
            assert inspect(connection).get_table_names() == []
    finally:
        target.dispose()
    # Nothing left behind (no table, function nor trigger): the same target takes a new copy.
    monkeypatch.setattr(copy_module, "_copy_table", copy_table)
    again = invoke(db.url, "db", "copy", "--to", target_url)
    assert again.exit_code == 0, again.output


def test_restore_and_copy_refuse_a_database_that_is_not_empty(
    db: ScratchDatabase, tmp_path: Path
) -> None:
    file = tmp_path / "metalwire.backup"
    assert invoke(db.url, "db", "backup", str(file)).exit_code == 0
    before = counts(db.engine)
    shown = make_url(db.url).render_as_string(hide_password=True)
    for args in (["db", "restore", str(file)], ["db", "copy", "--to", db.url]):
        refused = invoke(db.url, *args)
        assert refused.exit_code == 1, refused.output
        assert f"{shown} is not empty" in refused.output
        assert "Traceback" not in refused.output
    assert counts(db.engine) == before


def test_restore_names_a_file_that_is_not_a_usable_backup(
    db: ScratchDatabase, backend: str, empty: EmptyDatabases, tmp_path: Path
) -> None:
    good = tmp_path / "good.backup"
    assert invoke(db.url, "db", "backup", str(good)).exit_code == 0
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a backup at all\n")
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(good.read_bytes()[:3000])
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    target_url = empty.new(backend)
    cases = {
        tmp_path / "missing.backup": "no such file",
        text_file: "is not a metalwire backup",
        truncated: "",
        tmp_path: "is not a file",
    }
    if backend == "sqlite":
        cases[foreign] = "not a metalwire backup (no alembic_version)"
    else:
        cases[foreign] = "is a SQLite backup and"
    for file, reason in cases.items():
        result = invoke(target_url, "db", "restore", str(file))
        assert result.exit_code == 1, (file, result.output)
        assert f"error: {file}" in result.output and reason in result.output, result.output
        assert "Traceback" not in result.output
    target = create_engine(target_url)
    try:
        with target.connect() as connection:
            assert inspect(connection).get_table_names() == []
    finally:
        target.dispose()


def test_a_sqlite_backup_is_the_committed_state_while_a_writer_is_busy(
    db: ScratchDatabase, backend: str, tmp_path: Path
) -> None:
    if backend != "sqlite":
        pytest.skip("the online backup API is SQLite's")
    committed = counts(db.engine)["audit_event"]
    writer = sqlite3.connect(make_url(db.url).database or "", timeout=1)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO audit_event (at, actor, action, object_type, object_id) "
            "VALUES ('2026-11-25 06:00:00.000000', 'w', 'busy', 'test', '1')"
        )
        file = tmp_path / "during.backup"
        result = invoke(db.url, "db", "backup", str(file))
        assert result.exit_code == 0, result.output
    finally:
        writer.rollback()
        writer.close()
    copy = create_engine(f"sqlite:///{file}")
    try:
        assert counts(copy)["audit_event"] == committed
    finally:
        copy.dispose()
    refused = invoke(db.url, "db", "backup", make_url(db.url).database or "")
    assert refused.exit_code == 1 and "is the live database itself" in refused.output


def test_postgresql_backup_says_when_pg_dump_is_missing(
    db: ScratchDatabase, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgresql":
        pytest.skip("pg_dump is PostgreSQL's")
    monkeypatch.setattr(pg_archive.shutil, "which", lambda name: None)
    monkeypatch.setattr(pg_archive, "PG_INSTALL_ROOT", tmp_path)
    result = invoke(db.url, "db", "backup", str(tmp_path / "x.dump"))
    assert result.exit_code == 1, result.output
    assert "pg_dump not found" in result.output and "postgresql-client" in result.output
    assert not (tmp_path / "x.dump").exists()


def test_a_stuck_pg_dump_is_stopped_and_writes_nothing(
    db: ScratchDatabase, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgresql":
        pytest.skip("pg_dump is PostgreSQL's")
    stuck = tmp_path / "bin" / "pg_dump"
    stuck.parent.mkdir()
    stuck.write_text("#!/bin/sh\nexec sleep 30\n")
    stuck.chmod(0o755)
    monkeypatch.setattr(pg_archive.shutil, "which", lambda name: str(stuck))
    file = tmp_path / "x.dump"
    result = invoke(db.url, "db", "backup", str(file), "--timeout", "1")
    assert result.exit_code == 1, result.output
    assert f"to {file} failed: pg_dump did not finish in 1 s" in result.output
    assert not file.exists() and not list(tmp_path.glob(".*partial*"))


def test_a_sqlite_backup_of_an_older_schema_is_restored_with_a_note_a_newer_one_refused(
    db: ScratchDatabase, backend: str, tmp_path: Path
) -> None:
    if backend != "sqlite":
        pytest.skip("a SQLite file's schema revision is edited in place")
    file = tmp_path / "metalwire.backup"
    assert invoke(db.url, "db", "backup", str(file)).exit_code == 0
    with sqlite3.connect(file) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffff'")
    connection.close()
    target = f"sqlite:///{tmp_path / 'target.db'}"
    newer = invoke(target, "db", "restore", str(file))
    assert newer.exit_code == 1 and "revision ffff, unknown to this metalwire" in newer.output
    with sqlite3.connect(file) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0008'")
    connection.close()
    older = invoke(target, "db", "restore", str(file))
    assert older.exit_code == 0, older.output
    assert "(schema 0008)" in older.output and "run `metalwire db upgrade`" in older.output
