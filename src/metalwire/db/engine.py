"""Engine and session construction, with the SQLite pragmas the platform relies on."""

from __future__ import annotations

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


def write_lock(engine: Engine) -> AbstractContextManager[Any]:
    """What one process's short bookkeeping writes (rate-limit leases, a key's last use) queue
    on. SQLite has one writer at a time, and a connection that finds the file locked sleeps
    (1, 2, 5, 10 ... 100 ms) before it tries again: four threads leasing at once waited 36 ms at
    p99 and up to 150 ms; queued on a lock, the next starts the moment the last commits.
    PostgreSQL writes rows side by side: nothing to queue on."""
    return threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()


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
