"""Who may read an index goes by the definition in force at the instant read: a new version
announced for a later date (here adding a premium constituent) changes neither the listing, nor
the index's route or page, before that date; after it, reading ``as_of`` an earlier instant
is gated by the version its values are computed with then."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.indices import service as indices
from tests.conftest import Desk
from tests.pricing.conftest import AFTER_RELEASE, DAY, PREMIUM, SILVER
from tests.support.desk import publish

CODE = "MW-IN-FORCE-INDEX"
LATER = DAY + dt.timedelta(days=2)
BEFORE_CHANGE = AFTER_RELEASE + dt.timedelta(hours=1)
AFTER_CHANGE = dt.datetime.combine(LATER, dt.time(10), tzinfo=dt.UTC)


def _definition(*codes: str) -> str:
    return json.dumps(
        {
            "code": CODE,
            "name": "in force",
            "base_value": "100",
            "base_period": {"start": str(DAY), "end": str(DAY)},
            "formula": "laspeyres",
            "constituents": [{"series": c, "weight": "1"} for c in codes],
        }
    )


@pytest.fixture
def versioned(desk: Desk, app: FastAPI) -> TestClient:
    publish(desk, SILVER, DAY, [("7840", "10"), ("7850", "10"), ("7860", "10")])
    publish(desk, PREMIUM, DAY, [("38", "200"), ("40", "300"), ("45", "150")])
    with desk.db.transaction() as session:
        indices.define(session, _definition(SILVER), actor="t", now=BEFORE_CHANGE)
        indices.define(
            session,
            _definition(SILVER, PREMIUM),
            actor="t",
            effective=LATER,
            now=BEFORE_CHANGE,
        )
    return TestClient(app)


def _listed(client: TestClient) -> dict[str, object]:
    (item,) = [i for i in client.get("/api/v1/indices").json() if i["code"] == CODE]
    return dict(item)


def test_before_its_date_a_new_version_changes_no_reader_s_access(
    versioned: TestClient, app: FastAPI
) -> None:
    app.state.clock = lambda: BEFORE_CHANGE
    item = _listed(versioned)  # anonymous: the free plan
    assert item["locked"] is False and item["version"] == 1 and item["latest"] is not None
    assert [c["code"] for c in item["constituents"]] == [SILVER]  # type: ignore[attr-defined]
    detail = versioned.get(f"/api/v1/indices/{CODE}")
    assert detail.status_code == 200 and detail.json()["version"] == 1
    page = versioned.get(f"/indices/{CODE}").text
    assert PREMIUM not in page and "Subscribe to see" not in page
    listing = versioned.get("/indices").text
    assert "Subscribe to see this index" not in listing


def test_from_its_date_the_new_version_gates_and_as_of_reads_the_old_one(
    versioned: TestClient, app: FastAPI
) -> None:
    app.state.clock = lambda: AFTER_CHANGE
    item = _listed(versioned)
    assert item["locked"] is True and item["version"] == 2 and item["latest"] is None
    assert versioned.get(f"/api/v1/indices/{CODE}").status_code == 403
    assert "Subscribe to see this index" in versioned.get("/indices").text
    earlier = BEFORE_CHANGE.isoformat().replace("+00:00", "Z")
    back = versioned.get(f"/api/v1/indices/{CODE}", params={"as_of": earlier})
    assert back.status_code == 200, back.text
    assert back.json()["version"] == 1 and PREMIUM not in back.text
