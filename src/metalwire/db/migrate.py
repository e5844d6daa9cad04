"""Alembic, driven from code: the migrations ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseNotMigrated(Exception):
    """The schema is older than the code (or absent)."""


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def code_heads() -> set[str]:
    script = ScriptDirectory(str(MIGRATIONS))
    return set(script.get_heads())


def database_heads(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine) -> tuple[set[str], set[str]]:
    """Migrate to the newest schema; returns the revisions before and after."""
    before = database_heads(engine)
    command.upgrade(alembic_config(engine), "heads")
    refresh_planner_statistics(engine)
    return before, database_heads(engine)


def refresh_planner_statistics(engine: Engine) -> None:
    """Let the query planner know the data's shape (ANALYZE). Without statistics SQLite can take
    the index on (series, release time) for a lookup of one market date and scan a series' whole
    history; with them it picks (series, date). Sampled, so it stays quick on a large file."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA analysis_limit=1000")
        connection.exec_driver_sql("ANALYZE")


# Rewritten many times over by the demo: every approval bumps its series' publication counter.
REWRITTEN_TABLES = ("price_series",)


def reclaim_dead_rows(engine: Engine) -> None:
    """VACUUM (ANALYZE) on PostgreSQL, after work that rewrote rows many times over (the demo's
    two years of approvals bump each series' publication counter some 450 times, leaving tens
    of thousands of dead row versions that every content stamp would scan). Autovacuum does this
    in time on a server where it is on; the demo should not wait for it. The series table is
    also compacted (VACUUM FULL, 94 rows): a plain VACUUM leaves it 1,381 pages long, and the
    content stamp's sum over it read them all on every shared page (7 ms; 0.1 ms compacted).
    SQLite: ANALYZE."""
    if engine.dialect.name != "postgresql":
        refresh_planner_statistics(engine)
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in REWRITTEN_TABLES:
            connection.exec_driver_sql(f"VACUUM (FULL, ANALYZE) {table}")
        connection.exec_driver_sql("VACUUM (ANALYZE)")


def ensure_migrated(engine: Engine) -> None:
    current, wanted = database_heads(engine), code_heads()
    if current != wanted:
        state = ", ".join(sorted(current)) or "empty"
        raise DatabaseNotMigrated(
            f"the database schema is not up to date (at {state}, needs "
            f"{', '.join(sorted(wanted))}): run `metalwire db upgrade`"
        )
