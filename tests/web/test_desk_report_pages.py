"""The desk's report and survey pages on both databases: staff only, reports drafted from released
data and edited into new revisions, editors publish and release, a bad returns file stores
nothing and names its rows, and every form needs its CSRF token."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from metalwire.newsroom import reports
from metalwire.newsroom import service as newsroom
from metalwire.newsroom.models import ArticleStatus
from metalwire.supply import service as supply
from metalwire.supply.models import SurveyRelease, SurveyReturn
from tests.newsroom.test_service import NOW, PERIOD, SURVEY, Market, market
from tests.support import sign_in

__all__ = ["market"]  # the newsroom's released survey and prices, shared

SLUG = "ag-out-2025-10"
NEXT = "2025-11"  # a period with no returns yet
HEADER = (
    "survey,period,respondent,name,province,producer_type,capacity,"
    "production,inventory,forecast_next,reasons,note\n"
)
GOOD_ROWS = [
    f"{SURVEY},{NEXT},HN-1,,,,,280,18,275,,\n",
    f"{SURVEY},{NEXT},YN-1,,,,,190,14,190,maintenance,\n",
    f"{SURVEY},{NEXT},SD-1,,,,,100,10,100,,\n",
]


@pytest.fixture
def pages(app: FastAPI, client: TestClient, market: Market) -> TestClient:
    app.state.clock = lambda: NOW
    return client


def token_of(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def returns_count(market: Market, period: str) -> int:
    with market.db.transaction() as session:
        return int(
            session.scalar(select(func.count(SurveyReturn.id)).where(SurveyReturn.period == period))
            or 0
        )


def upload(client: TestClient, csrf: str, text: str, period: str = NEXT) -> httpx.Response:
    return client.post(
        "/desk/surveys/returns",
        data={"csrf_token": csrf, "survey": SURVEY, "period": period},
        files={"file": ("returns.csv", text.encode(), "text/csv")},
        follow_redirects=False,
    )


def test_the_desk_pages_are_for_staff(pages: TestClient, market: Market) -> None:
    for url in ("/desk/reports", f"/desk/reports/{SLUG}", "/desk/surveys"):
        answer = pages.get(url, follow_redirects=False)
        assert answer.status_code == 303, url
        assert answer.headers["location"].startswith("/sign-in?next=" + url), url
    sign_in(pages, market.db, market.reader.email)
    for url in ("/desk/reports", f"/desk/reports/{SLUG}", "/desk/surveys"):
        assert pages.get(url).status_code == 403, url
    # A reader's form post is refused by the role, whatever the page would have shown.
    csrf = token_of(pages, "/")
    posted = pages.post(
        "/desk/reports",
        data={"csrf_token": csrf, "kind": "production", "survey": SURVEY, "period": PERIOD},
    )
    assert posted.status_code == 403
    with market.db.transaction() as session:
        assert newsroom.get_article(session, SLUG) is None


def test_analyst_drafts_and_edits_a_report_editor_publishes(
    pages: TestClient, market: Market
) -> None:
    sign_in(pages, market.db, market.desk.analyst.email)
    csrf = token_of(pages, "/desk/reports")
    # An unreleased period: the refusal names the field, nothing is drafted.
    refused = pages.post(
        "/desk/reports",
        data={"csrf_token": csrf, "kind": "production", "survey": SURVEY, "period": NEXT},
    )
    assert refused.status_code == 422
    assert 'id="report-errors"' in refused.text and "no released statistics" in refused.text
    drafted = pages.post(
        "/desk/reports",
        data={"csrf_token": csrf, "kind": "production", "survey": SURVEY, "period": PERIOD},
        follow_redirects=False,
    )
    assert drafted.status_code == 303
    assert drafted.headers["location"] == f"/desk/reports/{SLUG}?done=drafted"
    listed = pages.get("/desk/reports").text
    assert f'id="report-{SLUG}"' in listed and 'data-status="draft"' in listed
    edit = pages.get(f"/desk/reports/{SLUG}").text
    assert f"{SURVEY}/{PERIOD}/v1" in edit  # the provenance of its figures
    assert f'href="/api/v1/surveys/{SURVEY}/stats?period={PERIOD}"' in edit
    assert edit.count('class="revision"') == 2  # one per language
    with market.db.transaction() as session:
        article = newsroom.require_article(session, SLUG)
        en, zh = (newsroom.translation(article, lang) for lang in ("en", "zh"))
        facts_before = en.facts
        form = {
            "csrf_token": csrf,
            "title_en": "Silver output eases in October",
            "summary_en": en.summary,
            "body_en": en.body_markdown + "\n\nEdited on the desk.",
            "title_zh": zh.title,
            "summary_zh": zh.summary,
            "body_zh": zh.body_markdown,
        }
    # A missing title is named next to its field; nothing is stored.
    empty = pages.post(f"/desk/reports/{SLUG}", data={**form, "title_en": " "})
    assert empty.status_code == 422 and 'id="report-errors"' in empty.text
    assert 'id="edit-title_en-error"' in empty.text
    saved = pages.post(f"/desk/reports/{SLUG}", data=form, follow_redirects=False)
    assert saved.headers["location"] == f"/desk/reports/{SLUG}?done=saved"
    with market.db.transaction() as session:
        article = newsroom.require_article(session, SLUG)
        assert [r.revision for r in newsroom.revisions(session, article, "en")] == [1, 2]
        assert [r.revision for r in newsroom.revisions(session, article, "zh")] == [1]
        en = newsroom.translation(article, "en")
        assert en.title == "Silver output eases in October" and en.facts == facts_before
    # The analyst may not publish: said on the page, and the draft stays a draft.
    refused = pages.post(f"/desk/reports/{SLUG}/publish", data={"csrf_token": csrf})
    assert refused.status_code == 403
    assert 'id="publish-errors"' in refused.text and "Only an editor" in refused.text
    sign_in(pages, market.db, market.desk.editor.email)
    csrf = token_of(pages, f"/desk/reports/{SLUG}")  # tokens belong to a session
    past = pages.post(
        f"/desk/reports/{SLUG}/publish", data={"csrf_token": csrf, "publish_at": "2020-01-01T08:00"}
    )
    assert past.status_code == 422 and "in the past" in past.text
    published = pages.post(
        f"/desk/reports/{SLUG}/publish", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert published.headers["location"] == f"/desk/reports/{SLUG}?done=published"
    with market.db.transaction() as session:
        assert newsroom.require_article(session, SLUG).status is ArticleStatus.PUBLISHED
    pages.cookies.clear()
    assert "Silver output eases in October" in pages.get(f"/articles/{SLUG}").text


def test_a_publish_time_without_offset_is_shanghai_time(pages: TestClient, market: Market) -> None:
    with market.db.transaction() as session:
        reports.draft_production_report(session, SURVEY, PERIOD, actor="t", now=NOW)
    sign_in(pages, market.db, market.desk.editor.email)
    csrf = token_of(pages, f"/desk/reports/{SLUG}")
    scheduled = pages.post(
        f"/desk/reports/{SLUG}/publish",
        data={"csrf_token": csrf, "publish_at": "2026-11-26T11:30"},
        follow_redirects=False,
    )
    assert scheduled.headers["location"] == f"/desk/reports/{SLUG}?done=scheduled"
    with market.db.transaction() as session:
        article = newsroom.require_article(session, SLUG)
        assert article.publish_at == dt.datetime(2026, 11, 26, 3, 30, tzinfo=dt.UTC)
    page = pages.get(f"/desk/reports/{SLUG}").text
    assert 'data-status="scheduled"' in page and "2026-11-26T11:30+08:00" in page


def test_a_bad_returns_file_names_its_rows_and_stores_nothing(
    pages: TestClient, market: Market
) -> None:
    sign_in(pages, market.db, market.desk.analyst.email)
    csrf = token_of(pages, "/desk/surveys")
    bad = HEADER + GOOD_ROWS[0] + f"{SURVEY},{NEXT},YN-1,,,,,-5,14,190,,\n" + GOOD_ROWS[2]
    answer = upload(pages, csrf, bad)
    assert answer.status_code == 422
    html = answer.text
    assert 'id="returns-errors"' in html and "row 3: production: must not be negative" in html
    assert returns_count(market, NEXT) == 0
    # A row of another period is the wrong file: refused whole, the row named.
    other = HEADER + GOOD_ROWS[0] + GOOD_ROWS[1].replace(NEXT, "2025-12")
    answer = upload(pages, csrf, other)
    assert answer.status_code == 422
    assert "row 3: period:" in answer.text
    assert returns_count(market, NEXT) == 0
    stored = upload(pages, csrf, HEADER + "".join(GOOD_ROWS))
    assert stored.status_code == 303
    assert returns_count(market, NEXT) == 3
    shown = pages.get(stored.headers["location"]).text
    assert 'id="returns-stored"' in shown and 'data-added="3"' in shown
    assert 'id="period-production"' in shown and "570" in shown  # 280 + 190 + 100, computed


def test_editors_release_a_period_then_its_report_can_be_drafted(
    pages: TestClient, market: Market
) -> None:
    sign_in(pages, market.db, market.desk.analyst.email)
    csrf = token_of(pages, "/desk/surveys")
    assert upload(pages, csrf, HEADER + "".join(GOOD_ROWS)).status_code == 303
    form = {"csrf_token": csrf, "survey": SURVEY, "period": NEXT, "status": "final"}
    refused = pages.post("/desk/surveys/release", data=form)
    assert refused.status_code == 403 and 'id="release-errors"' in refused.text
    sign_in(pages, market.db, market.desk.editor.email)
    csrf = token_of(pages, "/desk/surveys")  # tokens belong to a session: the editor's own
    form = {**form, "csrf_token": csrf}
    released = pages.post("/desk/surveys/release", data=form, follow_redirects=False)
    assert released.status_code == 303
    page = pages.get(released.headers["location"]).text
    assert 'id="release-done"' in page and 'data-version="1"' in page
    with market.db.transaction() as session:
        row = session.scalar(select(SurveyRelease).where(SurveyRelease.period == NEXT))
        assert row is not None and row.release_at == NOW  # its schedule has passed: now
    drafted = pages.post(
        "/desk/reports",
        data={"csrf_token": csrf, "kind": "production", "survey": SURVEY, "period": NEXT},
        follow_redirects=False,
    )
    assert drafted.headers["location"] == "/desk/reports/ag-out-2025-11?done=drafted"


def test_every_desk_form_needs_its_csrf_token(pages: TestClient, market: Market) -> None:
    with market.db.transaction() as session:
        reports.draft_production_report(session, SURVEY, PERIOD, actor="t", now=NOW)
    sign_in(pages, market.db, market.desk.editor.email)
    token_of(pages, "/desk/reports")  # the cookie is set; the forms below leave the field out
    posts = [
        ("/desk/reports", {"kind": "daily", "group": "precious-metals", "date": "2026-11-25"}),
        (f"/desk/reports/{SLUG}", {"title_en": "Forged", "body_en": "x"}),
        (f"/desk/reports/{SLUG}/publish", {}),
        ("/desk/surveys/release", {"survey": SURVEY, "period": PERIOD}),
        ("/desk/surveys/create", {"code": "FORGED-OUT", "entry": "silver", "name_zh": "伪造"}),
    ]
    for url, data in posts:
        assert pages.post(url, data=data).status_code == 403, url
    forged = pages.post(
        "/desk/surveys/returns",
        data={"csrf_token": "forged", "survey": SURVEY, "period": NEXT},
        files={"file": ("returns.csv", (HEADER + "".join(GOOD_ROWS)).encode(), "text/csv")},
    )
    assert forged.status_code == 403
    assert returns_count(market, NEXT) == 0
    with market.db.transaction() as session:
        article = newsroom.require_article(session, SLUG)
        assert article.status is ArticleStatus.DRAFT
        assert newsroom.translation(article, "en").title != "Forged"
        assert newsroom.get_article(session, "precious-metals-prices-2026-11-25") is None
        assert session.scalar(select(func.count(SurveyRelease.id))) == 2
        assert supply.get_survey(session, "FORGED-OUT") is None
