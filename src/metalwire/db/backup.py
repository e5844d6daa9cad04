"""Backup and restore of a whole metalwire database.

SQLite is backed up with its online backup API (a consistent snapshot while the site keeps
running) and PostgreSQL with ``pg_dump --format=custom`` (db/pg_archive.py); a restore goes only
into an empty database. ``metalwire db copy`` is db/copy.py.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from metalwire.db.holdings import (
    PG_DUMP_MAGIC,
    SQLITE_MAGIC,
    VERSION_TABLE,
    BackupError,
    Outcome,
    after_restore,
    check_revisions,
    count_rows,
    existing_tables,
    kind_label,
    partial_path,
    refuse_non_empty,
    shown,
    writable_target,
)
from metalwire.db.migrate import database_heads
from metalwire.db.pg_archive import pg_backup, pg_restore

# A dump or restore that takes longer than this is stuck (a lock, a dead network), not slow.
TOOL_TIMEOUT = 3_600.0


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"{shown(url)} is not a SQLite database file")
    return Path(url.database)


def _sniff(path: Path) -> bytes:
    """The first bytes of a backup file, or why it cannot be one."""
    if not path.exists():
        raise BackupError(f"{path}: no such file")
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None


def _kind_of(path: Path) -> str:
    head = _sniff(path)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{path} is not a metalwire backup: neither a SQLite database nor a pg_dump archive"
    )


def _sqlite_backup(engine: Engine, path: Path) -> Outcome:
    source = _sqlite_path(engine.url)
    writable_target(path, source)
    partial = partial_path(path)
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            try:
                # One step (pages=-1) reads the whole file in a single read transaction: with
                # WAL the site keeps writing meanwhile and the copy is that instant's state.
                src.backup(dst, pages=-1)
                # A self-contained file: no -wal beside it to lose when it is moved.
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        outcome = _describe_sqlite_file(partial, str(path))
        os.replace(partial, path)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {source} to {path} failed: {exc}") from None
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    outcome.size = path.stat().st_size
    return outcome


def _file_engine(path: Path) -> Engine:
    return create_engine(f"sqlite:///{path}", poolclass=NullPool)


def _describe_sqlite_file(path: Path, name: str) -> Outcome:
    engine = _file_engine(path)
    try:
        heads = database_heads(engine)
        with engine.connect() as connection:
            return Outcome(name, count_rows(connection), heads)
    finally:
        engine.dispose()


def _check_sqlite_backup(path: Path) -> set[str]:
    """Prove ``path`` is an intact metalwire SQLite database; returns its schema revisions."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {path}: {exc}") from None
    try:
        check = [row[0] for row in connection.execute("PRAGMA quick_check")]
        if check != ["ok"]:
            raise BackupError(f"{path} is damaged: {'; '.join(map(str, check[:3]))}")
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
        ).fetchone()
        if found is None:
            raise BackupError(
                f"{path} is a SQLite database but not a metalwire backup (no {VERSION_TABLE})"
            )
        return {row[0] for row in connection.execute(f"SELECT version_num FROM {VERSION_TABLE}")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a usable SQLite database: {exc}") from None
    finally:
        connection.close()


def _sqlite_restore(engine: Engine, path: Path) -> Outcome:
    target = _sqlite_path(engine.url)
    revisions = _check_sqlite_backup(path)
    check_revisions(revisions, str(path))
    refuse_non_empty(engine)
    engine.dispose()
    try:
        src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target, timeout=30)
            try:
                # The backup API cannot change the page size of a WAL database; an empty one
                # in rollback mode takes the backup's page size. The site turns WAL back on.
                dst.execute("PRAGMA journal_mode=DELETE")
                src.backup(dst, pages=-1)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restore of {path} into {target} failed: {exc}") from None
    return after_restore(engine, str(target))


def backup(engine: Engine, path: Path, *, timeout: float = TOOL_TIMEOUT) -> Outcome:
    """Write a consistent backup of the database behind ``engine`` to ``path``."""
    with engine.connect() as connection:
        if not existing_tables(connection):
            raise BackupError(f"{shown(engine.url)} has no tables: there is nothing to back up")
    if engine.dialect.name == "sqlite":
        return _sqlite_backup(engine, path)
    if engine.dialect.name == "postgresql":
        return pg_backup(engine, path, timeout=timeout)
    raise BackupError(f"cannot back up {shown(engine.url)}: only SQLite and PostgreSQL")


def restore(engine: Engine, path: Path, *, timeout: float = TOOL_TIMEOUT) -> Outcome:
    """Restore the backup at ``path`` into the empty database behind ``engine``."""
    kind = _kind_of(path)
    wanted = engine.dialect.name
    if kind != wanted:
        hint = (
            "restore it into a PostgreSQL database, then `metalwire db copy --to` this one"
            if kind == "postgresql"
            else "restore it into a SQLite file, then `metalwire db copy --to` this database"
        )
        raise BackupError(
            f"{path} is a {kind_label(kind)} backup and {shown(engine.url)} is "
            f"{kind_label(wanted)}: {hint}"
        )
    if kind == "sqlite":
        return _sqlite_restore(engine, path)
    return pg_restore(engine, path, timeout=timeout)
