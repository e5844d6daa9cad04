"""Partner (licensed) series: the partner's value entered as delivered, never assessed; shown
with its source and licence terms; left out of exports its licence forbids."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from metalwire.accounts.models import Role, Scope
from metalwire.catalog.models import PriceSeries
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.desk import PricingError
from metalwire.pricing.evidence import Method, SubmissionKind
from metalwire.pricing.models import Assessment
from metalwire.pricing.partner import enter_partner_value
from metalwire.pricing.review import approve_assessment
from metalwire.pricing.schemas import SubmissionIn
from metalwire.pricing.submissions import add_submissions
from tests.pricing.conftest import DAY, SILVER, Desk, define_demo_series
from tests.pricing.test_api import bearer, key_for
from tests.support.desk import publish
from tests.web.test_desk_pages import sign_in

PARTNER = "MMI-MOO3-57-ROTTERDAM"  # 17:00 Europe/London, 2 decimals
AFTER = dt.datetime(2026, 11, 26, 18, 0, tzinfo=dt.UTC)


@pytest.fixture
def partner(desk: Desk) -> Desk:
    define_demo_series(desk.db, PARTNER)
    return desk


def _enter(desk: Desk, day: dt.date, low: str, high: str) -> int:
    with desk.db.transaction() as session:
        row = enter_partner_value(
            session, PARTNER, day, low=Decimal(low), high=Decimal(high), user=desk.analyst
        )
        return row.id


def _approve(desk: Desk, assessment_id: int, day: dt.date) -> None:
    with desk.db.transaction() as session:
        when = dt.datetime.combine(day, dt.time(16, 0), tzinfo=dt.UTC)
        approve_assessment(session, assessment_id, user=desk.editor, now=when)


def test_the_engine_never_assesses_a_partner_series(partner: Desk) -> None:
    item = SubmissionIn(
        series=PARTNER,
        date=DAY,
        kind=SubmissionKind.INDICATION,
        low=Decimal("22.50"),
        high=Decimal("23.10"),
        contributor="MMi",
        received_at=dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC),
    )
    with partner.db.transaction() as session:
        add_submissions(session, [item], actor=partner.analyst.email)
        run = assess_day(session, DAY, user=partner.analyst)
        series_ids = {a.series_id for a in run.assessments}
        partner_id = session.scalar(select(PriceSeries.id).where(PriceSeries.code == PARTNER))
        assert partner_id not in series_ids
        with pytest.raises(PricingError, match="licensed, not assessed"):
            assess_day(session, DAY, user=partner.analyst, series_code=PARTNER)


def test_a_partner_value_is_entered_as_delivered_and_approved_by_a_second_person(
    partner: Desk,
) -> None:
    first = _enter(partner, DAY, "22.50", "23.10")
    _approve(partner, first, DAY)
    nxt = DAY + dt.timedelta(days=1)
    second = _enter(partner, nxt, "22.70", "23.30")
    with partner.db.transaction() as session:
        row = session.get(Assessment, second)
        assert row is not None
        assert row.method is Method.LICENSED and not row.carried_forward
        assert (row.low, row.high, row.mid) == (Decimal("22.7"), Decimal("23.3"), Decimal("23"))
        assert row.change == Decimal("0.20")
        assert row.explanation["source"] == "MMi" and "licence" in row.explanation["explanation"]
    with pytest.raises(PricingError, match="already approved"):
        _enter(partner, DAY, "1", "2")
    with partner.db.transaction() as session, pytest.raises(PricingError, match="not licensed"):
        enter_partner_value(
            session, SILVER, DAY, low=Decimal(1), high=Decimal(2), user=partner.analyst
        )


def test_the_api_and_the_page_show_the_source_and_licence_terms(
    partner: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    _approve(partner, _enter(partner, DAY, "22.50", "23.10"), DAY)
    at(AFTER)
    body = client.get(f"/api/v1/series/{PARTNER}").json()
    assert body["source"] == "MMi"
    assert body["licence"]["licensor"] == "MMi" and body["licence"]["redistribution"] is False
    assert "no redistribution" in body["licence"]["terms"]
    assert client.get(f"/api/v1/series/{SILVER}").json()["licence"] is None
    key = bearer(key_for(partner, "sub@fund.io", Role.SUBSCRIBER, "subscriber"))
    page = client.get(f"/series/{PARTNER}", headers=key).text
    assert "Licensed from MMi" in page and "no redistribution" in page


def test_exports_leave_out_a_series_whose_licence_forbids_redistribution(
    partner: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    _approve(partner, _enter(partner, DAY, "22.50", "23.10"), DAY)
    publish(partner, SILVER, DAY, [("7840", "1"), ("7855", "1"), ("7870", "1")])
    at(AFTER)
    key = bearer(key_for(partner, "sub@fund.io", Role.SUBSCRIBER, "subscriber"))
    alone = client.get(f"/api/v1/series/{PARTNER}/prices?format=csv", headers=key)
    assert alone.status_code == 200
    assert list(csv.reader(io.StringIO(alone.text)))[1:] == []
    assert PARTNER in alone.headers["Metalwire-Not-Exported"]
    both = client.get(
        f"/api/v1/prices/export?series={SILVER}&series={PARTNER}&format=csv", headers=key
    )
    rows = list(csv.reader(io.StringIO(both.text)))
    assert rows[0] == ["date", SILVER] and rows[1][1] == "7855"
    assert "forbids redistribution" in both.headers["Metalwire-Not-Exported"]
    # JSON reading is display, not an export: the values are there.
    prices = client.get(f"/api/v1/series/{PARTNER}/prices", headers=key).json()
    assert [p["mid"] for p in prices["items"]] == ["22.80"]


def test_the_api_enters_a_partner_value_for_the_desk_only(
    partner: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    body = {"series": PARTNER, "date": DAY.isoformat(), "low": "22.50", "high": "23.10"}
    assert client.post("/api/v1/partner-values", json=body).status_code == 401
    reader = bearer(key_for(partner, "sub@fund.io", Role.SUBSCRIBER, "subscriber"))
    assert client.post("/api/v1/partner-values", json=body, headers=reader).status_code == 403
    analyst = bearer(key_for(partner, "analyst@desk.cn", Role.ANALYST, "enterprise", Scope.SUBMIT))
    low_high = client.post("/api/v1/partner-values", json={**body, "high": "22"}, headers=analyst)
    assert low_high.status_code == 422 and "high" in low_high.text
    not_licensed = client.post(
        "/api/v1/partner-values", json={**body, "series": SILVER}, headers=analyst
    )
    assert not_licensed.status_code == 422 and "not licensed" in not_licensed.text
    with partner.db.session() as session:
        assert session.scalar(select(Assessment.id)) is None  # nothing written by a refusal
    made = client.post(
        "/api/v1/partner-values", json={**body, "reference": "mmi-2026-11-25.csv"}, headers=analyst
    )
    assert made.status_code == 201, made.text
    draft = made.json()
    assert (draft["method"], draft["status"], draft["mid"]) == ("licensed", "draft", "22.80")
    assert "MMi" in draft["explanation"] and "mmi-2026-11-25.csv" in draft["explanation"]
    _approve(partner, draft["id"], DAY)
    at(AFTER)
    [row] = client.get(f"/api/v1/series/{PARTNER}/prices", headers=reader).json()["items"]
    assert row["mid"] == "22.80"


def test_the_desk_form_enters_a_partner_value(partner: Desk, app: FastAPI) -> None:
    app.state.clock = lambda: dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
    client = TestClient(app)
    csrf = sign_in(client, partner.db, partner.analyst.email)
    page = client.get("/desk").text
    assert 'id="partner-form"' in page and f'value="{PARTNER}"' in page
    form = {"csrf_token": csrf, "series": PARTNER, "date": DAY.isoformat(), "low": "22.5"}
    refused = client.post("/desk/partner-values", data={**form, "high": "2x"})
    assert refused.status_code == 422 and 'id="partner-high-error"' in refused.text
    wrong = client.post("/desk/partner-values", data={**form, "high": "22"})
    assert wrong.status_code == 422 and "must not be below low" in wrong.text
    done = client.post(
        "/desk/partner-values", data={**form, "high": "23.1"}, follow_redirects=False
    )
    assert done.status_code == 303 and "done=partner" in done.headers["location"]
    with partner.db.session() as session:
        row = session.scalar(select(Assessment))
        assert row is not None and row.method is Method.LICENSED and row.mid == Decimal("22.8")
