"""The fast path for cached price histories answers exactly as the full route, and gives way to
it whenever something the answer depends on has changed."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.review import approve_day
from tests.pricing.conftest import AFTER_RELEASE, DAY, PREMIUM, SILVER, Desk
from tests.pricing.test_api import DEALS, PREMIUM_DEALS, bearer, key_for, publish

URL = f"/api/v1/series/{SILVER}/prices"
HEADERS = ("etag", "cache-control", "vary", "content-type", "content-length", "link")


@pytest.fixture
def released(desk: Desk, app: FastAPI) -> Desk:
    publish(desk, SILVER, DAY - dt.timedelta(days=1), DEALS)
    publish(desk, PREMIUM, DAY - dt.timedelta(days=1), PREMIUM_DEALS)
    app.state.clock = lambda: AFTER_RELEASE
    return desk


def test_the_fast_answer_is_the_full_answer(released: Desk, app: FastAPI) -> None:
    key = bearer(key_for(released, "fast@metals.cn", Role.SUBSCRIBER, "subscriber"))
    client = TestClient(app)
    for query in ("", "?limit=1&lang=zh"):
        hits = app.state.fast_history_hits
        full = client.get(URL + query, headers=key)
        assert app.state.fast_history_hits == hits  # a miss: the full route answers and caches
        fast = client.get(URL + query, headers=key)
        assert app.state.fast_history_hits == hits + 1
        assert fast.content == full.content and fast.status_code == 200
        assert {h: fast.headers.get(h) for h in HEADERS} == {
            h: full.headers.get(h) for h in HEADERS
        }
        assert fast.headers["x-ratelimit-limit"] == "600"
    again = client.get(URL + query, headers={**key, "If-None-Match": fast.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_a_release_passing_and_a_late_approval_reach_the_reader(
    released: Desk, app: FastAPI, client: TestClient
) -> None:
    client.get(URL)
    assert [r["date"] for r in client.get(URL).json()["items"]] == ["2026-11-24"]
    assert app.state.fast_history_hits == 1
    # Today's price approved, released at 11:30: the clock passing it changes the answer.
    publish(released, SILVER, DAY, DEALS)
    assert [r["date"] for r in client.get(URL).json()["items"]] == ["2026-11-24", "2026-11-25"]
    # An older day approved late, released at once: nothing moved in time, yet it shows.
    late = DAY - dt.timedelta(days=4)
    released.submit(SILVER, late, DEALS)
    with released.db.transaction() as session:
        assess_day(session, late, user=released.analyst, series_code=SILVER)
    client.get(URL)
    with released.db.transaction() as session:
        approve_day(session, late, user=released.editor, series_code=SILVER, now=AFTER_RELEASE)
    assert late.isoformat() in [r["date"] for r in client.get(URL).json()["items"]]


def test_revoked_keys_and_downgraded_plans_take_effect_at_once(
    released: Desk, app: FastAPI, client: TestClient
) -> None:
    premium = f"/api/v1/series/{PREMIUM}/prices"
    secret = key_for(released, "buyer@metals.cn", Role.SUBSCRIBER, "subscriber")
    for _ in range(2):
        assert client.get(premium, headers=bearer(secret)).status_code == 200
    assert app.state.fast_history_hits == 1
    with released.db.transaction() as session:
        accounts.set_plan(session, "buyer@metals.cn", "free", actor="t")
    assert client.get(premium, headers=bearer(secret)).status_code == 403
    with released.db.transaction() as session:
        key = accounts.user_api_keys(session, accounts.get_user(session, "buyer@metals.cn"))[0]  # type: ignore[arg-type]
        accounts.revoke_api_key(session, key.id, actor="t")
    assert client.get(URL, headers=bearer(secret)).status_code == 401


def test_the_rate_limit_counts_fast_answers(released: Desk, app: FastAPI) -> None:
    client = TestClient(app)  # the clock stands still (released): all in one minute
    statuses = [client.get(URL).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    assert app.state.fast_history_hits == 59
    assert client.get(URL).headers["retry-after"]


def test_session_cookies_and_as_of_take_the_full_route(released: Desk, app: FastAPI) -> None:
    client = TestClient(app)
    for _ in range(2):
        assert client.get(URL + "?as_of=2026-11-25T04:00:00Z").status_code == 200
    with released.db.transaction() as session:
        user = accounts.add_user(
            session, "desk@metals.cn", role=Role.READER, plan="free", actor="t"
        )
        client.cookies.set("mw_session", accounts.start_session(session, user))
    for _ in range(2):
        assert client.get(URL).status_code == 200
    assert app.state.fast_history_hits == 0


LATEST = "/api/v1/prices/latest"


def test_the_fast_latest_prices_are_the_full_answer(released: Desk, app: FastAPI) -> None:
    key = bearer(key_for(released, "poll@metals.cn", Role.SUBSCRIBER, "subscriber"))
    client = TestClient(app)
    for query in ("", "?group=precious-metals", "?entry=silver&lang=zh"):
        hits = app.state.fast_history_hits
        full = client.get(LATEST + query, headers=key)
        assert full.status_code == 200 and app.state.fast_history_hits == hits
        fast = client.get(LATEST + query, headers=key)
        assert app.state.fast_history_hits == hits + 1, query
        assert fast.content == full.content
        assert {h: fast.headers.get(h) for h in HEADERS} == {
            h: full.headers.get(h) for h in HEADERS
        }
        assert fast.headers["cache-control"] == "private, max-age=30"
    anonymous = client.get(LATEST)
    again = client.get(LATEST)
    assert again.content == anonymous.content and again.headers["cache-control"].startswith(
        "public"
    )
    assert app.state.fast_history_hits == hits + 2
    # What the route refuses or reads otherwise stays with it.
    for query in ("?lang=fr", "?group=nickel-alloys", "?group=a&group=b", "?limit=3"):
        client.get(LATEST + query, headers=key)
        client.get(LATEST + query, headers=key)
    assert app.state.fast_history_hits == hits + 2
    assert client.get(LATEST + "?group=nickel-alloys", headers=key).status_code == 422


def test_latest_prices_follow_the_release_and_the_plan_at_once(
    released: Desk, app: FastAPI, client: TestClient
) -> None:
    secret = key_for(released, "trader@metals.cn", Role.SUBSCRIBER, "subscriber")

    def shown() -> dict[str, object]:
        rows = client.get(LATEST, headers=bearer(secret)).json()
        return {r["series"]: r["price"] and r["price"]["date"] for r in rows}

    assert shown()[PREMIUM] == "2026-11-24" and shown()[SILVER] == "2026-11-24"
    publish(released, SILVER, DAY, DEALS)  # approved in the same minute: released at once
    assert shown()[SILVER] == "2026-11-25"
    with released.db.transaction() as session:
        accounts.set_plan(session, "trader@metals.cn", "free", actor="t")
    assert shown()[PREMIUM] is None  # locked: no premium digit leaves


def test_a_fast_answer_records_the_keys_last_use_as_the_route_would(
    released: Desk, app: FastAPI
) -> None:
    secret = key_for(released, "poller@metals.cn", Role.SUBSCRIBER, "subscriber")
    client = TestClient(app)
    client.get(URL, headers=bearer(secret))  # the route: caches the body, records the use
    long_ago = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with released.db.transaction() as session:
        key = accounts.user_api_keys(session, accounts.get_user(session, "poller@metals.cn"))[0]  # type: ignore[arg-type]
        key.last_used_at = long_ago
    hits = app.state.fast_history_hits
    assert client.get(URL, headers=bearer(secret)).status_code == 200
    assert app.state.fast_history_hits == hits + 1  # answered in front of the framework
    with released.db.transaction() as session:
        key = accounts.user_api_keys(session, accounts.get_user(session, "poller@metals.cn"))[0]  # type: ignore[arg-type]
        assert key.last_used_at is not None and key.last_used_at > long_ago + dt.timedelta(days=300)
