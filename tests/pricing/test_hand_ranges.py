"""Prices given by hand (a judgment over the engine, a correction) meet the submission's range
rule on every path: the API refuses them on parse naming the field, the service (behind the
desk forms and the CLI) names the field too, and nothing is written (issue #13, finding 2)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Scope
from metalwire.pricing.assessing import assess_day, override
from metalwire.pricing.desk import PricingError
from metalwire.pricing.models import Assessment
from metalwire.pricing.review import correct
from tests.pricing.conftest import DAY, PREMIUM, SILVER, Desk

DEALS = [("7840", "10"), ("7850", "20"), ("7860", "10")]
OUT_OF_RANGE: list[tuple[Any, str]] = [
    ("1E+999999", "out of range"),  # Decimal reads it; the database would store Infinity
    ("1000000000001", "out of range"),
    (1e13, "out of range"),  # a JSON number as well as a string
    ("0.0000001", "at most 6 decimal places"),  # stored as 0
]


def draft(desk: Desk, series: str = SILVER) -> int:
    deals = DEALS if series == SILVER else [("38", "200"), ("40", "300"), ("45", "150")]
    desk.submit(series, DAY, deals)
    with desk.db.transaction() as session:
        [row] = assess_day(session, DAY, user=desk.analyst, series_code=series).assessments
        return row.id


def analyst_key(desk: Desk) -> dict[str, str]:
    with desk.db.transaction() as session:
        key = accounts.create_api_key(session, desk.analyst.email, Scope.SUBMIT, actor="t")
    return {"Authorization": f"Bearer {key.secret}"}


def state(desk: Desk) -> list[tuple[int, Decimal, Decimal, str]]:
    with desk.db.session() as session:
        rows = session.scalars(select(Assessment).order_by(Assessment.id))
        return [(r.version, r.low, r.high, r.method.value) for r in rows]


@pytest.mark.parametrize(("value", "why"), OUT_OF_RANGE)
def test_api_override_refuses_a_hand_price_out_of_range(
    desk: Desk, client: TestClient, value: Any, why: str
) -> None:
    assessment_id = draft(desk)
    before = state(desk)
    headers = analyst_key(desk)
    for field in ("low", "high"):
        body = {"low": "7800", "high": "7900", "rationale": "thin market", field: value}
        answer = client.post(
            f"/api/v1/assessments/{assessment_id}/override", json=body, headers=headers
        )
        assert answer.status_code == 422, answer.text
        [param] = answer.json()["invalid_params"]
        assert (param["name"], param["location"]) == (field, "body")
        assert why in param["reason"]
    assert state(desk) == before


def test_api_correction_refuses_out_of_range_and_overlong_text(
    desk: Desk, client: TestClient
) -> None:
    headers = analyst_key(desk)
    good = {"series": SILVER, "date": DAY.isoformat(), "low": "7800", "high": "7900"}
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"high": "1E+999999"}, "high", "out of range"),
        ({"low": "7800.1234567"}, "low", "at most 6 decimal places"),
        ({"low": "NaN"}, "low", "finite number"),  # pydantic's own refusal, kept
        ({"high": "-Infinity"}, "high", "finite number"),
        ({"date": "9999-12-31"}, "date", "out of range"),
        ({"date": "1989-12-31"}, "date", "out of range"),
        ({"reason": "r" * 2001}, "reason", "at most 2000 characters"),
        ({"series": "S" * 65}, "series", "at most 64 characters"),
    ]
    for change, field, why in cases:
        body = {**good, "reason": "typo", **change}
        answer = client.post("/api/v1/corrections", json=body, headers=headers)
        assert answer.status_code == 422, (change, answer.text)
        [param] = answer.json()["invalid_params"]
        assert param["name"] == field and why in param["reason"], (change, param)
    with desk.db.session() as session:
        assert session.scalar(select(func.count(Assessment.id))) == 0


@pytest.mark.parametrize(
    ("low", "high", "why"),
    [
        ("1E+999999", "7900", "low: out of range"),
        ("7800", "1E-999999", "high: at most 6 decimal places"),
        ("-5", "7900", "low: must be positive, got -5"),  # an outright price is above 0
        ("0", "7900", "low: must be positive, got 0"),
    ],
)
def test_service_override_names_the_field_for_forms_and_cli(
    desk: Desk, low: str, high: str, why: str
) -> None:
    assessment_id = draft(desk)
    before = state(desk)
    with pytest.raises(PricingError, match=why), desk.db.transaction() as session:
        override(
            session,
            assessment_id,
            low=Decimal(low),
            high=Decimal(high),
            rationale="thin market",
            user=desk.analyst,
        )
    assert state(desk) == before


def test_a_premium_may_be_judged_negative_but_not_beyond_the_range(desk: Desk) -> None:
    assessment_id = draft(desk, PREMIUM)
    with desk.db.transaction() as session:
        row = override(
            session,
            assessment_id,
            low=Decimal("-5"),
            high=Decimal("-2"),
            rationale="a discount",
            user=desk.analyst,
        )
        assert (row.low, row.high) == (Decimal(-5), Decimal(-2))
    with pytest.raises(PricingError, match="rationale: at most 2,000 characters"):
        with desk.db.transaction() as session:
            override(
                session,
                assessment_id,
                low=Decimal("-5"),
                high=Decimal("-2"),
                rationale="x" * 2001,
                user=desk.analyst,
            )
    with pytest.raises(PricingError, match="high: out of range"):
        with desk.db.transaction() as session:
            correct(
                session,
                PREMIUM,
                DAY,
                low=Decimal("-5"),
                high=Decimal("-1E+13"),
                reason="typo",
                user=desk.analyst,
            )
