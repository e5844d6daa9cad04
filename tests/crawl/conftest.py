"""The demo market, built once for the crawl and the client's market tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.settings import load_settings
from metalwire.web.app import create_app
from tests.conftest import Templates, build_demo_once, scratch_database

BUILT_AT = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)  # a Tuesday evening in Shanghai
DAYS = 45


@pytest.fixture(scope="package")
def demo_app(templates: Templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """A copy of the run's demo market (SQLite; the browser journeys use the same build)."""
    demo = build_demo_once(templates, "sqlite", days=DAYS, now=BUILT_AT)
    with scratch_database("sqlite", demo.template, tmp_path_factory.mktemp("crawl")) as db:
        app = create_app(load_settings(database_url=db.url), engine=db.engine)
        app.state.clock = lambda: BUILT_AT
        yield app


@pytest.fixture(scope="package")
def demo_site(demo_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(demo_app) as client:
        client.app_state = demo_app.state  # type: ignore[attr-defined]
        yield client
