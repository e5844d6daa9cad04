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
    return before, database_heads(engine)


def ensure_migrated(engine: Engine) -> None:
    current, wanted = database_heads(engine), code_heads()
    if current != wanted:
        state = ", ".join(sorted(current)) or "empty"
        raise DatabaseNotMigrated(
            f"the database schema is not up to date (at {state}, needs "
            f"{', '.join(sorted(wanted))}): run `metalwire db upgrade`"
        )
