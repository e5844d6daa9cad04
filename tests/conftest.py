"""Test harness: every database test runs on SQLite and, when METALWIRE_TEST_POSTGRES_URL is set,
on PostgreSQL too (a throwaway database per test run, cloned per test from a migrated template).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from metalwire.accounts import credentials
from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, User
from metalwire.catalog.schemas import SeriesDefinition
from metalwire.catalog.service import define_series
from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction
from metalwire.db.migrate import upgrade
from metalwire.demo.build import build_demo
from metalwire.demo.series import demo_series
from metalwire.pricing.engine import SubmissionKind
from metalwire.pricing.schemas import SubmissionIn
from metalwire.pricing.submissions import add_submissions
from metalwire.reference_data import sync_reference_data
from metalwire.settings import load_settings
from metalwire.web.app import create_app

POSTGRES_URL = os.environ.get("METALWIRE_TEST_POSTGRES_URL")
AVAILABLE = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
# CI runs the backends as two processes side by side, one a core (make pytest-backends): the
# SQLite one runs every test, the PostgreSQL one only the database tests, on PostgreSQL.
_CHOSEN = os.environ.get("METALWIRE_TEST_BACKENDS", ",".join(AVAILABLE)).split(",")
BACKENDS = [backend for backend in AVAILABLE if backend in _CHOSEN]
if POSTGRES_URL:
    # The run's databases are thrown away: no commit need wait for its WAL to reach the disk.
    # libpq reads PGOPTIONS, so this holds for this process's connections and its children's
    # (the CLI and servers the tests start), never for the server's other clients.
    os.environ.setdefault("PGOPTIONS", "-c synchronous_commit=off")
RUN_ID = uuid.uuid4().hex[:8]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "demo_market(days): the test's db is a copy of `metalwire demo --days N`"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without SQLite in the run, the tests that take no backend ran in the SQLite process."""
    if "sqlite" in BACKENDS:
        return
    kept = [item for item in items if "backend" in getattr(item, "fixturenames", ())]
    dropped = [item for item in items if "backend" not in getattr(item, "fixturenames", ())]
    config.hook.pytest_deselected(items=dropped)
    items[:] = kept


@dataclass
class ScratchDatabase:
    backend: str
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    def session(self) -> Session:
        return self.sessions()

    def transaction(self):  # type: ignore[no-untyped-def]
        return transaction(self.sessions)


def _pg_admin() -> Engine:
    assert POSTGRES_URL
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    assert POSTGRES_URL
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


_counter = iter(range(1, 1_000_000))


def _create(backend: str, template: str | None, directory: Path) -> str:
    """A new database (a copy of ``template``, or empty): its SQLite path or PostgreSQL name."""
    if backend == "sqlite":
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "metalwire.db"
        if template is not None:
            shutil.copyfile(template, path)
        return str(path)
    if template is not None and template in _spares.templates:
        return _spares.take(template)
    return _pg_create(template)


def _pg_create(template: str | None) -> str:
    name = f"mw_{RUN_ID}_{next(_counter)}"
    clone = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template is not None else ""
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{clone}'))
    admin.dispose()
    return name


class _Spares:
    """PostgreSQL copies of a template made one ahead, in a background thread, while a test
    runs: CREATE DATABASE ... TEMPLATE takes ~0.5 s of the server's time, which a test no
    longer waits for. A spare is a fresh copy like any other (no one has connected to it)."""

    def __init__(self) -> None:
        self.templates: set[str] = set()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-spares")
        self._next: dict[str, Future[str]] = {}

    def take(self, template: str) -> str:
        ahead = self._next.pop(template, None)
        name = ahead.result() if ahead is not None else _pg_create(template)
        self._next[template] = self._executor.submit(_pg_create, template)
        return name

    def drop_all(self) -> None:
        for ahead in self._next.values():
            with suppress(Exception):  # a spare that failed to be made has nothing to drop
                _drop("postgresql", ahead.result())
        self._next.clear()


