"""Anonymous pages and feeds kept whole (web/shared_pages.py): the same bytes as the routes',
never older than what they show, never a signed-in reader's page, never past a release minute."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from metalwire.accounts.models import Plan
from metalwire.audit import record
from metalwire.catalog.models import CatalogEntry, Tier
from metalwire.catalog.schemas import SeriesDefinition
from metalwire.catalog.service import define_series
from metalwire.demo.series import demo_series
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.review import approve_day
from tests.conftest import Desk
from tests.web.test_price_pages import AFTER, BEFORE, DAY, SILVER, publish
from tests.web.test_signed_in_pages import signed_in

PAGES = ("/", "/entry/silver", f"/series/{SILVER}", "/feeds/precious-metals/rss")
TODAY = [("7840", "5"), ("7850", "5"), ("7860", "5")]  # today's deals: 7,850
RELEASE = dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC)  # 11:30 Shanghai, silver's release


def _hits(app: FastAPI) -> int:
    return int(app.state.shared_page_hits)


def _comparable(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k not in ("date", "server", "x-request-id")}


def test_a_second_anonymous_visitor_gets_the_routes_bytes(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY, TODAY)
    app.state.clock = lambda: AFTER
    for path in (*PAGES, "/?lang=zh"):
        first = client.get(path)
        assert first.status_code == 200, path
        before = _hits(app)
        client.cookies.clear()  # a second visitor, without the first one's language cookie
        again = client.get(path)
        assert _hits(app) == before + 1, f"{path} was not kept"
        assert again.content == first.content
        assert _comparable(dict(again.headers)) == _comparable(dict(first.headers))
    zh = client.get("/?lang=zh")
    client.cookies.clear()
    assert zh.headers["set-cookie"].startswith("lang=zh")  # the same for everyone asking so
    assert "content-security-policy" in zh.headers  # the outer layers still apply
    assert "gzip" in client.get("/").headers["content-encoding"]
    plain = client.get("/", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and b"metalwire" in plain.content


def test_a_release_or_an_approval_inside_the_minute_is_seen_at_once(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY - dt.timedelta(days=1), [("7800", "5"), ("7810", "5"), ("7820", "5")])
    # Approved in advance, released at 11:30: not shown at 11:29:59, shown at 11:30:00.
    publish(desk, SILVER, DAY, TODAY)
    app.state.clock = lambda: RELEASE - dt.timedelta(seconds=1)
    for path in PAGES[:3]:
        for _ in range(2):
            assert "7,850" not in client.get(path).text, path
    app.state.clock = lambda: RELEASE
    for path in PAGES[:3]:
        assert "7,850" in client.get(path).text, path
    # An approval in the same minute (the next day's price, released at once) moves the stamp.
    later = RELEASE + dt.timedelta(days=1, minutes=5)
    app.state.clock = lambda: later
    shown = client.get(f"/series/{SILVER}").text
    assert "7,950" not in shown
    desk.submit(SILVER, DAY + dt.timedelta(days=1), [("7940", "5"), ("7950", "5"), ("7960", "5")])
    with desk.db.transaction() as session:
        assess_day(session, DAY + dt.timedelta(days=1), user=desk.analyst)
        approve_day(session, DAY + dt.timedelta(days=1), user=desk.editor, now=later)
    assert "7,950" in client.get(f"/series/{SILVER}").text


def test_a_series_made_premium_is_locked_for_visitors_at_once(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY, TODAY)
    app.state.clock = lambda: AFTER
    for path in PAGES[:3]:
        client.get(path)
        assert "7,850" in client.get(path).text, path
    definition = next(d for d in demo_series() if d.code == SILVER).model_dump()
    definition["tier"] = Tier.PREMIUM.value
    with desk.db.transaction() as session:
        define_series(session, SeriesDefinition.model_validate(definition), actor="test")
    for path in PAGES[:3]:
        assert "7,850" not in client.get(path).text, path


def test_a_narrower_free_plan_takes_effect_at_once(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY - dt.timedelta(days=1), [("7800", "5"), ("7810", "5"), ("7820", "5")])
    publish(desk, SILVER, DAY, TODAY)
    app.state.clock = lambda: AFTER
    path = f"/series/{SILVER}?range=1M"
    client.get(path)
    assert "7,810" in client.get(path).text  # yesterday is inside the free window
    with desk.db.transaction() as session:
        plan = session.scalar(select(Plan).where(Plan.code == "free"))
        assert plan is not None
        data = json.loads(json.dumps(plan.entitlements))
        data["history_days"] = 0
        session.execute(update(Plan).where(Plan.code == "free").values(entitlements=data))
    assert "7,810" not in client.get(path).text


def test_signed_in_pages_never_reach_visitors_and_conditional_requests_go_to_the_routes(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY, TODAY)
    app.state.clock = lambda: AFTER
    token = signed_in(desk, "buyer@smelter.cn")
    for _ in range(3):
        mine = client.get("/", cookies={"mw_session": token})
        assert "buyer@smelter.cn" in mine.text
    client.cookies.clear()
    anonymous = client.get("/")
    assert "buyer@smelter.cn" not in anonymous.text and "Sign In" in anonymous.text
    assert "buyer@smelter.cn" not in client.get("/").text
    feed = client.get(PAGES[3])
    before = _hits(app)
    again = client.get(PAGES[3], headers={"if-none-match": feed.headers["etag"]})
    assert again.status_code == 304 and _hits(app) == before
    # Two Cookie headers: which one a route reads is not the layer's guess.
    client.get("/", headers=[("cookie", "lang=zh"), ("cookie", "lang=en")])  # type: ignore[arg-type]
    assert _hits(app) == before


def test_the_banner_page_is_kept_and_got_it_still_hides_it(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY, TODAY)
    app.state.clock = lambda: BEFORE
    client.get("/entry/silver")
    before = _hits(app)
    assert "stay tuned" in client.get("/entry/silver").text and _hits(app) == before + 1
    client.post("/banner/dismiss", data={"next": "/entry/silver"})
    assert "stay tuned" not in client.get("/entry/silver").text  # its cookie is in the key


def test_the_navigation_follows_an_audited_catalog_change(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY, TODAY)
    app.state.clock = lambda: AFTER
    client.cookies.set("mw_session", signed_in(desk, "nav@smelter.cn"))
    for _ in range(2):
        assert ">Silver</a>" in client.get(f"/series/{SILVER}").text
    with desk.db.transaction() as session:
        entry = session.scalar(select(CatalogEntry).where(CatalogEntry.code == "silver"))
        assert entry is not None
        entry.name_en = "Silver bullion"
        record(
            session,
            actor="t",
            action="update",
            object_type="catalog_entry",
            object_id="silver",
            after={"name_en": entry.name_en},
        )
    assert ">Silver bullion</a>" in client.get(f"/series/{SILVER}").text


def test_readers_arriving_together_get_one_answer_made_once(
    desk: Desk, app: FastAPI, live_server: str
) -> None:
    publish(desk, SILVER, DAY, TODAY)
    app.state.clock = lambda: AFTER

    async def together() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server, timeout=30) as client:
            return await asyncio.gather(*(client.get("/entry/silver") for _ in range(30)))

    answers = asyncio.run(together())
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert app.state.shared_page_hits == 29  # one made it, the others waited for it
