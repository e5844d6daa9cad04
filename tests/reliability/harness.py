"""Running the crashing CLI in a subprocess, and reading a whole database back to compare it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, Integer, Table, select, text
from sqlalchemy.engine import make_url

import metalwire.models  # noqa: F401  (every table in Base.metadata)
from metalwire.db.base import Base
from metalwire.db.engine import create_db_engine
from tests.conftest import POSTGRES_URL, ScratchDatabase

LAUNCHER = Path(__file__).with_name("crashing_cli.py")
# Every subprocess call is bounded: a kill that left a lock behind must fail the test, not hang it.
TIMEOUT = 120


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    report: list[dict[str, Any]]

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    @property
    def writes(self) -> int:
        return int(self.report[-1]["writes"]) if self.report else 0

    def describe(self) -> str:
        return f"rc={self.returncode} report={self.report}\n{self.stdout}\n{self.stderr}"


def run_cli(args: Sequence[str], *, url: str, report: Path, crash_at: str | None = None) -> Run:
    """The real CLI in its own process on ``url``, killed at ``crash_at`` (None: not at all)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MW_CRASH")}
    env["METALWIRE_DATABASE_URL"] = url
    env["MW_CRASH_REPORT"] = str(report)
    # Rich wraps tables to the terminal; a pipe has none: keep lines whole for the assertions.
    env["COLUMNS"] = "200"
    # A lock left by a killed client would make the rerun wait; fail fast instead, and say so.
    env["PGOPTIONS"] = "-c lock_timeout=20s"
    if crash_at:
        env["MW_CRASH_AT"] = crash_at
    report.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, str(LAUNCHER), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    lines = report.read_text(encoding="utf-8").splitlines() if report.exists() else []
    return Run(done.returncode, done.stdout, done.stderr, [json.loads(line) for line in lines])


# --- reading a database back -------------------------------------------------------------------

Snapshot = dict[str, list[tuple[Any, ...]]]


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table, in primary-key order: two equal snapshots are equal databases."""
    out: Snapshot = {}
    with engine.connect() as conn:
        for table in _tables():
            rows = conn.execute(select(table).order_by(*table.primary_key.columns))
            out[table.name] = [tuple(row) for row in rows]
    return out


def counts(engine: Engine, *tables: str) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in tables
        }


CHAIN_COLUMNS = ("prev_hash", "hash")
_NUMERIC_ID = re.compile(r"^\d+(-\d+)?$")


def _scrub(value: Any) -> Any:
    """JSON without the clock: keys naming an instant (``at``, ``*_at``) are dropped."""
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if not (k == "at" or str(k).endswith("_at"))}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


# The ids a release event's refs hold, by the table they name.
REF_TABLES = {
    "assessment_id": "assessment",
    "series_id": "price_series",
    "release_id": "survey_release",
    "survey_id": "survey",
    "article_id": "article",
    "price_event": "release_event",
}


def comparable(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """The database as two runs of the same command on two copies must leave it alike.

    Left out: instants (two runs happen at two times), the audit chain's hashes (they cover
    the instants) and surrogate keys. A PostgreSQL sequence
    is not rolled back with a killed transaction, so the rerun's new rows get later ids than a
    control's; ids are replaced by their rank in their table, and references (foreign keys,
    numeric audit object ids) by the rank of the row they point at.
    """
    tables = _tables()
    with engine.connect() as conn:
        raw = {
            t.name: [
                dict(row._mapping)
                for row in conn.execute(select(t).order_by(*t.primary_key.columns))
            ]
            for t in tables
        }
    ranks: dict[str, dict[Any, int]] = {}
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer):
            ranks[table.name] = {row[pk[0].name]: n for n, row in enumerate(raw[table.name], 1)}

    def rank(table: str, value: Any) -> Any:
        return ranks.get(table, {}).get(value, value)

    out: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        rows = []
        for row in raw[table.name]:
            kept: dict[str, Any] = {}
            for column in table.columns:
                value = row[column.name]
                if isinstance(column.type, DateTime) or isinstance(
                    getattr(column.type, "impl", None), DateTime
                ):
                    continue
                if table.name == "audit_event" and column.name in CHAIN_COLUMNS:
                    continue  # they hash the instant and the id (the chain is verified apart)
                if column.primary_key and table.name in ranks:
                    value = rank(table.name, value)
                for fk in column.foreign_keys:
                    value = rank(fk.column.table.name, value)
                kept[column.name] = _scrub(value)
            if table.name == "release_event":
                # The outbox names the released rows by id inside its JSON, not by foreign key.
                kept["refs"] = {
                    key: rank(REF_TABLES[key], value) if key in REF_TABLES else value
                    for key, value in kept["refs"].items()
                }
            if table.name == "audit_event" and _NUMERIC_ID.match(kept["object_id"]):
                parts = kept["object_id"].split("-")
                kept["object_id"] = "-".join(str(rank(kept["object_type"], int(p))) for p in parts)
            rows.append(kept)
        out[table.name] = rows
    return out


def changed_tables(before: Snapshot, after: Snapshot) -> list[str]:
    return sorted(name for name in before if before[name] != after[name])


# --- a control copy ----------------------------------------------------------------------------


@contextmanager
def control_copy(db: ScratchDatabase, tag: str) -> Iterator[str]:
    """A copy of the test database as it stands, for one uninterrupted run to compare with."""
    if db.backend == "sqlite":
        import sqlite3

        source_path = make_url(db.url).database
        assert source_path
        target = Path(source_path).with_name(f"control-{tag}.db")
        # The backup API copies a consistent image, WAL contents included.
        with sqlite3.connect(source_path) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        yield f"sqlite:///{target}"
        return
    assert POSTGRES_URL
    admin = create_db_engine(POSTGRES_URL, check=False, isolation_level="AUTOCOMMIT")
    source_name = make_url(db.url).database
    name = f"{source_name}_control_{tag}"
    # CREATE DATABASE ... TEMPLATE needs the source without sessions: close the test's pool.
    db.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source_name}" STRATEGY FILE_COPY'))
    try:
        yield make_url(db.url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def comparable_at(url: str) -> dict[str, list[dict[str, Any]]]:
    engine = create_db_engine(url)
    try:
        return comparable(engine)
    finally:
        engine.dispose()


def differences(
    left: Mapping[str, list[dict[str, Any]]], right: Mapping[str, list[dict[str, Any]]]
) -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Only the tables that differ, for a readable assertion message."""
    return {k: (left[k], right[k]) for k in left if left[k] != right.get(k)}
