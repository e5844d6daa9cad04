"""Copy every table of one metalwire database into an empty one of either kind (typically the
embedded SQLite file into PostgreSQL): the schema comes from the migrations, the rows from the
source, all in one transaction on the target."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Integer,
    Table,
    Text,
    bindparam,
    cast,
    event,
    func,
    select,
    text,
    type_coerce,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import ColumnElement

from metalwire.db.engine import create_db_engine
from metalwire.db.holdings import (
    BackupError,
    Outcome,
    count_rows,
    data_tables,
    failure_reason,
    refuse_non_empty,
    shown,
)
from metalwire.db.migrate import (
    MIGRATIONS,
    code_heads,
    database_heads,
    refresh_planner_statistics,
)
from metalwire.settings import ConfigurationError

BATCH_ROWS = 5_000


def target_engine(url: str) -> Engine:
    """An engine for a copy's target; a malformed URL or unknown driver is a BackupError."""
    try:
        parsed = make_url(url)
        engine = create_db_engine(url, poolclass=NullPool)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise BackupError(f"--to {url!r} is not a usable database URL: {exc}") from None
    except ConfigurationError as exc:
        # create_db_engine speaks of the configured database; this one came from --to.
        raise BackupError(f"--to: {str(exc).removeprefix('METALWIRE_DATABASE_URL: ')}") from None
    if parsed.get_backend_name() == "sqlite":
        _explicit_sqlite_transactions(engine)
    return engine


def _explicit_sqlite_transactions(engine: Engine) -> None:
    """Python's sqlite3 opens no transaction before DDL, so a migration would commit table by
    table; with BEGIN issued by hand the schema and the rows commit (or vanish) together."""

    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


class _InTransaction:
    """Hands the migrations' env.py a connection already inside the copy's transaction, so the
    schema is created in it too (env.py opens its own with ``engine.begin()``)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        yield self._connection


def _create_schema(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = _InTransaction(connection)
    command.upgrade(config, "heads")


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A read of the whole source as of one instant, while the site may keep writing."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        ) as connection:
            yield connection
        return
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # The driver opens no transaction for SELECT: without BEGIN each table would be
            # read at a different moment.
            connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            connection.rollback()


def _column_io(
    source: Table, target: Table, *, reading: str, writing: str
) -> tuple[list[ColumnElement[Any]], dict[str, Any], list[str]]:
    """What to select from the source and how to insert it. JSON travels as its text, so SQL
    NULL and JSON null (and key order) arrive exactly as they were rather than re-encoded."""
    selected: list[ColumnElement[Any]] = []
    values: dict[str, Any] = {}
    keys: list[str] = []
    for index, column in enumerate(target.columns):
        if column.name not in source.columns:
            continue  # a column the source predates: the target's default fills it
        origin = source.columns[column.name]
        key = f"p{index}"
        keys.append(key)
        if isinstance(column.type, JSON) or isinstance(origin.type, JSON):
            # SQLite stores JSON as text already; PostgreSQL renders it as text on request.
            selected.append(
                type_coerce(origin, Text) if reading == "sqlite" else cast(origin, Text)
            )
            bound = bindparam(key, type_=Text)
            values[column.name] = cast(bound, column.type) if writing == "postgresql" else bound
        else:
            selected.append(origin)
            values[column.name] = bindparam(key, type_=column.type)
    return selected, values, keys


def _reflect(connection: Connection) -> dict[str, Table]:
    return {reflected.name: reflected for reflected in data_tables(connection)}


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Rows came with their ids, which the sequences never handed out: move each sequence past
    the largest id, or the next insert would collide with a copied row."""
    for reflected in tables:
        for column in reflected.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(quote_ident(:t), :c)"),
                {"t": reflected.name, "c": column.name},
            ).scalar_one()
            if sequence is None:
                continue
            top = connection.execute(select(func.max(column))).scalar_one()
            connection.execute(
                text("SELECT setval(:s, :v, :called)"),
                {"s": sequence, "v": top if top is not None else 1, "called": top is not None},
            )


def copy_database(source: Engine, target: Engine, *, batch_rows: int = BATCH_ROWS) -> Outcome:
    """Copy every table of ``source`` (migrated to the head) into the empty ``target``.

    One transaction on the target holds the schema and every row: an error leaves it empty."""
    heads, wanted = database_heads(source), code_heads()
    if heads != wanted:
        raise BackupError(
            f"{shown(source.url)} is at schema {', '.join(sorted(heads)) or 'nothing'}, not "
            f"{', '.join(sorted(wanted))}: run `metalwire db upgrade` on it before copying"
        )
    refuse_non_empty(target)
    where = shown(target.url)
    current = "creating the schema"
    try:
        with _snapshot(source) as reading, target.connect() as writing, writing.begin():
            _create_schema(writing)
            origin = _reflect(reading)
            destination = _reflect(writing)
            unknown = sorted(set(origin) - set(destination))
            if unknown:
                raise BackupError(
                    f"{where}: the migrations made no table for {', '.join(unknown)} of "
                    f"{shown(source.url)}; nothing was copied"
                )
            expected: dict[str, int] = {}
            for name, reflected in destination.items():
                current = f"copying {name}"
                if name not in origin:
                    continue
                expected[name] = _copy_table(reading, writing, origin[name], reflected, batch_rows)
            ordered = list(destination.values())
            if writing.dialect.name == "postgresql":
                current = "resetting the id sequences"
                _reset_sequences(writing, ordered)
            counts = count_rows(writing)
            short = {
                n: (expected.get(n, 0), counts.get(n, 0))
                for n in destination
                if expected.get(n, 0) != counts.get(n, 0)
            }
            if short:
                raise BackupError(
                    f"{where}: row counts differ after the copy ({short}); nothing was copied"
                )
    except SQLAlchemyError as exc:
        raise BackupError(
            f"copy to {where} failed while {current}: {failure_reason(exc)}; nothing was copied"
        ) from None
    refresh_planner_statistics(target)
    return Outcome(where, counts, database_heads(target))


def _copy_table(
    reading: Connection, writing: Connection, source: Table, target: Table, batch_rows: int
) -> int:
    selected, values, keys = _column_io(
        source, target, reading=reading.dialect.name, writing=writing.dialect.name
    )
    order = list(source.primary_key.columns) or selected
    rows = reading.execution_options(yield_per=batch_rows).execute(
        select(*selected).order_by(*order)
    )
    statement = target.insert().values(values)
    copied = 0
    for batch in rows.partitions(batch_rows):
        writing.execute(statement, [dict(zip(keys, row, strict=True)) for row in batch])
        copied += len(batch)
    return copied