_spares = _Spares()


def _url(backend: str, database: str) -> str:
    return f"sqlite:///{database}" if backend == "sqlite" else _pg_url(database)


def _disconnect(backend: str, database: str) -> None:
    """Close what a build left connected (the CLI's engines): PostgreSQL clones a database only
    when no one is connected to it."""
    if backend == "sqlite":
        return
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": database},
        )
    admin.dispose()


def _drop(backend: str, database: str) -> None:
    if backend == "sqlite":
        return  # under pytest's tmp_path
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


T = TypeVar("T")


@dataclass(frozen=True)
class Built(Generic[T]):
    """A database built once per backend per run, to be cloned (never opened) by tests."""

    backend: str
    template: str  # a SQLite file or a PostgreSQL database name: scratch_database's template
    result: T  # what the build returned (a demo build's summary lines)


class Templates:
    """The run's template databases: the migrated one, and databases built from it (the demo
    market for given days and clock), each built once per backend and cloned by the tests that
    need it. A clone is a file copy (SQLite) or CREATE DATABASE ... TEMPLATE (PostgreSQL)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._built: dict[tuple[str, Hashable], Built[Any]] = {}
        self._databases: list[tuple[str, str]] = []

    def migrated(self, backend: str) -> str:
        """A migrated database with the catalog synced."""

        def migrate(db: ScratchDatabase) -> None:
            upgrade(db.engine)
            with db.transaction() as session:
                sync_reference_data(session)

        template = self._build(backend, "migrated", None, migrate).template
        if backend != "sqlite":
            _spares.templates.add(template)  # most tests copy it: one copy made ahead
        return template

    def build(self, backend: str, key: Hashable, build: Callable[[ScratchDatabase], T]) -> Built[T]:
        """``build`` run once per backend and ``key`` on a copy of the migrated database."""
        return self._build(backend, key, self.migrated(backend), build)

    def _build(
        self,
        backend: str,
        key: Hashable,
        template: str | None,
        build: Callable[[ScratchDatabase], T],
    ) -> Built[T]:
        if (backend, key) not in self._built:
            database = _create(backend, template, self._tmp.mktemp("template"))
            self._databases.append((backend, database))
            url = _url(backend, database)
            engine = create_db_engine(url)
            try:
                result = build(ScratchDatabase(backend, url, engine, make_sessionmaker(engine)))
            finally:
                engine.dispose()  # no connection left: SQLite's WAL folded in, PG cloneable
                _disconnect(backend, database)
            self._built[backend, key] = Built(backend, database, result)
        return self._built[backend, key]

    def drop_all(self) -> None:
        _spares.drop_all()
        for backend, database in reversed(self._databases):
            _drop(backend, database)


def demo_market_once(templates: Templates, backend: str, *, days: int) -> str:
    """``metalwire demo --days N`` (today's clock, the default seed) run once per backend per
    run: the template of the tests marked ``demo_market(days=N)``."""

    def run_cli(db: ScratchDatabase) -> None:
        from typer.testing import CliRunner

        from metalwire.cli import app

        result = CliRunner().invoke(
            app, ["demo", "--days", str(days)], env={"METALWIRE_DATABASE_URL": db.url}
        )
        assert result.exit_code == 0, result.output

    return templates.build(backend, ("metalwire demo", days), run_cli).template


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id with small parameters for the run: the default (64 MiB, 3 passes, 4 lanes)
    costs ~0.35 s a hash or check on 2 cores, and the suite hashes thousands of passwords (two
    per ``desk``, four per demo build, one per sign-in). The same algorithm and code path;
    stored hashes carry their parameters, so a server started in a subprocess (which keeps the
    default) checks them as well."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            credentials, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        yield


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    cache = Templates(tmp_path_factory)
    yield cache
    cache.drop_all()


@pytest.fixture(scope="session")
def template_database(backend: str, templates: Templates) -> str:
    """A migrated database with the catalog synced, built once per backend per run."""
    return templates.migrated(backend)


@contextmanager
def scratch_database(
    backend: str, template_database: str, directory: Path
) -> Iterator[ScratchDatabase]:
    """A fresh database copied from a template (the session's migrated one, or a built one),
    dropped afterwards."""
    database = _create(backend, template_database, directory)
    url = _url(backend, database)
    engine = create_db_engine(url)
    try:
        yield ScratchDatabase(backend, url, engine, make_sessionmaker(engine))
    finally:
        engine.dispose()
        _drop(backend, database)


def build_demo_once(
    templates: Templates, backend: str, *, days: int, now: dt.datetime, seed: int = 7
) -> Built[list[str]]:
    """The demo market (build_demo with these arguments), built once per backend per run."""

    def build(db: ScratchDatabase) -> list[str]:
        with db.transaction() as session:
            return build_demo(session, days=days, now=now, seed=seed)

    return templates.build(backend, ("demo", days, now, seed), build)


@pytest.fixture
def db(
    backend: str,
    template_database: str,
    templates: Templates,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[ScratchDatabase]:
    """A fresh, migrated database for one test; for a test marked ``demo_market(days=N)``, a
    copy of the small demo market ``metalwire demo --days N`` built once per run."""
    marker = request.node.get_closest_marker("demo_market")
    template = template_database
    if marker is not None:
        template = demo_market_once(templates, backend, **marker.kwargs)
    with scratch_database(backend, template, tmp_path) as scratch:
        yield scratch


@pytest.fixture
def env_db(db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch) -> ScratchDatabase:
    """Point the CLI's settings at the test database."""
    monkeypatch.setenv("METALWIRE_DATABASE_URL", db.url)
    return db


@pytest.fixture
def app(db: ScratchDatabase) -> Iterator[FastAPI]:
    """The app on the test database. Whatever a test does with it, no request may have held two
    pooled connections at once, nor ended still holding one (db/checkouts.py)."""
    application = create_app(load_settings(database_url=db.url), engine=db.engine)
    yield application
    ledger = application.state.checkouts
    assert not ledger.over_one, f"requests held two connections at once: {ledger.over_one}"
    assert not ledger.leaked, f"requests ended holding a connection: {ledger.leaked}"


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yields its base URL."""
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=3
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port: tests talk real HTTP to it."""
    with serve_in_thread(app) as url:
        yield url


@dataclass
class Desk:
    db: ScratchDatabase
    analyst: User
    editor: User

    def submit(
        self,
        series: str,
        day: dt.date,
        deals: list[tuple[str, str]],
        received: dt.datetime | None = None,
    ) -> None:
        received = received or dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC)
        items = [
            SubmissionIn(
                series=series,
                date=day,
                kind=SubmissionKind.DEAL,
                price=Decimal(price),
                volume=Decimal(volume),
                contributor=f"trader-{i}",
                received_at=received,
            )
            for i, (price, volume) in enumerate(deals)
        ]
        with self.db.transaction() as session:
            add_submissions(session, items, actor=self.analyst.email)


def define_demo_series(db: ScratchDatabase, *codes: str) -> None:
    wanted = {d.code: d for d in demo_series()}
    with db.transaction() as session:
        for code in codes:
            define_series(
                session, SeriesDefinition.model_validate(wanted[code].model_dump()), actor="test"
            )


@pytest.fixture
def desk(db: ScratchDatabase) -> Desk:
    define_demo_series(db, "AG-INGOT-CN-SPOT", "AG-INGOT-CN-PREMIUM", "AG-LONDON-SPOT")
    with db.transaction() as session:
        analyst = accounts.add_user(
            session,
            "analyst@desk.cn",
            role=Role.ANALYST,
            plan="enterprise",
            password="analyst password",
            actor="t",
        )
        editor = accounts.add_user(
            session,
            "editor@desk.cn",
            role=Role.EDITOR,
            plan="enterprise",
            password="editor password",
            actor="t",
        )
    return Desk(db, analyst, editor)
