"""The series lifecycle over the API: an editor defines a series, changes its release time or
tier from a later date and discontinues it, each published as a notice; refusals name the
field, and nobody else may do any of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from metalwire.accounts.models import Role, Scope
from metalwire.audit import AuditEvent
from metalwire.catalog.lifecycle import release_time_on
from metalwire.catalog.service import get_series
from tests.conftest import Desk
from tests.pricing.test_api import bearer, key_for

SILVER = "AG-INGOT-CN-SPOT"  # free, 11:30 Asia/Shanghai
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
LATER = dt.date(2026, 11, 26)
NEW = {
    "code": "AG-TEST-NEW-SPOT",
    "commodity": "AG-1",
    "name_en": "Silver test",
    "name_zh": "白银测试",
    "kind": "outright",
    "unit": "kg",
    "currency": "CNY",
    "decimals": 0,
    "timezone": "Asia/Shanghai",
    "release_time": "11:30",
    "calendar": "CN",
    "methodology": "spot-prices",
}


@pytest.fixture
def editor(desk: Desk, app: FastAPI) -> dict[str, str]:
    app.state.clock = lambda: NOW
    return bearer(key_for(desk, "editor@desk.cn", Role.EDITOR, "enterprise", Scope.PUBLISH))


def _params(answer: Any) -> list[str]:
    return [p["name"] for p in answer.json().get("invalid_params") or []]


def test_an_editor_defines_a_series_with_a_notice(
    desk: Desk, client: TestClient, editor: dict[str, str]
) -> None:
    made = client.post("/api/v1/series", json=NEW, headers=editor)
    assert made.status_code == 201, made.text
    assert made.json()["code"] == NEW["code"] and made.json()["tier"] == "premium"
    assert client.get(f"/api/v1/series/{NEW['code']}").status_code == 200
    (notice,) = client.get("/api/v1/series-notices", params={"series": NEW["code"]}).json()
    assert notice["kind"] == "create"
    again = client.post("/api/v1/series", json=NEW, headers=editor)
    assert again.status_code == 409 and _params(again) == ["code"]
    bad = client.post(
        "/api/v1/series", json={**NEW, "code": "AG-X-Y", "unit": "bushel"}, headers=editor
    )
    assert bad.status_code == 422 and "unit" in bad.text
    with desk.db.session() as session:
        assert get_series(session, "AG-X-Y") is None
        actors = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.object_id == NEW["code"])
        ).all()
        assert set(actors) == {"editor@desk.cn"}


def test_a_change_from_a_later_date_is_announced_and_earlier_dates_keep_theirs(
    desk: Desk, client: TestClient, editor: dict[str, str]
) -> None:
    url = f"/api/v1/series/{SILVER}/changes"
    body = {"effective": LATER.isoformat(), "notice": "Silver at 10:00", "release_time": "10:00"}
    answer = client.post(url, json=body, headers=editor)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["before"], answer.json()["after"]) == ("11:30", "10:00")
    with desk.db.session() as session:
        series = get_series(session, SILVER)
        assert series is not None
        assert release_time_on(series, LATER - dt.timedelta(days=1)) == dt.time(11, 30)
        assert release_time_on(series, LATER) == dt.time(10, 0)
    listed = client.get("/api/v1/series-notices", params={"series": SILVER}).json()
    assert [n["notice"] for n in listed] == ["Silver at 10:00"]


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"effective": "2026-11-20", "notice": "n", "tier": "premium"}, "effective", 422),
        ({"effective": "2026-11-26", "notice": " ", "tier": "premium"}, "notice", 422),
        ({"effective": "2026-11-26", "notice": "n"}, "change", 422),
        (
            {"effective": "2026-11-26", "notice": "n", "tier": "premium", "release_time": "10:00"},
            "change",
            422,
        ),
        ({"effective": "2026-11-26", "notice": "n", "tier": "gold"}, "tier", 422),
        ({"notice": "n", "tier": "premium"}, "effective", 422),
    ],
)
def test_a_refused_change_names_its_field_and_writes_nothing(
    desk: Desk,
    client: TestClient,
    editor: dict[str, str],
    body: dict[str, str],
    field: str,
    status: int,
) -> None:
    answer = client.post(f"/api/v1/series/{SILVER}/changes", json=body, headers=editor)
    assert answer.status_code == status, answer.text
    assert field in " ".join(_params(answer)) or field in answer.text
    assert client.get("/api/v1/series-notices").json() == []


def test_a_discontinuation_is_announced_and_ends_later_changes(
    desk: Desk, client: TestClient, editor: dict[str, str]
) -> None:
    body = {"effective": LATER.isoformat(), "notice": "Silver ends on the 26th"}
    answer = client.post(f"/api/v1/series/{SILVER}/discontinuation", json=body, headers=editor)
    assert answer.status_code == 201 and answer.json()["kind"] == "discontinue", answer.text
    change = {**body, "tier": "premium"}
    refused = client.post(f"/api/v1/series/{SILVER}/changes", json=change, headers=editor)
    assert refused.status_code == 409 and "discontinued" in refused.text
    unknown = client.post("/api/v1/series/NO-SUCH/discontinuation", json=body, headers=editor)
    assert unknown.status_code == 404


def test_only_an_editor_with_a_publish_key_changes_series(
    desk: Desk, client: TestClient, editor: dict[str, str]
) -> None:
    analyst = bearer(key_for(desk, "analyst@desk.cn", Role.ANALYST, "enterprise", Scope.SUBMIT))
    read_only = bearer(key_for(desk, "editor@desk.cn", Role.EDITOR, "enterprise"))
    subscriber = bearer(key_for(desk, "buyer@mill.cn", Role.SUBSCRIBER, "subscriber"))
    change = {"effective": LATER.isoformat(), "notice": "n", "tier": "premium"}
    writes = [
        ("/api/v1/series", NEW),
        (f"/api/v1/series/{SILVER}/changes", change),
        (f"/api/v1/series/{SILVER}/discontinuation", {"effective": "2026-11-26", "notice": "n"}),
    ]
    for url, body in writes:
        assert client.post(url, json=body).status_code == 401, url
        for headers in (analyst, read_only, subscriber):
            assert client.post(url, json=body, headers=headers).status_code == 403, url
    assert client.get("/api/v1/series-notices").json() == []
