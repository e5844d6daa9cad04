"""What a metalwire database holds (its data tables, their rows, its schema revisions) and the
refusals a backup, a restore and a copy share: never into a database that is not empty, never
from a schema this code does not know, never over the live database itself.

Tables are never listed by hand: they are reflected from the databases, so a table or column
added by a later migration is backed up, restored and copied with no change here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, Table, func, inspect, select, table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from metalwire.db.migrate import MIGRATIONS, code_heads, database_heads, refresh_planner_statistics

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
VERSION_TABLE = "alembic_version"


class BackupError(Exception):
    """A backup, restore or copy refused or failed; the message names the file or database."""


@dataclass
class Outcome:
    """What a backup, restore or copy wrote: where, the rows of every table, the schema."""

    target: str
    tables: dict[str, int]
    heads: set[str]
    size: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def shown(url: URL | str) -> str:
    """A database URL fit for a message: never its password."""
    return make_url(url).render_as_string(hide_password=True)


# --- what a database holds ----------------------------------------------------------------


def _sqlite_virtual_tables(connection: Connection) -> set[str]:
    """SQLite's virtual tables (the FTS5 index) and their shadow tables: the triggers of their
    content table fill them, so they are never copied as rows (nor exist on PostgreSQL)."""
    virtual = {
        name
        for (name,) in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND upper(sql) LIKE 'CREATE VIRTUAL TABLE%'"
        )
    }
    names = inspect(connection).get_table_names()
    return virtual | {n for n in names for v in virtual if n.startswith(f"{v}_")}


def data_table_names(connection: Connection) -> list[str]:
    """Every table holding metalwire's data; not Alembic's version table nor search indexes."""
    skipped = {VERSION_TABLE}
    if connection.dialect.name == "sqlite":
        skipped |= _sqlite_virtual_tables(connection)
    return sorted(n for n in inspect(connection).get_table_names() if n not in skipped)


def data_tables(connection: Connection) -> list[Table]:
    """The data tables reflected, parents before children (foreign-key order)."""
    metadata = MetaData()
    metadata.reflect(connection, only=data_table_names(connection))
    return list(metadata.sorted_tables)


def count_rows(connection: Connection) -> dict[str, int]:
    return {
        name: int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())
        for name in data_table_names(connection)
    }


def existing_tables(connection: Connection) -> list[str]:
    """The tables a database already has (none: a database fit to restore or copy into)."""
    return sorted(inspect(connection).get_table_names())


def refuse_non_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        existing = existing_tables(connection)
    if existing:
        listed = ", ".join(existing[:5]) + (", ..." if len(existing) > 5 else "")
        raise BackupError(
            f"{shown(engine.url)} is not empty ({len(existing)} tables: {listed}); restore and "
            "copy write only into an empty database: create a new one and point at it"
        )


def check_revisions(revisions: set[str], source: str) -> None:
    """Refuse a backup made by a newer metalwire: this code cannot read its schema."""
    script = ScriptDirectory(str(MIGRATIONS))
    for revision in revisions:
        try:
            script.get_revision(revision)
        except Exception:  # alembic raises several kinds for an unknown revision
            raise BackupError(
                f"{source} has schema revision {revision}, unknown to this metalwire (made by a "
                "newer version?): install that version to restore it"
            ) from None


def heads_in(connection: Connection) -> set[str]:
    if VERSION_TABLE not in inspect(connection).get_table_names():
        return set()
    return {
        row[0] for row in connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}")
    }


def _schema_notes(engine: Engine) -> tuple[set[str], list[str]]:
    heads, wanted = database_heads(engine), code_heads()
    if heads == wanted:
        return heads, []
    return heads, [
        f"the schema is at {', '.join(sorted(heads)) or 'nothing'}, this metalwire needs "
        f"{', '.join(sorted(wanted))}: run `metalwire db upgrade`"
    ]


def partial_path(path: Path) -> Path:
    # Written beside the target and renamed into place: a failed or interrupted backup never
    # leaves a truncated file under the name a restore will trust.
    return path.with_name(f".{path.name}.partial-{os.getpid()}")


def writable_target(path: Path, source: Path | None = None) -> None:
    if path.is_dir():
        raise BackupError(f"{path} is a folder; name the backup file")
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: its folder {path.parent} does not exist")
    if source is not None and path.exists() and path.resolve() == source.resolve():
        raise BackupError(f"{path} is the live database itself; name another file")


def after_restore(engine: Engine, name: str) -> Outcome:
    heads, notes = _schema_notes(engine)
    # A restore brings rows, not the planner's statistics: without them queries can pick bad
    # indexes until the next ANALYZE.
    refresh_planner_statistics(engine)
    with engine.connect() as connection:
        counts = count_rows(connection)
    return Outcome(name, counts, heads, notes=notes)


def failure_reason(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


def kind_label(kind: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(kind, kind)
