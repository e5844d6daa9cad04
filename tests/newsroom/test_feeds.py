"""RSS 2.0 and Atom feeds per catalog group and language, parsed back with feedparser, on both
databases: published articles only, premium items with their summary only for readers without
the plan."""

from __future__ import annotations

import datetime as dt

import feedparser
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope
from tests.conftest import Desk
from tests.newsroom.test_service import NOW, SECRET_EN, SECRET_ZH, library

__all__ = ["library"]  # the fixture shared with the service tests


@pytest.fixture
def client(app: FastAPI, library: Desk) -> TestClient:
    app.state.clock = lambda: NOW
    return TestClient(app)


def subscriber_key(desk: Desk) -> dict[str, str]:
    with desk.db.transaction() as session:
        accounts.add_user(
            session, "feeds@mill.cn", role=Role.SUBSCRIBER, plan="subscriber", actor="t"
        )
        secret = accounts.create_api_key(session, "feeds@mill.cn", Scope.READ, actor="t").secret
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_feeds_parse_back_with_titles_entries_and_links(client: TestClient, kind: str) -> None:
    response = client.get(f"/feeds/all/{kind}", params={"lang": "en"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(f"application/{kind}+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == ("rss20" if kind == "rss" else "atom10")
    assert feed.feed.title == "metalwire · All reports"
    assert feed.feed.language == "en"
    titles = [e.title for e in feed.entries]
    assert set(titles) == {
        "Silver output falls",
        "Premium silver outlook",
        "Copper cathode premiums firm",
    }
    for entry in feed.entries:
        assert entry.link.startswith("http://testserver/articles/")
        assert entry.link.endswith("?lang=en")
        assert entry.summary
        assert entry.published_parsed is not None
    # Newest first.
    assert titles[0] == "Copper cathode premiums firm"
    free = next(e for e in feed.entries if e.title == "Silver output falls")
    assert "Henan smelters cut." in free.content[0].value
    premium = next(e for e in feed.entries if e.title == "Premium silver outlook")
    assert premium.summary == "A look at spot premiums."
    assert "content" not in premium
    assert SECRET_EN not in response.text and SECRET_ZH not in response.text
    # Drafts and scheduled articles are not in any feed.
    assert "Silver draft unseen" not in response.text and "scheduled later" not in response.text


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_group_feed_in_chinese(client: TestClient, kind: str) -> None:
    response = client.get(f"/feeds/precious-metals/{kind}", params={"lang": "zh"})
    feed = feedparser.parse(response.content)
    assert not feed.bozo
    assert feed.feed.title == "metalwire · 贵金属"
    assert feed.feed.language == "zh-CN"
    assert {e.title for e in feed.entries} == {"白银产量下降", "白银升水展望"}
    assert all(e.link.endswith("?lang=zh") for e in feed.entries)
    assert SECRET_ZH not in response.text
    base = feedparser.parse(client.get(f"/feeds/base-metals/{kind}?lang=zh").content)
    assert [e.title for e in base.entries] == ["铜升水走强"]
    assert client.get(f"/feeds/unobtainium/{kind}").status_code == 404


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_a_subscribers_feed_carries_premium_bodies(
    client: TestClient, library: Desk, kind: str
) -> None:
    headers = subscriber_key(library)
    response = client.get(f"/feeds/all/{kind}", params={"lang": "zh"}, headers=headers)
    feed = feedparser.parse(response.content)
    premium = next(e for e in feed.entries if e.title == "白银升水展望")
    assert SECRET_ZH in premium.content[0].value
    assert response.headers["cache-control"].startswith("private")


def test_scheduled_articles_join_the_feed_at_their_time(app: FastAPI, client: TestClient) -> None:
    app.state.clock = lambda: NOW + dt.timedelta(hours=6)
    feed = feedparser.parse(client.get("/feeds/all/atom?lang=en").content)
    assert "Silver scheduled later" in {e.title for e in feed.entries}
    assert "Silver draft unseen" not in {e.title for e in feed.entries}


def test_an_empty_feed_is_still_a_valid_feed(app: FastAPI, desk: Desk) -> None:
    client = TestClient(app)
    for kind in ("rss", "atom"):
        feed = feedparser.parse(client.get(f"/feeds/all/{kind}").content)
        assert not feed.bozo and feed.entries == [] and feed.feed.title
