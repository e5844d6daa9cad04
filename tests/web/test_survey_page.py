"""Survey pages show released statistics through the gate: nothing before its release time,
nothing above the reader's plan or before its history; both languages; revisions marked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, User
from metalwire.catalog.models import Tier
from metalwire.i18n import translations
from metalwire.newsroom import service as newsroom
from metalwire.newsroom.publishing import publish
from metalwire.newsroom.reports import draft_production_report
from metalwire.supply import service
from metalwire.supply.models import ReleaseStatus
from metalwire.supply.returns import add_returns
from metalwire.supply.schemas import ReturnIn
from metalwire.web.charts import bar_chart
from tests.conftest import ScratchDatabase
from tests.support import sign_in

CODE = "AG-OUT"
URL = f"/surveys/{CODE}"
# Output in mt: September 6,000 (3,000 + 2,000 + 1,000), October 5,700 (-300, -5.00 %).
PANEL = {
    "HN-1": ("Henan One", "Henan", "lead-smelter by-product", "36000"),
    "YN-1": ("Yunnan One", "Yunnan", "copper-smelter by-product", "24000"),
    "SD-1": ("Shandong One", "Shandong", "primary", "12000"),
}
# period: respondent: (production, inventory, forecast_next, reasons)
RETURNS: dict[str, dict[str, tuple[str, str, str, list[str]]]] = {
    "2025-09": {
        "HN-1": ("3000", "400", "2900", []),
        "YN-1": ("2000", "300", "2000", []),
        "SD-1": ("1000", "200", "1000", []),
    },
    "2025-10": {
        "HN-1": ("2900", "200", "2800", ["maintenance"]),
        "YN-1": ("1800", "150", "1500", ["maintenance", "inventory-count"]),
        "SD-1": ("1000", "100", "1000", []),
    },
}
# October's statistics come out on the 31st at 20:00 Shanghai (12:00 UTC).
BEFORE_OCT = dt.datetime(2025, 10, 31, 11, 0, tzinfo=dt.UTC)
AFTER_OCT = dt.datetime(2025, 10, 31, 13, 0, tzinfo=dt.UTC)


def _returns(period: str, changes: dict[str, str] | None = None) -> list[ReturnIn]:
    items = []
    for respondent, (production, inventory, forecast, reasons) in RETURNS[period].items():
        name, province, kind, capacity = PANEL[respondent]
        items.append(
            ReturnIn(
                period=period,
                respondent=respondent,
                name=name,
                province=province,
                producer_type=kind,
                capacity=Decimal(capacity),
                production=Decimal((changes or {}).get(respondent, production)),
                inventory=Decimal(inventory),
                forecast_next=Decimal(forecast),
                reasons=reasons,
            )
        )
    return items


def build_survey(db: ScratchDatabase, tier: Tier) -> User:
    """The survey with September and October released on their schedule; returns the editor."""
    with db.transaction() as session:
        survey = service.create_survey(
            session,
            CODE,
            entry="silver",
            unit="mt",
            name_en="Silver ingot output",
            name_zh="白银锭产量",
            tier=tier,
            actor="t",
        )
        editor = accounts.add_user(
            session, "editor@desk.cn", role=Role.EDITOR, plan="enterprise", actor="t"
        )
        for period in RETURNS:
            add_returns(session, survey, _returns(period), actor="t")
            service.release(
                session,
                survey,
                period,
                status=ReleaseStatus.PRELIMINARY,
                user=editor,
                now=dt.datetime(2025, 10, 1, tzinfo=dt.UTC),
            )
    return editor


def test_released_figures_show_formatted_with_breakdowns(
    db: ScratchDatabase, app: FastAPI, client: TestClient
) -> None:
    build_survey(db, Tier.FREE)
    app.state.clock = lambda: AFTER_OCT
    response = client.get(URL)
    assert response.status_code == 200
    html = response.text
    assert "5,700.00 mt" in html  # the default period is the latest released: October
    assert '<span class="down">▼ -300.00 (-5.00%)</span>' in html
    assert "Released Oct 31, 2025 20:00" in html and "Version 1" in html
    assert "Output by province, 2025-10" in html  # the table's caption
    for province, volume in (
        ("Henan", "2,900.00"),
        ("Yunnan", "1,800.00"),
        ("Shandong", "1,000.00"),
    ):
        assert f'<th scope="row">{province}</th>\n      <td class="num">{volume}</td>' in html
    assert html.count('class="chart bars"') == 2  # provinces and producer types
    assert "lead-smelter by-product" in html and "Operating rate" in html
    assert "Forecast for next month" in html and "5,300.00 mt" in html  # 2,800 + 1,500 + 1,000
    assert "Respondents reporting" in html and "/api/v1/surveys/AG-OUT/stats?period=2025-10" in html
    # An anonymous reader has no export right: the downloads are offered with a plan.
    assert "format=csv" not in html and "come with the Subscriber" in html


def test_a_release_shows_only_from_its_release_time(
    db: ScratchDatabase, app: FastAPI, client: TestClient
) -> None:
    build_survey(db, Tier.FREE)
    sign_in(client, db, "s@x.io", role=Role.SUBSCRIBER, plan="subscriber")
    app.state.clock = lambda: BEFORE_OCT
    html = client.get(URL).text
    assert "6,000.00 mt" in html and "5,700" not in html  # September, October not out yet
    assert 'value="2025-10"' not in html and 'value="2025-09" selected' in html
    early = client.get(URL, params={"period": "2025-10"})
    assert early.status_code == 404
    assert "No statistics have been released for 2025-10." in early.text
    assert "5,700" not in early.text and "5,300" not in early.text
    assert client.get("/surveys").text.count("?period=2025-09") == 1

    app.state.clock = lambda: AFTER_OCT
    html = client.get(URL).text
    assert "5,700.00 mt" in html and 'value="2025-10" selected' in html
    assert "format=csv" in html  # a subscriber may download the history
    assert "?period=2025-10" in client.get("/surveys").text


def test_the_chinese_page(db: ScratchDatabase, app: FastAPI, client: TestClient) -> None:
    build_survey(db, Tier.FREE)
    app.state.clock = lambda: AFTER_OCT
    html = client.get(URL, params={"lang": "zh"}).text
    zh = translations("zh").gettext
    assert '<html lang="zh-CN">' in html and "<h1>白银锭产量</h1>" in html
    assert "5,700.00 吨" in html and "2025年10月31日 20:00" in html
    assert '<th scope="row">河南</th>' in html and '<th scope="row">铅冶炼副产</th>' in html
    assert f'<th scope="col" class="num">{zh("Share")}</th>' in html and zh("Share") == "占比"
    for heading in ("Headline figures", "Output by province", "Output by producer type"):
        assert f">{zh(heading)}</h2>" in html
    assert "检修" in html  # the reason code, named in Chinese


def test_a_premium_survey_is_locked_below_the_plan(
    db: ScratchDatabase, app: FastAPI, client: TestClient
) -> None:
    build_survey(db, Tier.PREMIUM)
    app.state.clock = lambda: AFTER_OCT
    anonymous = client.get(URL, params={"period": "2025-10"})
    assert anonymous.status_code == 200  # the survey with its paywall, never an error page
    assert "This survey is for subscribers" in anonymous.text and "/plans?next=" in anonymous.text
    assert "Sign in or subscribe to read it." in anonymous.text
    for figure in ("5,700", "6,000", "2,900", "<path", "<polyline", "<rect"):
        assert figure not in anonymous.text
    assert 'class="chart history locked"' in anonymous.text  # the frame, nothing drawn
    sign_in(client, db, "reader@x.io", role=Role.READER, plan="free")
    free = client.get(URL)
    assert free.status_code == 200 and "Upgrade your plan" in free.text and "5,700" not in free.text
    assert "The Subscriber plan opens this." in free.text
    client.cookies.clear()
    sign_in(client, db, "s@x.io", role=Role.SUBSCRIBER, plan="subscriber")
    subscriber = client.get(URL)
    assert subscriber.status_code == 200 and "5,700.00 mt" in subscriber.text


def test_bad_period_and_history_beyond_the_plan(
    db: ScratchDatabase, app: FastAPI, client: TestClient
) -> None:
    build_survey(db, Tier.FREE)
    app.state.clock = lambda: AFTER_OCT
    bad = client.get(URL, params={"period": "2025-13"})
    assert bad.status_code == 422
    assert "Period: give a month as YYYY-MM" in bad.text and 'aria-invalid="true"' in bad.text
    # The free plan reads 30 days back, measured from each month's release: on Nov 15,
    # October (out Oct 31) is in, September (out Sep 30) is not.
    app.state.clock = lambda: AFTER_OCT + dt.timedelta(days=15)
    assert client.get(URL, params={"period": "2025-10"}).status_code == 200
    old = client.get(URL, params={"period": "2025-09"})
    assert old.status_code == 200 and "before your plan" in old.text  # a paywall, not an error
    assert "6,000" not in old.text and "3,000" not in old.text
    sign_in(client, db, "reader@x.io", role=Role.READER, plan="free")
    told = client.get(URL, params={"period": "2025-09"})
    assert told.status_code == 200 and "The Subscriber plan opens this." in told.text
    assert "6,000" not in told.text


def test_a_revision_is_marked_and_the_report_linked_once_published(
    db: ScratchDatabase, app: FastAPI, client: TestClient
) -> None:
    editor = build_survey(db, Tier.FREE)
    later = dt.datetime(2025, 11, 3, tzinfo=dt.UTC)
    with db.transaction() as session:
        survey = service.require_survey(session, CODE)
        add_returns(session, survey, _returns("2025-10", {"SD-1": "1100"}), actor="t")
        service.release(
            session, survey, "2025-10", status=ReleaseStatus.FINAL, user=editor, now=later
        )
        article = draft_production_report(
            session, CODE, "2025-10", actor=editor.email, user=editor, now=later
        )
        slug = article.slug
    sign_in(client, db, "s@x.io", role=Role.SUBSCRIBER, plan="subscriber")
    app.state.clock = lambda: later + dt.timedelta(hours=1)
    html = client.get(URL).text
    assert "5,800.00 mt" in html and "Version 2" in html and "Revised" in html
    assert "Versions of this period" in html and "5,700.00" in html  # the earlier one kept
    assert f"/articles/{slug}" not in html  # a draft is not a report yet
    with db.transaction() as session:
        publish(session, newsroom.require_article(session, slug), user=editor, now=later)
    assert f'<a href="/articles/{slug}">' in client.get(URL).text


def test_bar_chart_draws_rows_and_negative_bars() -> None:
    svg = bar_chart(
        [("Henan <A>", Decimal(300), "300"), ("Yunnan", Decimal(-100), "-100")], title="t"
    )
    assert svg.count("<rect ") == 2 and 'class="bar negative"' in svg
    assert "Henan &lt;A&gt;" in svg and bar_chart([], title="t") == ""


def test_the_entry_page_carries_the_headline_figures_and_the_report(
    db: ScratchDatabase, app: FastAPI, client: TestClient
) -> None:
    editor = build_survey(db, Tier.FREE)
    app.state.clock = lambda: AFTER_OCT
    html = client.get("/entry/silver").text
    assert f'<a href="/surveys/{CODE}">Silver ingot output</a>' in html
    assert "5,700.00 mt" in html and "▼ -5.00%" in html  # October, and its fall from September
    with db.transaction() as session:
        article = draft_production_report(
            session, CODE, "2025-10", actor=editor.email, user=editor, now=AFTER_OCT
        )
        slug = article.slug
    assert f"/articles/{slug}" not in client.get("/entry/silver").text  # a draft
    with db.transaction() as session:
        article = newsroom.require_article(session, slug)
        publish(session, article, user=editor, now=AFTER_OCT)
    reports = client.get("/entry/silver").text.split('class="entry-reports"')[1]
    assert f'<a href="/articles/{slug}">' in reports
    zh = client.get("/entry/silver", params={"lang": "zh"}).text
    assert "白银锭产量" in zh and "环比" in zh


def test_the_entry_page_locks_a_premium_survey(
    db: ScratchDatabase, app: FastAPI, client: TestClient
) -> None:
    build_survey(db, Tier.PREMIUM)
    app.state.clock = lambda: AFTER_OCT
    html = client.get("/entry/silver").text
    assert "Subscribe to see these figures" in html and "5,700" not in html
