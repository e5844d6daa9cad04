"""A correction marks every published article that quoted the value it corrects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.newsroom import publishing, reports, service
from metalwire.pricing.review import approve_assessment, correct
from tests.pricing.conftest import AFTER_RELEASE, DAY, SILVER, Desk
from tests.pricing.test_api import DEALS, publish

PUBLISHED = AFTER_RELEASE + dt.timedelta(hours=1)
CORRECTED = AFTER_RELEASE + dt.timedelta(hours=3)


def test_an_article_quoting_a_corrected_price_says_so_on_the_site_and_in_the_api(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY, DEALS)
    with desk.db.transaction() as session:
        article = reports.draft_daily_report(
            session, "precious-metals", DAY, actor="t", now=PUBLISHED
        )
        publishing.publish(session, article, user=desk.editor, now=PUBLISHED)
        slug = article.slug
    app.state.clock = lambda: PUBLISHED + dt.timedelta(hours=1)
    assert client.get(f"/api/v1/articles/{slug}").json()["corrected_since"] == []
    assert "Corrected since publication" not in client.get(f"/articles/{slug}?lang=en").text

    with desk.db.transaction() as session:
        draft = correct(
            session,
            SILVER,
            DAY,
            low=Decimal("7845"),
            high=Decimal("7870"),
            reason="one deal was misreported",
            user=desk.analyst,
        )
        approve_assessment(session, draft.id, user=desk.editor, now=CORRECTED)
    app.state.clock = lambda: CORRECTED - dt.timedelta(minutes=1)
    assert client.get(f"/api/v1/articles/{slug}").json()["corrected_since"] == []
    app.state.clock = lambda: CORRECTED + dt.timedelta(minutes=1)
    [notice] = client.get(f"/api/v1/articles/{slug}").json()["corrected_since"]
    assert (notice["series"], notice["date"], notice["version"]) == (SILVER, DAY.isoformat(), 2)
    page = client.get(f"/articles/{slug}?lang=en").text
    assert "Corrected since publication" in page and f"{SILVER} on {DAY}" in page
    assert "发布后已更正" in client.get(f"/articles/{slug}?lang=zh").text

    # An editor accepts the regenerated report: a new revision quoting the corrected price.
    with desk.db.transaction() as session:
        before = service.get_article(session, slug)
        assert before is not None
        revision = max(t.revision for t in before.translations)
        reports.draft_daily_report(
            session,
            "precious-metals",
            DAY,
            actor=desk.editor.email,
            user=desk.editor,
            now=CORRECTED + dt.timedelta(minutes=2),
        )
    app.state.clock = lambda: CORRECTED + dt.timedelta(minutes=3)
    body = client.get(f"/api/v1/articles/{slug}?lang=en").json()
    assert body["revision"] == revision + 1 and body["corrected_since"] == []
    assert "7,858" in body["body_markdown"]  # (7845 + 7870) / 2, rounded half up
