"""Every GET route of the API and the site issues no more SQL statements than pinned in
query_counts.json, on the run's demo market: a read that grows a statement per row (N+1) fails.

Each route is asked once, by the demo's editor (who may see every page), on an app of its own so
that its count does not depend on which routes went before. When a route is added, or a change
rightly reads more or less, re-pin and review the file's diff:

    METALWIRE_PIN_QUERY_COUNTS=1 .venv/bin/pytest tests/web/test_query_counts.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from metalwire.accounts import service as accounts
from metalwire.accounts.models import User
from metalwire.accounts.ratelimit import RATE_WINDOW
from metalwire.db.engine import create_db_engine, transaction
from metalwire.delivery.webhooks import add_endpoint
from metalwire.governance import complaints, consultations
from metalwire.governance.complaints import NewComplaint
from metalwire.governance.consultations import Proposal
from metalwire.governance.rules import ComplaintSubject
from metalwire.pricing.contributors import link_user
from metalwire.settings import load_settings
from metalwire.web.api.stream import PATH as STREAM_PATH
from metalwire.web.app import create_app, route_table
from tests.conftest import ScratchDatabase, Templates, build_demo_once, scratch_database
from tests.crawl.conftest import BUILT_AT, DAYS
from tests.support.statements import counting_statements

PINS = Path(__file__).with_name("query_counts.json")
REPIN = os.environ.get("METALWIRE_PIN_QUERY_COUNTS") == "1"
DAY = (BUILT_AT - dt.timedelta(days=1)).date().isoformat()
# A value for each path parameter that names something in the demo market.
PATH_VALUES = {
    "code": {
        "/entry/{code}": "silver",
        "/methodology/{code}": "precious-metals",
        "/feeds/{code}/rss": "precious-metals",
        "/feeds/{code}/atom": "precious-metals",
        "/indices/{code}": "MW-BASE-METALS-INDEX",
        "/api/v1/indices/{code}": "MW-BASE-METALS-INDEX",
        "/arbitrage/{code}": "AG-EXPORT",
        "/api/v1/arbitrage/{code}": "AG-EXPORT",
        "/surveys/{code}": "AG-INGOT-CN-OUTPUT",
        "/api/v1/surveys/{code}/stats": "AG-INGOT-CN-OUTPUT",
        "/api/v1/surveys/{code}/history": "AG-INGOT-CN-OUTPUT",
        "/api/v1/instruments/{code}/settlements": "LBMA-AG",
        "/api/v1/futures/{code}/curve": "SHFE-CU",
    },
    "slug": "ag-ingot-cn-output-2026-10",
    "token": "not-a-token",
    "assessment_id": "1",
    "webhook_id": "1",  # the editor's (demo_db)
    "date": DAY,  # a market date with published prices
    "family": "spot-prices",
    "consultation_id": "1",  # the fixture's (demo_db)
    "complaint_id": "1",
}
DEFAULT_CODE = "AG-INGOT-CN-SPOT"  # a price series
QUERIES = {  # what a route needs besides its path
    "/set-lang": "lang=zh",
    "/api/v1/prices/export": f"series={DEFAULT_CODE}",
    "/api/v1/desk/assessments": f"date={DAY}",
    "/api/v1/surveys/{code}/stats": "period=2026-10",
}


def example_url(path: str) -> str:
    url = path
    for name in re.findall(r"{(\w+)}", path):
        value = PATH_VALUES[name]
        if isinstance(value, dict):
            value = value.get(path, DEFAULT_CODE)
        url = url.replace("{" + name + "}", value)
    query = QUERIES.get(path)
    return f"{url}?{query}" if query else url


def get_routes() -> list[str]:
    # A stream answers for as long as it is open, with no statement per message: it reads who
    # asks on a session of its own and holds none after (tests/delivery/test_stream.py).
    return sorted(
        {
            entry.path
            for entry in route_table()
            if "GET" in entry.methods and entry.path != STREAM_PATH
        }
    )


@pytest.fixture(scope="module")
def demo_db(
    templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScratchDatabase]:
    """A copy of the demo market the crawl and the browser journeys read (built once a run)."""
    demo = build_demo_once(templates, "sqlite", days=DAYS, now=BUILT_AT)
    with scratch_database("sqlite", demo.template, tmp_path_factory.mktemp("counts")) as db:
        with transaction(db.sessions) as session:  # the demo has no webhooks: one to read
            editor = accounts.require_user(session, "editor@metalwire.demo")
            made = add_endpoint(
                session,
                editor,
                url="https://hooks.example.com/metalwire",
                events=["price.released"],
                allow_private=True,
                actor="t",
            )
            assert str(made.endpoint.id) == PATH_VALUES["webhook_id"]
            # The editor reads /api/v1/contributions as the demo's first contributor.
            link_user(session, "C-01", editor.email, actor="t")
            _governance(session, editor)
        yield db


def _governance(session: Session, editor: User) -> None:
    """An open consultation with a comment and a complaint: the demo has none to read."""
    proposal = Proposal(
        "spot-prices", "t", "s", "r", "# Spot prices\n\nv2\n", "题", "摘要", "理由", "# 现货价格\n"
    )
    made = consultations.propose(session, proposal, actor=editor.email, now=BUILT_AT)
    closes = BUILT_AT.date() + dt.timedelta(days=20)
    consultations.open_consultation(
        session, made.id, closes=closes, actor=editor.email, today=BUILT_AT.date()
    )
    consultations.comment(session, made.id, editor, "c", show_name=True, now=BUILT_AT)
    new = NewComplaint(ComplaintSubject.SERIES, DEFAULT_CODE, "c")
    complaints.log_complaint(session, editor, new, now=BUILT_AT)


@contextmanager
def _app(db: ScratchDatabase) -> Iterator[tuple[FastAPI, Engine]]:
    """An app of its own, on an engine of its own: nothing carried over from another route."""
    engine = create_db_engine(db.url)
    try:
        app = create_app(load_settings(database_url=db.url), engine=engine)
        app.state.clock = lambda: BUILT_AT
        yield app, engine
    finally:
        engine.dispose()


def _editor_session(db: ScratchDatabase) -> str:
    with transaction(db.sessions) as session:
        editor = accounts.get_user(session, "editor@metalwire.demo")
        assert editor is not None
        return accounts.start_session(session, editor)


def test_no_route_issues_more_statements_than_pinned(demo_db: ScratchDatabase) -> None:
    cookie = {"mw_session": _editor_session(demo_db)}
    with _app(demo_db) as (app, _), TestClient(app, cookies=cookie) as warm:
        # The editor's rate-limit window exists from here: no route pays for starting it.
        assert warm.get("/api/v1/catalog").status_code == 200
    counts: dict[str, int] = {}
    for path in get_routes():
        url = example_url(path)
        with transaction(demo_db.sessions) as session:
            # Each app leases a block of the editor's per-minute count and forgets it: a fresh
            # count (its window kept, so no route pays for starting it) for each.
            session.execute(update(RATE_WINDOW).values(count=1))
        with _app(demo_db) as (app, engine), TestClient(app, cookies=cookie) as client:
            with counting_statements(engine) as counter:
                answer = client.get(url, follow_redirects=False)
        assert answer.status_code < 400, (url, answer.status_code, answer.text[:300])
        counts[f"GET {path}"] = counter.count
    if REPIN:
        PINS.write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n")
        return
    pinned: dict[str, int] = json.loads(PINS.read_text())
    unpinned = sorted(counts.keys() - pinned.keys())
    assert not unpinned, f"routes without a pinned count (re-pin, see the docstring): {unpinned}"
    over = {
        route: f"{count} statements, pinned {pinned[route]}"
        for route, count in counts.items()
        if count > pinned[route]
    }
    assert not over, f"routes issue more statements than pinned: {over}"
