"""Premiums, discounts and fees move by amounts, not percentages; corrections quote prices as
published."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from fastapi.testclient import TestClient

from metalwire.accounts.models import Role
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.review import correct
from tests.pricing.conftest import AFTER_RELEASE, DAY, PREMIUM, SILVER, Desk
from tests.pricing.test_api import DEALS, bearer, key_for, publish

NEXT_DAY = DAY + dt.timedelta(days=1)  # Thursday 2026-11-26, a CN trading day
LATER = AFTER_RELEASE + dt.timedelta(days=1, hours=2)


def test_a_premium_shows_its_change_without_a_percentage(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    # 40 -> 53: +13 yuan/kg. As a percentage (+32.5 %) it would lead every day's gainers.
    publish(desk, PREMIUM, DAY, [("38", "200"), ("40", "300"), ("42", "150")])
    publish(desk, PREMIUM, NEXT_DAY, [("51", "200"), ("53", "300"), ("55", "150")])
    publish(desk, SILVER, DAY, DEALS)
    publish(desk, SILVER, NEXT_DAY, [(str(int(p) + 78), v) for p, v in DEALS])
    at(LATER)
    headers = bearer(key_for(desk, "sub@desk.cn", Role.SUBSCRIBER, "subscriber"))
    items = client.get(f"/api/v1/series/{PREMIUM}/prices", headers=headers).json()["items"]
    assert (items[-1]["change"], items[-1]["change_pct"]) == ("13", None)
    silver = client.get(f"/api/v1/series/{SILVER}/prices", headers=headers).json()["items"]
    assert silver[-1]["change_pct"] == "0.99"  # an outright price keeps its percentage
    latest = {p["series"]: p for p in client.get("/api/v1/prices/latest", headers=headers).json()}
    assert latest[PREMIUM]["price"]["change_pct"] is None
    assert latest[PREMIUM]["price"]["change"] == "13"
    with desk.db.transaction() as session:
        [draft] = assess_day(
            session, NEXT_DAY + dt.timedelta(days=1), user=desk.analyst, series_code=PREMIUM
        ).assessments
        assert draft.change_pct is None  # carried forward: change 0, and still no percentage


def test_a_correction_quotes_both_ranges_to_the_series_decimals(desk: Desk) -> None:
    publish(desk, SILVER, DAY, DEALS)
    with desk.db.transaction() as session:
        row = correct(
            session,
            SILVER,
            DAY,
            low=Decimal("7845"),
            high=Decimal("7870"),
            reason="one deal was misreported",
            user=desk.analyst,
        )
        text = row.explanation["explanation"]
    assert text == (
        "Correction of version 1: 7840-7870 should be 7845-7870. one deal was misreported"
    )


def test_the_daily_report_is_not_led_by_a_premium_percentage(desk: Desk) -> None:
    from sqlalchemy import select

    from metalwire.catalog.models import CatalogGroup
    from metalwire.newsroom import reports

    publish(desk, PREMIUM, DAY, [("38", "200"), ("40", "300"), ("42", "150")])
    publish(desk, PREMIUM, NEXT_DAY, [("51", "200"), ("53", "300"), ("55", "150")])
    publish(desk, SILVER, DAY, DEALS)
    publish(desk, SILVER, NEXT_DAY, [(str(int(p) + 78), v) for p, v in DEALS])
    with desk.db.transaction() as session:
        group = session.scalar(select(CatalogGroup).where(CatalogGroup.code == "precious-metals"))
        assert group is not None
        data = reports.daily_input(session, group, NEXT_DAY, now=LATER)
    en, zh = data.drafts["en"], data.drafts["zh"]
    assert "premium" not in en.title.lower() and "Leads Gains" in en.title, en.title
    assert "升贴水" not in zh.title and "领涨" in zh.title, zh.title
    assert "+13" in en.body_markdown  # the premium's move, as an amount
