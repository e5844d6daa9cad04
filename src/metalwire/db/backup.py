"""Backup, restore and copy of a whole metalwire database.

SQLite is backed up with its online backup API (a consistent snapshot while the site keeps
running) and PostgreSQL with ``pg_dump --format=custom``; a restore goes only into an empty
database. ``copy_database`` moves every table of one database into an empty one of either kind
(typically the embedded SQLite file into PostgreSQL): the schema comes from the migrations, the
rows from the source, all in one transaction on the target.

Tables are never listed by hand: they are reflected from the databases, so a table or column
added by a later migration is backed up, restored and copied with no change here.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Integer,
    MetaData,
    Table,
    Text,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    inspect,
    select,
    table,
    text,
    type_coerce,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import ColumnElement

from metalwire.db.engine import create_db_engine
from metalwire.db.migrate import MIGRATIONS, code_heads, database_heads, refresh_planner_statistics
from metalwire.settings import ConfigurationError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
VERSION_TABLE = "alembic_version"
BATCH_ROWS = 5_000
# A dump or restore that takes longer than this is stuck (a lock, a dead network), not slow.
TOOL_TIMEOUT = 3_600.0
# Debian and Ubuntu install each PostgreSQL version's tools here, not always on PATH.
PG_INSTALL_ROOT = Path("/usr/lib/postgresql")


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


def _refuse_non_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        existing = existing_tables(connection)
    if existing:
        listed = ", ".join(existing[:5]) + (", ..." if len(existing) > 5 else "")
        raise BackupError(
            f"{shown(engine.url)} is not empty ({len(existing)} tables: {listed}); restore and "
            "copy write only into an empty database: create a new one and point at it"
        )


def _check_revisions(revisions: set[str], source: str) -> None:
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


def _heads_in(connection: Connection) -> set[str]:
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


def _partial(path: Path) -> Path:
    # Written beside the target and renamed into place: a failed or interrupted backup never
    # leaves a truncated file under the name a restore will trust.
    return path.with_name(f".{path.name}.partial-{os.getpid()}")


def _writable_target(path: Path, source: Path | None = None) -> None:
    if path.is_dir():
        raise BackupError(f"{path} is a folder; name the backup file")
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: its folder {path.parent} does not exist")
    if source is not None and path.exists() and path.resolve() == source.resolve():
        raise BackupError(f"{path} is the live database itself; name another file")


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_backup(engine: Engine, path: Path) -> Outcome:
    source = _sqlite_path(engine.url)
    _writable_target(path, source)
    partial = _partial(path)
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
    _check_revisions(revisions, str(path))
    _refuse_non_empty(engine)
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
    return _after_restore(engine, str(target))


def _after_restore(engine: Engine, name: str) -> Outcome:
    heads, notes = _schema_notes(engine)
    # A restore brings rows, not the planner's statistics: without them queries can pick bad
    # indexes until the next ANALYZE.
    refresh_planner_statistics(engine)
    with engine.connect() as connection:
        counts = count_rows(connection)
    return Outcome(name, counts, heads, notes=notes)


# --- PostgreSQL ------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: on PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found

    def version(candidate: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", candidate.parent.parent.name))

    candidates = sorted(PG_INSTALL_ROOT.glob(f"*/bin/{name}"), key=version)
    if candidates:
        return str(candidates[-1])
    raise BackupError(
        f"{name} not found (neither on PATH nor under /usr/lib/postgresql/*/bin): install the "
        "PostgreSQL client tools (Debian/Ubuntu: apt install postgresql-client)"
    )


def _conninfo_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pg_connection_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Arguments and environment for libpq tools. The password travels in PGPASSWORD, never on
    a command line other users can read; ``--no-password`` fails rather than waits at a prompt."""
    args = ["--no-password"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    database = url.database or ""
    if url.query:
        # Options such as sslmode: --dbname takes a whole connection string.
        pairs = [("dbname", database)] + [
            (key, value if isinstance(value, str) else value[-1])
            for key, value in url.query.items()
        ]
        database = " ".join(f"{key}={_conninfo_value(value)}" for key, value in pairs)
    args += ["--dbname", database]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _run_tool(
    argv: list[str], env: Mapping[str, str], *, timeout: float, what: str
) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            argv, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what}: {Path(argv[0]).name} did not finish in {timeout:g} s") from None
    except OSError as exc:
        raise BackupError(f"{what}: cannot run {argv[0]}: {exc.strerror}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = "; ".join(lines[:3]) or f"exit status {done.returncode}"
        raise BackupError(f"{what}: {reason}")
    return done


def _pg_backup(engine: Engine, path: Path, *, timeout: float) -> Outcome:
    _writable_target(path)
    dump = pg_tool("pg_dump")
    args, env = pg_connection_args(engine.url)
    partial = _partial(path)
    what = f"backup of {shown(engine.url)} to {path} failed"
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            # pg_dump reads the snapshot this transaction exports, so the counts printed are
            # those of the very rows in the file, however busy the database is.
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts = count_rows(connection)
            heads = _heads_in(connection)
            _run_tool(
                [dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}", *args],
                env,
                timeout=timeout,
                what=what,
            )
            connection.rollback()
        os.replace(partial, path)
    except SQLAlchemyError as exc:
        raise BackupError(f"{what}: {_reason(exc)}") from None
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Outcome(str(path), counts, heads, size=path.stat().st_size)


_COPY_BLOCK = re.compile(
    r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n(.*?)^\\\.$", re.MULTILINE | re.DOTALL
)


def _check_pg_backup(path: Path, *, timeout: float) -> set[str]:
    """Prove ``path`` is a pg_dump archive of metalwire; returns its schema revisions."""
    restore = pg_tool("pg_restore")
    done = _run_tool(
        [restore, "--data-only", f"--table={VERSION_TABLE}", "--file=-", str(path)],
        os.environ,
        timeout=timeout,
        what=f"{path} is not a usable pg_dump archive",
    )
    block = _COPY_BLOCK.search(done.stdout)
    if block is None:
        raise BackupError(
            f"{path} is a pg_dump archive but not a metalwire backup (no {VERSION_TABLE})"
        )
    return {line.strip() for line in block.group(1).splitlines() if line.strip()}


def _pg_restore(engine: Engine, path: Path, *, timeout: float) -> Outcome:
    revisions = _check_pg_backup(path, timeout=timeout)
    _check_revisions(revisions, str(path))
    _refuse_non_empty(engine)
    restore = pg_tool("pg_restore")
    args, env = pg_connection_args(engine.url)
    # No owners or grants: they name roles of the old server that the new one may not have.
    _run_tool(
        [
            restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *args,
            str(path),
        ],
        env,
        timeout=timeout,
        what=f"restore of {path} into {shown(engine.url)} failed (nothing was restored)",
    )
    return _after_restore(engine, shown(engine.url))


def _reason(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


# --- the commands ----------------------------------------------------------------------------


def backup(engine: Engine, path: Path, *, timeout: float = TOOL_TIMEOUT) -> Outcome:
    """Write a consistent backup of the database behind ``engine`` to ``path``."""
    with engine.connect() as connection:
        if not existing_tables(connection):
            raise BackupError(f"{shown(engine.url)} has no tables: there is nothing to back up")
    if engine.dialect.name == "sqlite":
        return _sqlite_backup(engine, path)
    if engine.dialect.name == "postgresql":
        return _pg_backup(engine, path, timeout=timeout)
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
            f"{path} is a {_label(kind)} backup and {shown(engine.url)} is {_label(wanted)}: {hint}"
        )
    if kind == "sqlite":
        return _sqlite_restore(engine, path)
    return _pg_restore(engine, path, timeout=timeout)


def _label(kind: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(kind, kind)


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
    _refuse_non_empty(target)
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
            f"copy to {where} failed while {current}: {_reason(exc)}; nothing was copied"
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
