"""PostgreSQL backups: ``pg_dump --format=custom`` of one exported snapshot, and ``pg_restore``
in a single transaction into an empty database; the libpq tools found on PATH or where Debian
and Ubuntu install them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from metalwire.db.holdings import (
    VERSION_TABLE,
    BackupError,
    Outcome,
    after_restore,
    check_revisions,
    count_rows,
    failure_reason,
    heads_in,
    partial_path,
    refuse_non_empty,
    shown,
    writable_target,
)

# Debian and Ubuntu install each PostgreSQL version's tools here, not always on PATH.
PG_INSTALL_ROOT = Path("/usr/lib/postgresql")


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


def pg_backup(engine: Engine, path: Path, *, timeout: float) -> Outcome:
    writable_target(path)
    dump = pg_tool("pg_dump")
    args, env = pg_connection_args(engine.url)
    partial = partial_path(path)
    what = f"backup of {shown(engine.url)} to {path} failed"
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            # pg_dump reads the snapshot this transaction exports, so the counts printed are
            # those of the very rows in the file, however busy the database is.
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts = count_rows(connection)
            heads = heads_in(connection)
            _run_tool(
                [dump, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}", *args],
                env,
                timeout=timeout,
                what=what,
            )
            connection.rollback()
        os.replace(partial, path)
    except SQLAlchemyError as exc:
        raise BackupError(f"{what}: {failure_reason(exc)}") from None
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


def pg_restore(engine: Engine, path: Path, *, timeout: float) -> Outcome:
    revisions = _check_pg_backup(path, timeout=timeout)
    check_revisions(revisions, str(path))
    refuse_non_empty(engine)
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
    return after_restore(engine, shown(engine.url))
