"""The series page: released history only, through the gate (tier, history, embargo, export)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import partial

from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.accounts.models import Role
from metalwire.pricing.review import approve_assessment, correct
from metalwire.web.charts import history_chart
from tests import support
from tests.conftest import Desk
from tests.support import sign_in

SILVER, PREMIUM = "AG-INGOT-CN-SPOT", "AG-INGOT-CN-PREMIUM"
DAY = dt.date(2026, 11, 25)  # a Wednesday
BEFORE = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # 11:00 Shanghai, release at 11:30
AFTER = dt.datetime(2026, 11, 25, 3, 31, tzinfo=dt.UTC)
OLD_DAY = DAY - dt.timedelta(days=63)  # older than a month (and than the free plan's 30 days)


# Approved two days before the morning the tests read at (OLD_DAY's price thus released late).
publish = partial(support.publish, approved_at=BEFORE - dt.timedelta(days=2))


def price_table(html: str) -> str:
    """The prices-in-range table (the monthly averages below it span 12 months, not the range)."""
    start = html.index("Prices, newest first")
    return html[start : html.index("</table>", start)]


def test_released_prices_only_and_the_release_state(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY - dt.timedelta(days=1), [("7800", "5"), ("7810", "5"), ("7820", "5")])
    publish(desk, SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])
    app.state.clock = lambda: BEFORE
    before = client.get(f"/series/{SILVER}")
    assert before.status_code == 200
    html = before.text
    assert "7,810" in html and "Expected soon" in html
    # Today's price is under embargo: not in the table, the chart's data or the explanation.
    assert "7850" not in html and "7,850" not in html and "7860" not in html
    assert html.count("<path") == 1 and 'id="price-chart"' in html
    assert 'href="/entry/silver"' in html and 'href="/methodology/' in html
    app.state.clock = lambda: AFTER
    html = client.get(f"/series/{SILVER}").text
    assert "7,840" in html and "7,850" in html and "Expected soon" not in html
    assert re.search(r'class="num up">▲ \+40</td>', html)
    assert 'data-values="7810 7850"' in html
    # The entry page's board links here.
    assert f'href="/series/{SILVER}"' in client.get("/entry/silver").text


def test_range_links_change_the_window_within_the_plan_history(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, OLD_DAY, [("7500", "5"), ("7510", "5"), ("7520", "5")])
    publish(desk, SILVER, DAY - dt.timedelta(days=1), [("7800", "5"), ("7810", "5"), ("7820", "5")])
    app.state.clock = lambda: AFTER
    # Anonymous readers have the free plan's 30 days, whatever range they ask for.
    anonymous = client.get(f"/series/{SILVER}?range=1Y").text
    assert "7,510" not in price_table(anonymous) and "Your plan shows prices from" in anonymous
    sign_in(client, desk.db, "sub@example.cn", role=Role.SUBSCRIBER, plan="subscriber")
    month = client.get(f"/series/{SILVER}?range=1M").text
    assert "7,510" not in price_table(month) and "7,810" in price_table(month)
    assert 'data-values="7810"' in month  # the chart's one point
    assert "Your plan shows prices from" not in month  # the range, not the plan, cut it
    assert "7,510.00" in month  # the monthly averages still cover the last 12 months
    assert re.search(r'data-range="1M" aria-current="true"', month)
    year = client.get(f"/series/{SILVER}?range=1Y").text
    assert "7,510" in price_table(year) and "7,810" in price_table(year)
    assert 'data-values="7510 7810"' in year
    assert re.search(r'data-range="1Y" aria-current="true"', year)
    assert 'data-range="1M" aria-current' not in year
    assert client.get(f"/series/{SILVER}?range=2W").status_code == 422


def test_premium_series_locked_for_anonymous_and_open_to_a_subscriber(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(
        desk, PREMIUM, DAY - dt.timedelta(days=1), [("371", "200"), ("382", "200"), ("393", "200")]
    )
    app.state.clock = lambda: AFTER
    locked = client.get(f"/series/{PREMIUM}")
    # A price service shows the series with its paywall, never an error page.
    assert locked.status_code == 200
    assert "This price series is for subscribers" in locked.text and "/sign-in?next=" in locked.text
    assert "Sign in or subscribe to read it." in locked.text
    assert "371" not in locked.text and "393" not in locked.text and "382" not in locked.text
    assert "price-chart" not in locked.text and "How this price was assessed" not in locked.text
    # The definition: unit, release time, methodology, and the chart's frame with nothing drawn.
    assert "Released at" in locked.text and 'href="/methodology/' in locked.text
    assert 'class="chart history locked"' in locked.text and "<path" not in locked.text
    assert "data-values" not in locked.text and "plan opens this" not in locked.text
    sign_in(client, desk.db, "free@example.cn", role=Role.READER, plan="free")
    free = client.get(f"/series/{PREMIUM}")
    assert free.status_code == 200 and "The Subscriber plan opens this." in free.text
    assert "371" not in free.text and "Upgrade your plan" in free.text
    zh = client.get(f"/series/{PREMIUM}", params={"lang": "zh"})
    assert "订阅套餐可查看此内容。" in zh.text and "371" not in zh.text
    client.cookies.clear()
    sign_in(client, desk.db, "sub@example.cn", role=Role.SUBSCRIBER, plan="subscriber")
    opened = client.get(f"/series/{PREMIUM}")
    assert opened.status_code == 200 and "371–393" in opened.text


def test_how_the_latest_released_price_was_assessed(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    yesterday = DAY - dt.timedelta(days=1)
    publish(
        desk,
        SILVER,
        yesterday,
        [("7800", "5"), ("7810", "5"), ("7820", "5")],
        judgment=("7790", "7830", "Thin trade after the holiday"),
    )
    publish(desk, SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])
    app.state.clock = lambda: BEFORE
    html = client.get(f"/series/{SILVER}").text
    section = html[html.index("How this price was assessed") :]
    assert "Analyst judgment" in section and "Thin trade after the holiday" in section
    assert "3 used, 0 excluded" in section and "Nov 24, 2026" in section
    assert "Nov 25, 2026" not in html  # the embargoed assessment is never explained
    app.state.clock = lambda: AFTER
    section = client.get(f"/series/{SILVER}").text.split("How this price was assessed")[1]
    assert "Transaction-based" in section and "Nov 25, 2026" in section
    # A correction shows once approved and released, never as a draft.
    with desk.db.transaction() as session:
        draft = correct(
            session,
            SILVER,
            DAY,
            low=Decimal("7845"),
            high=Decimal("7865"),
            reason="A late deal",
            user=desk.analyst,
        )
    app.state.clock = lambda: AFTER + dt.timedelta(hours=2)
    assert "A late deal" not in client.get(f"/series/{SILVER}").text
    with desk.db.transaction() as session:
        approve_assessment(session, draft.id, user=desk.editor, now=AFTER + dt.timedelta(hours=1))
    html = client.get(f"/series/{SILVER}").text
    notices = html[html.index("Published corrections") :]
    assert "7,840–7,860" in notices and "7,845–7,865" in notices and "A late deal" in notices
    assert "corrected, version 2" in html and "7,855" in price_table(html)


def test_chinese_page(desk: Desk, app: FastAPI, client: TestClient) -> None:
    publish(desk, SILVER, DAY - dt.timedelta(days=1), [("7800", "5"), ("7810", "5"), ("7820", "5")])
    app.state.clock = lambda: AFTER
    response = client.get(f"/series/{SILVER}", params={"lang": "zh"})
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.text and "2026年11月24日" in response.text
    assert "元/千克" in response.text or "元/公斤" in response.text
    # The engine's explanation in the reader's language (it read "Transaction-based: 3 deals").
    section = response.text.split('id="how-h"')[1].split("</section>")[0]
    assert "基于成交：3笔成交" in section and 'lang="zh-CN"' in section
    assert "Transaction-based" not in response.text
    english = client.get(f"/series/{SILVER}", params={"lang": "en"}).text
    assert "Transaction-based: 3 deals" in english
    # The API gives both.
    listing = client.get(f"/api/v1/series/{SILVER}/prices").json()["items"][-1]
    detail = client.get(f"/api/v1/assessments/{listing['assessment_id']}").json()
    assert detail["explanation"].startswith("Transaction-based")
    assert detail["explanation_zh"].startswith("基于成交") and detail["lang"] == "en"
    # Asked in Chinese, the explanation is the Chinese one (asked explicitly: a browser's
    # language never changes what a shared API answer says).
    url = f"/api/v1/assessments/{listing['assessment_id']}"
    chinese = client.get(url, params={"lang": "zh"}).json()
    assert chinese["explanation"].startswith("基于成交：3笔成交") and chinese["lang"] == "zh"
    assert "Transaction-based" not in chinese["explanation"]
    assert client.get(url, headers={"Accept-Language": "zh-CN"}).json()["lang"] == "en"
    assert client.get(url, params={"lang": "fr"}).status_code == 422


def test_downloads_follow_the_export_right(desk: Desk, app: FastAPI, client: TestClient) -> None:
    publish(desk, SILVER, DAY - dt.timedelta(days=1), [("7800", "5"), ("7810", "5"), ("7820", "5")])
    app.state.clock = lambda: AFTER
    free = client.get(f"/series/{SILVER}").text
    assert "format=csv" not in free and "Downloads (CSV and Excel) come with" in free
    sign_in(client, desk.db, "sub@example.cn", role=Role.SUBSCRIBER, plan="subscriber")
    html = client.get(f"/series/{SILVER}?range=3M").text
    start = (AFTER.date() - dt.timedelta(days=92)).isoformat()
    csv_url = f"/api/v1/series/{SILVER}/prices?format=csv&amp;start={start}"
    assert csv_url in html and csv_url.replace("csv", "xlsx") in html
    export = client.get(csv_url.replace("&amp;", "&"))
    assert export.status_code == 200 and "7810" in export.text


def test_unknown_and_not_yet_released_series_are_not_found(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])
    app.state.clock = lambda: BEFORE
    assert client.get("/series/NO-SUCH-SERIES").status_code == 404
    embargoed = client.get(f"/series/{SILVER}")
    assert embargoed.status_code == 404 and "7,850" not in embargoed.text
    app.state.clock = lambda: AFTER
    assert client.get(f"/series/{SILVER}").status_code == 200


def test_a_long_history_is_one_thinned_path_that_keeps_its_spikes() -> None:
    start = dt.date(2006, 1, 2)
    points = [
        ((start + dt.timedelta(days=i)).isoformat(), Decimal(7000 + i % 50)) for i in range(5000)
    ]
    points[3333] = (points[3333][0], Decimal(9999))  # one spike in twenty years
    svg = str(history_chart(points, title="t", max_points=1300))
    assert svg.count("<path") == 1
    path = re.search(r' d="([^"]+)"', svg)
    assert path and 600 <= path.group(1).count("L") + 1 <= 1300
    values = re.search(r'data-values="([^"]+)"', svg)
    assert values and "9999" in values.group(1).split()
    assert history_chart(points[:300], title="t").count("L") == 299  # short: every day drawn


def test_the_series_content_is_made_once_per_plan_and_follows_an_approval_within_the_minute(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    """At the release instant every reader asks for the same series page: its content is made
    once per plan, language and minute (fewer statements for the second reader), and an
    approval within the minute (a correction) shows at once."""
    from sqlalchemy import event

    publish(desk, SILVER, DAY - dt.timedelta(days=1), [("7800", "5"), ("7810", "5"), ("7820", "5")])
    app.state.clock = lambda: AFTER
    statements: list[str] = []
    event.listen(desk.db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client.get(f"/series/{SILVER}")  # the first reader of the minute makes the content
    statements.clear()
    first = client.get(f"/series/{SILVER}").text
    shared = len(statements)
    statements.clear()
    assert client.get(f"/series/{SILVER}", params={"lang": "zh"}).status_code == 200
    assert len(statements) > shared  # another language: made anew
    with desk.db.transaction() as session:
        draft = correct(
            session,
            SILVER,
            DAY - dt.timedelta(days=1),
            low=Decimal("7805"),
            high=Decimal("7825"),
            reason="A deal reported late",
            user=desk.analyst,
        )
        approve_assessment(session, draft.id, user=desk.editor, now=AFTER)
    again = client.get(f"/series/{SILVER}").text
    assert "A deal reported late" not in first and "A deal reported late" in again
    sign_in(client, desk.db, "buyer@mill.cn", role=Role.SUBSCRIBER, plan="subscriber")
    subscriber = client.get(f"/series/{SILVER}").text
    assert "buyer@mill.cn" in subscriber and "buyer@mill.cn" not in again
