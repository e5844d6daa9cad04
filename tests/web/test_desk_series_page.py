"""The desk's series page and the public notice: an editor defines, changes and discontinues
series from the desk (refusals beside their fields, an analyst told who may), and a pending
change shows on the series page, in English and Chinese, to every reader."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from metalwire.catalog.models import SeriesChange
from metalwire.catalog.service import get_series
from tests import support
from tests.conftest import Desk, ScratchDatabase
from tests.pricing.conftest import AFTER_RELEASE, BEFORE_RELEASE, DAY, PREMIUM, SILVER
from tests.web.test_desk_pages import sign_in

LATER = DAY + dt.timedelta(days=3)


@pytest.fixture
def desk_app(app: FastAPI, desk: Desk) -> FastAPI:
    app.state.clock = lambda: BEFORE_RELEASE  # the desk's day is DAY
    return app


def _notices(db: ScratchDatabase) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count(SeriesChange.id))) or 0)


def _field_error(html: str, form: str, field: str) -> str:
    found = re.search(rf'id="{form}-{field}-error">([^<]*)<', html)
    return found.group(1) if found else ""


def test_an_editor_changes_a_series_from_the_desk(desk_app: FastAPI, desk: Desk) -> None:
    client = TestClient(desk_app)
    csrf = sign_in(client, desk.db, desk.editor.email)
    page = client.get("/desk/series")
    assert page.status_code == 200 and f'data-series="{SILVER}"' in page.text
    form = {"csrf_token": csrf, "code": SILVER, "effective": LATER.isoformat()}
    done = client.post(
        "/desk/series/changes",
        data={**form, "what": "release_time", "release_time": "10:00", "notice": "Earlier"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/desk/series?done=changed"
    listed = client.get("/desk/series").text
    row = re.search(rf'id="series-{SILVER}".*?</tr>', listed, re.S)
    assert row and "10:00" in row.group(0) and "Release time" in row.group(0)
    gone = client.post("/desk/series/discontinuation", data={**form, "notice": "Ends"})
    assert gone.status_code == 200 and "Discontinuation announced" in gone.text
    with desk.db.session() as session:
        series = get_series(session, SILVER)
        assert series is not None and len(series.changes) == 2


def test_a_refused_desk_form_names_its_field_and_writes_nothing(
    desk_app: FastAPI, desk: Desk
) -> None:
    client = TestClient(desk_app)
    csrf = sign_in(client, desk.db, desk.editor.email)
    form = {"csrf_token": csrf, "code": SILVER, "what": "tier", "tier": "premium"}
    past = client.post(
        "/desk/series/changes", data={**form, "effective": DAY.isoformat(), "notice": "n"}
    )
    assert past.status_code == 422 and "in advance" in _field_error(
        past.text, "change", "effective"
    )
    silent = client.post("/desk/series/changes", data={**form, "effective": LATER.isoformat()})
    assert silent.status_code == 422 and "notice" in _field_error(silent.text, "change", "notice")
    unknown = client.post(
        "/desk/series/discontinuation",
        data={"csrf_token": csrf, "code": "NO-SUCH", "effective": LATER.isoformat(), "notice": "n"},
    )
    assert unknown.status_code == 404 and "NO-SUCH" in _field_error(
        unknown.text, "discontinue", "code"
    )
    bad = client.post(
        "/desk/series",
        data={"csrf_token": csrf, "code": "AG-NEW-TEST", "unit": "bushel", "decimals": "9"},
    )
    assert bad.status_code == 422
    assert "unknown unit" in _field_error(bad.text, "create", "unit")
    assert _field_error(bad.text, "create", "decimals") and _field_error(
        bad.text, "create", "name_en"
    )
    assert _notices(desk.db) == 0


def test_an_editor_defines_a_series_and_an_analyst_is_told_who_may(
    desk_app: FastAPI, desk: Desk
) -> None:
    client = TestClient(desk_app)
    fields = {
        "code": "AG-NEW-TEST",
        "commodity": "AG-1",
        "name_en": "Silver test",
        "name_zh": "白银测试",
        "kind": "outright",
        "unit": "kg",
        "currency": "CNY",
        "decimals": "0",
        "timezone": "Asia/Shanghai",
        "release_time": "11:30",
        "calendar": "CN",
        "tier": "free",
        "methodology": "spot-prices",
    }
    csrf = sign_in(client, desk.db, desk.analyst.email)
    refused = client.post("/desk/series", data={"csrf_token": csrf, **fields})
    assert refused.status_code == 403 and "Only an editor may change series." in refused.text
    assert _notices(desk.db) == 0
    csrf = sign_in(client, desk.db, desk.editor.email)
    made = client.post("/desk/series", data={"csrf_token": csrf, **fields})
    assert made.status_code == 200 and "Series defined" in made.text
    assert client.get("/api/v1/series/AG-NEW-TEST").json()["tier"] == "free"
    no_token = client.post("/desk/series", data=fields)
    assert no_token.status_code == 403


def test_a_pending_change_is_a_notice_on_the_series_page_in_both_languages(
    app: FastAPI, desk: Desk
) -> None:
    support.publish(desk, SILVER, DAY, [("7840", "1"), ("7850", "1"), ("7860", "1")])
    support.publish(desk, PREMIUM, DAY, [("38", "200"), ("40", "300"), ("45", "150")])
    client = TestClient(app)
    app.state.clock = lambda: AFTER_RELEASE
    assert "data-series-notice" not in client.get(f"/series/{SILVER}").text
    editor = TestClient(app)
    csrf = sign_in(editor, desk.db, desk.editor.email)
    for code, what in ((SILVER, {"what": "tier", "tier": "premium"}), (PREMIUM, {})):
        path = "/desk/series/changes" if what else "/desk/series/discontinuation"
        form = {"csrf_token": csrf, "code": code, "effective": LATER.isoformat(), **what}
        assert editor.post(path, data={**form, "notice": f"Notice {code}"}).status_code == 200
    app.state.clock = lambda: AFTER_RELEASE + dt.timedelta(minutes=2)  # past the kept minute
    english = client.get(f"/series/{SILVER}").text
    assert "For subscribers from" in english and f"Notice {SILVER}" in english
    chinese = client.get(f"/series/{SILVER}", headers={"Accept-Language": "zh-CN"}).text
    assert "起" in chinese and f"Notice {SILVER}" in chinese and "For subscribers" not in chinese
    locked = client.get(f"/series/{PREMIUM}").text  # above the anonymous plan: still told
    assert 'data-series-notice="discontinue"' in locked and f"Notice {PREMIUM}" in locked
    app.state.clock = lambda: dt.datetime.combine(LATER, dt.time(4), tzinfo=dt.UTC)
    assert "data-series-notice" not in client.get(f"/series/{PREMIUM}").text  # in force now
