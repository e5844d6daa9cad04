"""``metalwire db``: schema migrations, the reference data that ships with the package, and
backup, restore and copy of the whole database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Protocol

import typer
from sqlalchemy import Engine

from metalwire.cli.context import EXIT_USAGE, console, engine, fail
from metalwire.db.backup import TOOL_TIMEOUT, backup, restore
from metalwire.db.copy import copy_database, target_engine
from metalwire.db.engine import make_sessionmaker, transaction
from metalwire.db.holdings import BackupError, Outcome
from metalwire.db.migrate import DatabaseNotMigrated, upgrade
from metalwire.reference_data import sync_reference_data
from metalwire.settings import ConfigurationError

app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Create or migrate the schema, then sync the packaged catalog. Safe to run repeatedly."""
    db = engine(migrated=False)
    try:
        before, after = upgrade(db)
        with transaction(make_sessionmaker(db)) as session:
            results = sync_reference_data(session)
    finally:
        db.dispose()
    if before == after:
        console.print(f"schema already at {', '.join(sorted(after))}")
    else:
        console.print(f"schema migrated to {', '.join(sorted(after))}")
    for name, result in results.items():
        if result.changed:
            console.print(f"{name}: {result.created} created, {result.updated} updated")
        else:
            console.print(f"{name} up to date")


TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout", min=1, help="Seconds pg_dump or pg_restore may run before it is stopped."
    ),
]


def _print_outcome(outcome: Outcome, verb: str) -> None:
    for name, rows in sorted(outcome.tables.items()):
        console.print(f"  {name:<28} {rows:>10,}", markup=False, highlight=False)
    size = f", {outcome.size:,} bytes" if outcome.size is not None else ""
    schema = ", ".join(sorted(outcome.heads)) or "none"
    console.print(
        f"{verb} {outcome.target}: {len(outcome.tables)} tables, {outcome.rows:,} rows{size} "
        f"(schema {schema})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for note in outcome.notes:
        console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)


def _configured(*, migrated: bool = False) -> Engine:
    try:
        return engine(migrated=migrated)
    except (ConfigurationError, DatabaseNotMigrated) as exc:
        fail(f"error: {exc}", EXIT_USAGE)


class _Holding(Protocol):
    def __call__(self, engine: Engine, path: Path, *, timeout: float = ...) -> Outcome: ...


def _backup_or_restore(run: _Holding, file: Path, timeout: float, verb: str) -> None:
    """Backup and restore alike: the configured database's pool is closed even when the tool
    refuses, and a refusal is one line with exit code 1."""
    db = _configured()
    try:
        outcome = run(db, file, timeout=timeout)
    except BackupError as exc:
        fail(f"error: {exc}")
    finally:
        db.dispose()
    _print_outcome(outcome, verb)


@app.command("backup")
def backup_command(
    file: Annotated[Path, typer.Argument(help="The backup file to write.", show_default=False)],
    timeout: TimeoutOption = TOOL_TIMEOUT,
) -> None:
    """Write a consistent backup of the configured database while the site runs.

    SQLite: a copy of the file by SQLite's online backup API. PostgreSQL: pg_dump's custom
    format. Either is restored with `metalwire db restore`."""
    _backup_or_restore(backup, file, timeout, "wrote")


@app.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="A file `metalwire db backup` wrote.")],
    timeout: TimeoutOption = TOOL_TIMEOUT,
) -> None:
    """Restore a backup into the configured database, which must be empty."""
    _backup_or_restore(restore, file, timeout, "restored into")


@app.command("copy")
def copy_command(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="URL of an empty database, e.g. postgresql+psycopg://user@host/metalwire.",
            show_default=False,
        ),
    ],
) -> None:
    """Copy every table of the configured database into an empty one (SQLite to PostgreSQL).

    The target gets the schema from the migrations and every row with its id, in one
    transaction: if anything fails it is left empty."""
    source = _configured()
    try:
        target = target_engine(to)
    except (BackupError, ConfigurationError) as exc:
        source.dispose()
        fail(f"error: {exc}", EXIT_USAGE)
    try:
        outcome = copy_database(source, target)
    except BackupError as exc:
        fail(f"error: {exc}")
    finally:
        source.dispose()
        target.dispose()
    _print_outcome(outcome, "copied into")
