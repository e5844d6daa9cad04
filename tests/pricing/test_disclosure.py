"""Per-assessment disclosure (EU BMR Annex II 7(a)): the API route, the series page and the
price export say what each published price was made of, through the gate like the price."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal

from fastapi.testclient import TestClient

from metalwire.accounts.models import Role
from metalwire.pricing.price_row import (
    DISCLOSURE_EXPORT_COLUMNS,
    DISCLOSURE_FIELDS,
    EXPORT_COLUMNS,
    PRICE_EXPORT_COLUMNS,
)
from tests.pricing.conftest import AFTER_RELEASE, BEFORE_RELEASE, DAY, SILVER, Desk
from tests.pricing.test_api import bearer, key_for, publish

URL = f"/api/v1/series/{SILVER}/prices/{DAY.isoformat()}/disclosure"
# Three deals near 7,720 and one far out: the outlier is excluded by the rule.
DEALS = [("7700", "200"), ("7720", "200"), ("7740", "300"), ("9900", "100")]


def test_a_transaction_based_price_discloses_its_deals_volume_and_exclusions(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    publish(desk, SILVER, DAY, DEALS)
    at(BEFORE_RELEASE)
    assert client.get(URL).status_code == 404  # nothing of it before the release
    at(AFTER_RELEASE)
    body = client.get(URL).json()
    assert tuple(body) == DISCLOSURE_FIELDS
    assert body["date"] == DAY.isoformat() and body["method"] == "transaction-based"
    assert (body["transactions"], body["transaction_volume"]) == (3, "700")
    shares = (body["share_deal"], body["share_bid_offer"], body["share_indication"])
    assert shares == ("100.00", "0.00", "0.00")
    assert body["judgment"] is False and body["judgment_reason"] is None
    assert body["exclusions"] == 1
    detail = client.get(f"/api/v1/assessments/{body['assessment_id']}").json()
    assert len(detail["excluded"]) == body["exclusions"]
    assert client.get(f"/api/v1/series/{SILVER}/prices/2026-11-24/disclosure").status_code == 404


def test_a_judgment_discloses_itself_and_its_reason_on_the_api_and_the_page(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    reason = "Deals below the market after the holiday; offers firmer"
    publish(desk, SILVER, DAY, DEALS, judgment=("7750", "7790", reason))
    at(AFTER_RELEASE)
    body = client.get(URL).json()
    assert body["method"] == "judgment" and body["judgment"] is True
    assert body["judgment_reason"] == reason
    page = client.get(f"/series/{SILVER}").text
    assert "Expert judgment" in page and reason in page
    assert f"/prices/{DAY.isoformat()}/disclosure" in page
    zh = client.get(f"/series/{SILVER}?lang=zh").text
    assert "专家判断" in zh


def test_the_price_export_ends_each_row_with_its_disclosure(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    publish(desk, SILVER, DAY, DEALS)
    at(AFTER_RELEASE)
    key = key_for(desk, "exports@fund.io", Role.SUBSCRIBER, "subscriber")
    text = client.get(f"/api/v1/series/{SILVER}/prices?format=csv", headers=bearer(key)).text
    header, row = list(csv.reader(io.StringIO(text)))
    assert tuple(header) == PRICE_EXPORT_COLUMNS == EXPORT_COLUMNS + DISCLOSURE_EXPORT_COLUMNS
    cells = dict(zip(header, row, strict=True))
    body = client.get(URL).json()
    for name in DISCLOSURE_EXPORT_COLUMNS:
        value = body[name]
        if isinstance(value, bool):
            assert cells[name] == str(value), name
        elif value is None:
            assert cells[name] == "", name
        elif isinstance(value, int):
            assert int(cells[name]) == value, name
        else:
            assert Decimal(cells[name]) == Decimal(value), name
