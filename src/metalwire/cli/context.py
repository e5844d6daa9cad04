"""What every command needs: settings, a migrated database, a transaction, output helpers."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from metalwire.audit import jsonable
from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction
from metalwire.db.migrate import ensure_migrated
from metalwire.errors import ServiceError
from metalwire.settings import Settings, load_settings
from metalwire.tabular import ImportRejected, TableError


def _console(*, stderr: bool = False) -> Console:
    # Piped or redirected, a table is read by a script or kept in a file: print whole values
    # rather than cut them to the 80 columns Rich assumes without a terminal. COLUMNS still wins.
    stream = sys.stderr if stderr else sys.stdout
    wide = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, width=PIPE_WIDTH if wide else None)


PIPE_WIDTH = 10_000
console = _console()
err_console = _console(stderr=True)

EXIT_BAD_INPUT = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def refuse(exc: ServiceError) -> NoReturn:
    """A service's refusal: one line per located problem, exit code 1."""
    for problem in exc.problems:
        err_console.print(str(problem), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def settings() -> Settings:
    return load_settings()


def engine(*, migrated: bool = True) -> Engine:
    db = create_db_engine(settings().database_url)
    if migrated:
        ensure_migrated(db)
    return db


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session in one transaction on a migrated database; rolled back on any error."""
    db = engine()
    try:
        with transaction(make_sessionmaker(db)) as session:
            yield session
    finally:
        db.dispose()


@contextmanager
def refusing(*refused: type[ServiceError]) -> Iterator[Session]:
    """A unit of work whose service refusals of the kinds ``refused`` end the command as
    ``refuse`` does: each problem on a line, exit code 1, nothing written."""
    try:
        with unit_of_work() as session:
            yield session
    except refused as exc:
        refuse(exc)


@contextmanager
def importing() -> Iterator[Session]:
    """A unit of work reading an import file: a file that cannot be read as a table is refused,
    a rejected file lists every bad row (``ImportRejected.lines``); either way nothing is
    written."""
    try:
        with refusing(TableError) as session:
            yield session
    except ImportRejected as exc:
        fail("\n".join(exc.lines()))


# Who enters an import file: recorded as the actor of what it writes.
ImporterOption = Annotated[str, typer.Option("--user", help="Who enters the file")]


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(jsonable(value), ensure_ascii=False, indent=2) + "\n")


def print_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    as_json: bool,
    headings: Sequence[str] | None = None,
) -> None:
    """A listing: for a script, the rows whole as JSON; for a reader, a table of the ``columns``
    (headed by the keys unless ``headings`` are shorter), each cell the value as text."""
    if as_json:
        print_json(rows)
        return
    table = Table(*(headings or columns))
    for row in rows:
        table.add_row(*(str(row[key]) for key in columns))
    console.print(table)
