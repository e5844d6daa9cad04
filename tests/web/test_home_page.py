"""The home page (latest prices per group, reports, upcoming releases) and the corrections and
announcements page, through the access gate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from metalwire.accounts import service as accounts
from metalwire.accounts.gate import Principal, history_floor, may_read_tier
from metalwire.accounts.models import Role
from metalwire.catalog.models import PriceSeries
from metalwire.catalog.service import get_series
from metalwire.pricing.boards import BoardRow, active_series, latest_board
from metalwire.pricing.published import latest_published, release_state
from metalwire.pricing.review import approve_assessment, correct
from metalwire.web.body_cache import BodyCache
from tests import support
from tests.conftest import Desk, define_demo_series
from tests.newsroom.test_service import NOW, SECRET_EN, library
from tests.support import sign_in

__all__ = ["library"]  # the newsroom's fixture of published, draft and scheduled articles

SILVER, PREMIUM = "AG-INGOT-CN-SPOT", "AG-INGOT-CN-PREMIUM"
DAY = dt.date(2026, 11, 25)  # a Wednesday; silver is released at 11:30 Shanghai (03:30 UTC)
BEFORE = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
AFTER = dt.datetime(2026, 11, 25, 3, 31, tzinfo=dt.UTC)


# Approved two days before the morning the tests read at: every day here is released on time.
publish = partial(support.publish, approved_at=BEFORE - dt.timedelta(days=2))


def silver_two_days(desk: Desk) -> None:
    publish(desk, SILVER, DAY - dt.timedelta(days=1), [("7800", "5"), ("7810", "5"), ("7820", "5")])
    publish(desk, SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])


def premium_range(desk: Desk, at: dt.datetime) -> str:
    """The premium series' newest published range as the page writes it."""
    with desk.db.session() as session:
        series = get_series(session, PREMIUM)
        assert series is not None
        price = latest_published(session, [series], as_of=at)[series.id]
    return f"{price.low:,}–{price.high:,}"


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by the heading with this id."""
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.index("</section>", start)]


def test_released_prices_with_their_change_and_links(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    silver_two_days(desk)
    app.state.clock = lambda: AFTER
    html = client.get("/").text
    board = section(html, "prices-precious-metals")
    assert f'<a href="/series/{SILVER}">Silver ingot 1# (99.99%) Shanghai spot</a>' in board
    assert "7,840–7,860" in board and "7,850" in board
    assert '<td class="num up"><span aria-hidden="true">▲</span> +40 (+0.51%)</td>' in board
    assert 'href="/entry/silver"' in board  # the group's entries
    assert 'id="group-precious-metals"' in html  # the commodity cards stay (the nav's anchors)
    # Nothing of today's premium series was approved: past 11:30 it is overdue, on both pages.
    upcoming = section(html, "h-next")
    assert "Delayed publication" in upcoming and f'href="/series/{PREMIUM}"' in upcoming
    delays = section(client.get("/corrections").text, "h-delays")
    assert f'href="/series/{PREMIUM}"' in delays and f'href="/series/{SILVER}"' not in delays


def test_an_embargoed_price_is_not_on_the_home_page_but_its_release_time_is(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    silver_two_days(desk)
    app.state.clock = lambda: BEFORE  # today's price is approved, not yet released
    html = client.get("/").text
    assert "7,840" not in html and "7,850" not in html and "7,860" not in html
    assert "7,800–7,820" in html  # yesterday's is the latest released
    upcoming = section(html, "h-next")
    at = '<time datetime="2026-11-25T03:30:00+00:00">11:30</time>'
    assert at in upcoming and "Asia/Shanghai" in upcoming
    assert f'href="/series/{SILVER}"' in upcoming and "Delayed publication" not in upcoming
    assert '<time datetime="2026-11-25T16:30:00+00:00">16:30</time>' in upcoming  # London
    assert "Europe/London" in upcoming


def test_premium_prices_are_locked_for_readers_without_the_plan(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, PREMIUM, DAY, [("38", "200"), ("40", "200"), ("45", "200")])
    app.state.clock = lambda: AFTER
    figures = premium_range(desk, AFTER)
    anonymous = section(client.get("/").text, "prices-precious-metals")
    row = anonymous[anonymous.index(f'href="/series/{PREMIUM}"') :].split("</tr>")[0]
    assert "Subscribe to see this price" in row
    assert figures not in anonymous
    sign_in(client, desk.db, "buyer@mill.cn", role=Role.SUBSCRIBER, plan="subscriber")
    subscriber = section(client.get("/").text, "prices-precious-metals")
    assert figures in subscriber and "Subscribe to see this price" not in subscriber


def test_latest_reports_show_published_articles_only(
    library: Desk, app: FastAPI, client: TestClient
) -> None:
    app.state.clock = lambda: NOW
    reports = section(client.get("/").text, "h-reports")
    assert '<a href="/articles/silver-free">Silver output falls</a>' in reports
    assert '<a href="/articles/copper-note">Copper cathode premiums firm</a>' in reports
    premium = reports[reports.index("/articles/silver-premium") :].split("</li>")[0]
    assert "Premium silver outlook" in premium and "Premium</span>" in premium
    assert SECRET_EN not in reports  # titles only: no premium body
    assert "silver-draft" not in reports and "Silver draft unseen" not in reports
    assert "silver-scheduled" not in reports and "Silver scheduled later" not in reports
    zh = section(client.get("/", params={"lang": "zh"}).text, "h-reports")
    assert '<a href="/articles/silver-free">白银产量下降</a>' in zh


def test_corrections_are_announced_once_released_without_premium_figures(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])
    publish(desk, PREMIUM, DAY, [("38", "200"), ("40", "200"), ("45", "200")])
    corrected_at = AFTER + dt.timedelta(hours=5)
    with desk.db.transaction() as session:
        for code, low, high, reason in (
            (SILVER, "7845", "7870", "one deal was misreported"),
            (PREMIUM, "41", "47", "premium misquoted by a desk"),
        ):
            row = correct(
                session,
                code,
                DAY,
                low=Decimal(low),
                high=Decimal(high),
                reason=reason,
                user=desk.analyst,
            )
            approve_assessment(session, row.id, user=desk.editor, now=corrected_at)
    app.state.clock = lambda: corrected_at - dt.timedelta(seconds=1)  # approved, not released
    early = section(client.get("/corrections").text, "h-corrections")
    assert "No price has been corrected." in early and "misreported" not in early
    app.state.clock = lambda: corrected_at + dt.timedelta(minutes=1)
    html = section(client.get("/corrections").text, "h-corrections")
    silver = html[html.index(f'href="/series/{SILVER}"') :].split("</tr>")[0]
    assert "<del>7,840–7,860</del>" in silver and "<ins>7,845–7,870</ins>" in silver
    assert "one deal was misreported" in silver and "Nov 25, 2026" in silver
    premium = html[html.index(f'href="/series/{PREMIUM}"') :].split("</tr>")[0]
    assert "Subscribe to see this correction" in premium
    assert "41–47" not in html and "misquoted" not in html
    zh = client.get("/corrections", params={"lang": "zh"})
    assert zh.status_code == 200 and '<html lang="zh-CN">' in zh.text
    assert "1#白银(99.99%)上海现货" in zh.text and "2026年11月25日" in zh.text
    assert "<ins>7,845–7,870</ins>" in zh.text


def one_by_one(
    session: Session, principal: Principal, series_list: list[PriceSeries], now: dt.datetime
) -> list[BoardRow]:
    """The board from the pricing service's per-series reads: the reference latest_board must
    equal."""
    allowed = {
        s.id
        for s in series_list
        if may_read_tier(principal, s.tier.value, s.commodity.entry.group.code)
    }
    latest = latest_published(session, [s for s in series_list if s.id in allowed], as_of=now)
    floor = history_floor(principal, now.date())
    rows = []
    for s in series_list:
        price = latest.get(s.id)
        if price is not None and floor is not None and price.market_date < floor:
            price = None
        rows.append(BoardRow(s, release_state(session, s, now), s.id not in allowed, price))
    return rows


def test_the_set_wise_board_equals_the_per_series_reads_and_the_page_reads_a_fixed_number_of_times(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    silver_two_days(desk)
    publish(
        desk, PREMIUM, DAY - dt.timedelta(days=1), [("38", "200"), ("40", "200"), ("41", "200")]
    )
    publish(desk, PREMIUM, DAY, [("40", "200"), ("45", "200"), ("46", "200")])
    with desk.db.transaction() as session:
        buyer = accounts.add_user(
            session, "buyer@mill.cn", role=Role.SUBSCRIBER, plan="subscriber", actor="t"
        )
        callers = [accounts.anonymous_principal(session), accounts.principal_of(buyer)]
        series = active_series(session)
        for at in (BEFORE, AFTER, AFTER + dt.timedelta(days=3)):
            for principal in callers:
                fast = latest_board(session, principal, series, at)
                assert fast == one_by_one(session, principal, series, at), (at, principal)
        assert any(row.price and row.price.change for row in fast)  # not a vacuous equality

    app.state.clock = lambda: AFTER
    statements: list[str] = []
    event.listen(desk.db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client.get("/")  # warm: the CSRF cookie and the like
    statements.clear()
    assert client.get("/").status_code == 200
    cached = len(statements)  # the content was rendered by the first request this minute
    app.state.body_cache = BodyCache()
    app.state.navigation = None  # kept per content stamp: made anew like the content
    statements.clear()
    assert client.get("/").status_code == 200
    few = len(statements)
    assert cached < few
    define_demo_series(desk.db, "CU-CATHODE-CN-SPOT", "AL-A00-CN-SPOT", "ZN-0-CN-SPOT")
    statements.clear()
    assert client.get("/").status_code == 200  # new series: a new stamp, the content anew
    assert len(statements) == few, "the home page reads once per series"


def test_the_shared_content_follows_a_late_approval_within_the_minute_and_each_plan(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY - dt.timedelta(days=1), [("7800", "5"), ("7810", "5"), ("7820", "5")])
    app.state.clock = lambda: AFTER
    assert "7,850" not in client.get("/").text  # today's silver not assessed yet: delayed
    publish(desk, SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])  # approved late
    assert "7,850" in client.get("/").text  # same minute, new approval: the content anew
    publish(
        desk, PREMIUM, DAY - dt.timedelta(days=1), [("38", "200"), ("40", "200"), ("41", "200")]
    )
    anonymous = client.get("/").text
    sign_in(client, desk.db, "buyer@mill.cn", role=Role.SUBSCRIBER, plan="subscriber")
    assert premium_range(desk, AFTER) in client.get("/").text
    assert premium_range(desk, AFTER) not in anonymous
