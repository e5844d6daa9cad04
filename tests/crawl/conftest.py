"""The demo market, built once for the crawl and the client's market tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction
from metalwire.db.migrate import upgrade
from metalwire.demo.build import build_demo
from metalwire.settings import load_settings
from metalwire.web.app import create_app

BUILT_AT = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)  # a Tuesday evening in Shanghai
DAYS = 45


@pytest.fixture(scope="package")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    path = Path(tmp_path_factory.mktemp("crawl")) / "demo.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    with transaction(make_sessionmaker(engine)) as session:
        build_demo(session, days=DAYS, now=BUILT_AT)
    app = create_app(load_settings(database_url=f"sqlite:///{path}"), engine=engine)
    app.state.clock = lambda: BUILT_AT
    yield app
    engine.dispose()


@pytest.fixture(scope="package")
def demo_site(demo_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(demo_app) as client:
        client.app_state = demo_app.state  # type: ignore[attr-defined]
        yield client
