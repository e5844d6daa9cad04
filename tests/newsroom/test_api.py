"""The articles API and pages on both databases: search and read through the gate (a premium body
never reaches a reader without the plan), drafts and scheduled articles invisible, analysts draft
reports, editors publish them."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope
from tests.conftest import Desk
from tests.newsroom.test_service import (
    NOW,
    PERIOD,
    SECRET_EN,
    SECRET_ZH,
    SURVEY,
    Market,
    library,
    market,
)

__all__ = ["library", "market"]  # fixtures shared with the service tests

CALLERS = {
    "reader": (Role.READER, "free", Scope.READ),
    "subscriber": (Role.SUBSCRIBER, "subscriber", Scope.READ),
    "analyst": (Role.ANALYST, "enterprise", Scope.SUBMIT),
    "editor": (Role.EDITOR, "enterprise", Scope.PUBLISH),
}


def keys(desk: Desk) -> dict[str, dict[str, str]]:
    """Authorization headers per caller (the desk's analyst and editor get their own keys)."""
    out: dict[str, dict[str, str]] = {"anonymous": {}}
    with desk.db.transaction() as session:
        for caller, (role, plan, scope) in CALLERS.items():
            email = {"analyst": desk.analyst.email, "editor": desk.editor.email}.get(
                caller, f"{caller}-api@mill.cn"
            )
            if accounts.get_user(session, email) is None:
                accounts.add_user(session, email, role=role, plan=plan, actor="t")
            secret = accounts.create_api_key(session, email, scope, actor="t").secret
            out[caller] = {"Authorization": f"Bearer {secret}"}
    return out


@pytest.fixture
def api(app: FastAPI, library: Desk) -> tuple[TestClient, dict[str, dict[str, str]]]:
    app.state.clock = lambda: NOW
    return TestClient(app), keys(library)


def test_search_in_both_languages_over_the_api(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, auth = api
    answer = client.get("/api/v1/articles", params={"q": "白银"})
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert {i["slug"] for i in items} == {"silver-free", "silver-premium"}
    premium = next(i for i in items if i["slug"] == "silver-premium")
    assert premium["locked"] is True and premium["body_html"] is None
    assert premium["generated_from"] is None and premium["body_markdown"] is None
    free = next(i for i in items if i["slug"] == "silver-free")
    assert free["locked"] is False and "Henan" in (free["body_html"] or "")
    assert free["generated_from"][0]["href"] == f"/api/v1/surveys/{SURVEY}/stats?period={PERIOD}"
    zh = client.get("/api/v1/articles", params={"q": "白银", "lang": "zh"}).json()["items"]
    assert {i["lang"] for i in zh} == {"zh"}
    assert client.get("/api/v1/articles", params={"q": "白银", "lang": "en"}).json()["items"] == []
    english = client.get("/api/v1/articles", params={"q": "Yangshan"}).json()["items"]
    assert [i["slug"] for i in english] == ["copper-note"]
    tagged = client.get("/api/v1/articles", params={"tag": "base-metals"}).json()["items"]
    assert [i["slug"] for i in tagged] == ["copper-note"]
    # Drafts and scheduled articles are not there, for staff neither.
    for caller in ("anonymous", "editor"):
        listed = client.get("/api/v1/articles", headers=auth[caller]).json()["items"]
        assert {i["slug"] for i in listed} == {"silver-free", "silver-premium", "copper-note"}


@pytest.mark.parametrize("caller", ["anonymous", "reader"])
def test_premium_bodies_never_reach_readers_without_the_plan(
    api: tuple[TestClient, dict[str, dict[str, str]]], caller: str
) -> None:
    client, auth = api
    headers = auth[caller]
    for q in (SECRET_EN, SECRET_ZH, "悄然", "tightening"):
        answer = client.get("/api/v1/articles", params={"q": q}, headers=headers)
        assert answer.json()["items"] == [], q
    for url in (
        "/api/v1/articles",
        "/api/v1/articles?q=silver",
        "/api/v1/articles?q=白银&lang=zh",
        "/api/v1/articles/silver-premium",
        "/api/v1/articles/silver-premium?lang=zh",
        "/articles/silver-premium",
        "/articles/silver-premium?lang=zh",
        "/search?q=白银",
    ):
        if url.startswith("/api/"):
            response = client.get(url, headers=headers)
        else:
            client.cookies.clear()
            response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        assert SECRET_EN not in response.text and SECRET_ZH not in response.text, url
    one = client.get("/api/v1/articles/silver-premium", headers=headers).json()
    assert one["locked"] and one["title"] == "Premium silver outlook"
    assert one["summary"] == "A look at spot premiums."


def test_a_subscriber_reads_the_premium_body_and_its_sources(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, auth = api
    headers = auth["subscriber"]
    found = client.get("/api/v1/articles", params={"q": "悄然"}, headers=headers).json()["items"]
    assert [i["slug"] for i in found] == ["silver-premium"]
    one = client.get("/api/v1/articles/silver-premium?lang=zh", headers=headers).json()
    assert not one["locked"] and SECRET_ZH in one["body_html"]
    assert one["generated_from"][0]["source_ref"] == "AG-OUT/2025-10/v1#production"
    assert one["languages"] == ["en", "zh"] and one["lang"] == "zh"


def test_drafts_and_scheduled_articles_look_absent_until_their_time(
    app: FastAPI, api: tuple[TestClient, dict[str, dict[str, str]]]
) -> None:
    client, auth = api
    for slug in ("silver-draft", "silver-scheduled", "no-such-article"):
        for caller in ("anonymous", "subscriber", "editor"):
            answer = client.get(f"/api/v1/articles/{slug}", headers=auth[caller])
            assert answer.status_code == 404, (slug, caller)
            assert answer.headers["content-type"].startswith("application/problem+json")
        assert client.get(f"/articles/{slug}").status_code == 404
    app.state.clock = lambda: NOW + dt.timedelta(hours=6)
    assert client.get("/api/v1/articles/silver-scheduled").json()["status"] == "published"
    assert client.get("/api/v1/articles/silver-draft").status_code == 404


def test_pages_cursor_and_etag(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, _ = api
    first = client.get("/api/v1/articles", params={"limit": 2})
    body = first.json()
    assert len(body["items"]) == 2 and body["next"]
    assert first.headers["link"] == f'<{body["next"]}>; rel="next"'
    second = client.get(body["next"]).json()
    assert len(second["items"]) == 1 and second["next"] is None
    slugs = [i["slug"] for i in body["items"] + second["items"]]
    assert len(set(slugs)) == 3
    forged = client.get("/api/v1/articles", params={"cursor": "bm9wZQ"})
    assert forged.status_code == 422
    etag = first.headers["etag"]
    again = client.get("/api/v1/articles", params={"limit": 2}, headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_article_page_shows_sources_or_a_paywall(
    api: tuple[TestClient, dict[str, dict[str, str]]], library: Desk
) -> None:
    client, _ = api
    free = client.get("/articles/silver-free")
    assert free.status_code == 200
    html = free.text
    assert "<h1>Silver output falls</h1>" in html and "Henan smelters cut." in html
    assert "Sources" in html
    assert f'href="/api/v1/surveys/{SURVEY}/stats?period={PERIOD}"' in html
    locked = client.get("/articles/silver-premium").text
    assert "The full report is for subscribers" in locked and 'href="/plans?next=' in locked
    assert "Sources" not in locked and "Sign in or subscribe to read it." in locked
    with library.db.transaction() as session:
        free_reader = accounts.get_user(session, "free@mill.cn") or accounts.add_user(
            session, "free@mill.cn", role=Role.READER, plan="free", actor="t"
        )
        client.cookies.set("mw_session", accounts.start_session(session, free_reader))
    told = client.get("/articles/silver-premium").text
    assert "The Subscriber plan opens this." in told and "Sources" not in told
    assert "订阅套餐可查看此内容。" in client.get("/articles/silver-premium?lang=zh").text
    client.cookies.clear()
    zh = client.get("/articles/silver-free", params={"lang": "zh"}).text
    assert "白银产量下降" in zh and "来源" in zh
    with library.db.transaction() as session:
        user = accounts.get_user(session, "buyer@mill.cn") or accounts.add_user(
            session, "buyer@mill.cn", role=Role.SUBSCRIBER, plan="subscriber", actor="t"
        )
        token = accounts.start_session(session, user)
    client.cookies.set("mw_session", token)
    opened = client.get("/articles/silver-premium", params={"lang": "zh"}).text
    assert SECRET_ZH in opened and "订阅" not in opened.split("<main")[1].split("</main>")[0]
    client.cookies.clear()
    results = client.get("/search", params={"q": "白银"}).text
    assert "/articles/silver-free" in results and "/articles/silver-premium" in results
    assert "silver-draft" not in results


def test_analysts_draft_reports_and_editors_publish(app: FastAPI, market: Market) -> None:
    app.state.clock = lambda: NOW
    client = TestClient(app)
    auth = keys(market.desk)
    body = {"survey": SURVEY, "period": PERIOD}
    assert client.post("/api/v1/reports/production", json=body).status_code == 401
    refused = client.post("/api/v1/reports/production", json=body, headers=auth["reader"])
    assert refused.status_code == 403
    drafted = client.post("/api/v1/reports/production", json=body, headers=auth["analyst"])
    assert drafted.status_code == 201, drafted.text
    article = drafted.json()
    assert article["status"] == "draft" and article["tier"] == "premium"
    assert article["generated_from"] and article["slug"] == "ag-out-2025-10"
    slug = article["slug"]
    assert client.get(f"/api/v1/articles/{slug}").status_code == 404
    # Each kind names what it needs; unknown inputs are 404.
    missing = client.post("/api/v1/reports/daily", json=body, headers=auth["analyst"])
    assert missing.status_code == 422
    assert {p["name"] for p in missing.json()["invalid_params"]} == {"group", "date"}
    unknown = client.post(
        "/api/v1/reports/production",
        json={"survey": "NOPE", "period": PERIOD},
        headers=auth["analyst"],
    )
    assert unknown.status_code == 404
    daily = client.post(
        "/api/v1/reports/daily",
        json={"group": "precious-metals", "date": "2026-11-25"},
        headers=auth["analyst"],
    )
    assert daily.status_code == 201 and daily.json()["slug"] == "precious-metals-prices-2026-11-25"
    # Publishing is for editors.
    publish = f"/api/v1/articles/{slug}/publish"
    assert client.post(publish, headers=auth["analyst"]).status_code == 403
    later = (NOW + dt.timedelta(hours=1)).isoformat()
    scheduled = client.post(publish, json={"publish_at": later}, headers=auth["editor"])
    assert scheduled.status_code == 200 and scheduled.json()["status"] == "scheduled"
    assert client.get(f"/api/v1/articles/{slug}").status_code == 404
    past = client.post(
        "/api/v1/articles/precious-metals-prices-2026-11-25/publish",
        json={"publish_at": "2020-01-01T00:00:00Z"},
        headers=auth["editor"],
    )
    assert past.status_code == 422 and past.json()["invalid_params"][0]["name"] == "publish_at"
    assert client.post("/api/v1/articles/nope/publish", headers=auth["editor"]).status_code == 404
    app.state.clock = lambda: NOW + dt.timedelta(hours=2)
    anonymous = client.get(f"/api/v1/articles/{slug}").json()
    assert anonymous["status"] == "published" and anonymous["locked"]
    assert anonymous["body_html"] is None
    subscriber = client.get(f"/api/v1/articles/{slug}", headers=auth["subscriber"]).json()
    assert subscriber["body_html"] and subscriber["generated_from"]
    # Once published, an analyst's redraft that would change it is a conflict (nothing to
    # change here: the same data gives the same text).
    again = client.post("/api/v1/reports/production", json=body, headers=auth["analyst"])
    assert again.status_code == 201 and again.json()["revision"] == 1


def test_the_client_reads_articles_through_the_gate(
    app: FastAPI, library: Desk, live_server: str
) -> None:
    from metalwire.client import Client

    app.state.clock = lambda: NOW
    headers = keys(library)
    with Client(live_server) as anonymous:
        frame = anonymous.articles()
        assert not frame.empty
        locked = frame[frame["tier"] == "premium"]
        assert locked["locked"].all() and locked["body_markdown"].isna().all()
    subscriber_key = headers["subscriber"]["Authorization"].removeprefix("Bearer ")
    with Client(live_server, api_key=subscriber_key) as subscriber:
        opened = subscriber.articles()
        slug = opened.index[0]
        article = subscriber.article(slug)
        assert article["locked"] is False and article["generated_from"]
