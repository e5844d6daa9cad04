"""Alembic environment: the engine is handed in by metalwire.db.migrate."""

from __future__ import annotations

from alembic import context

import metalwire.models  # noqa: F401  (registers every table on Base.metadata)
from metalwire.db.base import Base

config = context.config
engine = config.attributes["engine"]


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # SQLite's FTS5 search tables (and their shadow tables) are made by hand in migrations.
    return not (type_ == "table" and name is not None and name.startswith("article_fts"))


with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    context.run_migrations()
