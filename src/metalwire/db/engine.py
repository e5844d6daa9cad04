"""Engine and session construction, with the SQLite pragmas the platform relies on."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, QueuePool

from metalwire.settings import ConfigurationError, Settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (site, API) run while the desk writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_db_engine(database_url: str, *, check: bool = True, **kwargs: Any) -> Engine:
    """Create an engine; with ``check``, prove the database answers or raise ConfigurationError."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            from pathlib import Path

            try:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigurationError(
                    f"METALWIRE_DATABASE_URL: cannot create the folder of {url.database}: "
                    f"{exc.strerror}"
                ) from None
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(url, **kwargs)
    if check:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            engine.dispose()
            original = getattr(exc, "orig", None) or exc
            reason = (str(original).strip().splitlines() or [type(original).__name__])[0]
            shown = url.render_as_string(hide_password=True)
            raise ConfigurationError(
                f"METALWIRE_DATABASE_URL: cannot connect to {shown}: {reason}"
            ) from None
    return engine


def request_pool(settings: Settings) -> dict[str, Any]:
    """Pool arguments for a web worker: a connection per request thread, a bounded wait.

    Each admitted request holds at most one connection and a worker admits ``worker_threads``
    requests at once, so the pool is that size; a little overflow covers work outside requests
    (start-up checks). ``pool_timeout`` turns a wait that should never happen into a 503."""
    return {
        "pool_size": settings.worker_threads,
        "max_overflow": 2,
        "pool_timeout": settings.pool_timeout,
    }


def pool_capacity(engine: Engine) -> int:
    """How many connections the engine's pool hands out at once (QueuePool: size + overflow)."""
    pool = engine.pool
    if isinstance(pool, QueuePool):
        return max(1, pool.size() + max(0, pool._max_overflow))
    return 1_000_000  # NullPool and friends: no bound of their own


def health_engine(engine: Engine) -> Engine:
    """An engine for /healthz alone, with no pool: the request pool may be exhausted, and the
    check must still reach the database (or say it cannot, quickly)."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        return create_db_engine(
            url, check=False, poolclass=NullPool, connect_args={"connect_timeout": 2}
        )
    return create_db_engine(url, check=False, poolclass=NullPool)


class FileWriteLock:
    """One writer at a time across the processes of one SQLite file: a thread lock for the
    process's own threads, then an exclusive ``flock`` on a file beside the database for the
    other workers. The kernel hands a released ``flock`` to the next waiter at once, where two
    workers meeting inside SQLite sleep 1, 2, 5 ... ms before trying again: at the turn of a
    minute every API key leases a new block of its rate limit in each worker, and those sleeps
    held the fast-path threads (py-spy, 200 clients). A waiter waits only for a short write: a
    holder's write is itself bounded by SQLite's busy timeout, and a process that dies drops
    its ``flock``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = -1

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked worker opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def __enter__(self) -> FileWriteLock:
        self._threads.acquire()
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            assert self._fd is not None
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


def write_lock(engine: Engine) -> AbstractContextManager[Any]:
    """What a process's short bookkeeping writes (rate-limit leases, a key's last use) queue
    on. SQLite has one writer at a time, and a connection that finds the file locked sleeps
    (1, 2, 5, 10 ... 100 ms) before it tries again: four threads leasing at once waited 36 ms at
    p99 and up to 150 ms; queued on a lock, the next starts the moment the last commits. For a
    database file the lock holds across the workers too (``FileWriteLock``). PostgreSQL writes
    rows side by side: nothing to queue on."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return threading.Lock()
    return FileWriteLock(database + "-metalwire-write.lock")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    session = factory()
    try:
        with session.begin():
            yield session
    finally:
        session.close()
