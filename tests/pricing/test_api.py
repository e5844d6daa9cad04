"""The pricing API through the gate: embargo, plans, history, exports, caching, desk writes."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope
from metalwire.pricing.models import Assessment, Submission
from metalwire.pricing.price_row import PRICE_EXPORT_COLUMNS
from metalwire.pricing.review import approve_assessment, correct
from metalwire.pricing.schemas import SUBMISSION_COLUMNS
from metalwire.pricing.submissions import import_submissions
from metalwire.tabular import ImportRejected
from tests import support
from tests.pricing.conftest import AFTER_RELEASE, BEFORE_RELEASE, DAY, PREMIUM, SILVER, Desk

DEALS = [("7840", "10"), ("7850", "20"), ("7855", "5"), ("7860", "10"), ("7870", "15")]
PREMIUM_DEALS = [("38", "200"), ("40", "300"), ("45", "150")]


# Approved the day before the release morning: released on time.
publish = partial(support.publish, approved_at=BEFORE_RELEASE - dt.timedelta(days=1))


def key_for(desk: Desk, email: str, role: Role, plan: str, scope: Scope = Scope.READ) -> str:
    with desk.db.transaction() as session:
        if accounts.get_user(session, email) is None:
            accounts.add_user(session, email, role=role, plan=plan, actor="t")
        return accounts.create_api_key(session, email, scope, actor="t").secret


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_nothing_of_todays_price_leaves_before_release(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    publish(desk, SILVER, DAY, DEALS)
    at(BEFORE_RELEASE)
    body = client.get(f"/api/v1/series/{SILVER}/prices").json()
    assert body["items"] == []
    latest = {p["series"]: p for p in client.get("/api/v1/prices/latest").json()}
    assert latest[SILVER]["price"] is None and latest[SILVER]["state"] == "pending"
    with desk.db.transaction() as session:
        assessment_id = session.scalar(select(Assessment.id))
    assert client.get(f"/api/v1/assessments/{assessment_id}").status_code == 404
    at(AFTER_RELEASE)
    [row] = client.get(f"/api/v1/series/{SILVER}/prices").json()["items"]
    assert (row["low"], row["high"], row["mid"]) == ("7840", "7870", "7855")
    assert row["unit"] == "kg" and row["currency"] == "CNY"
    latest = {p["series"]: p for p in client.get("/api/v1/prices/latest").json()}
    assert latest[SILVER]["price"]["mid"] == "7855" and latest[SILVER]["state"] == "released"
    detail = client.get(f"/api/v1/assessments/{row['assessment_id']}").json()
    assert detail["method"] == "transaction-based" and detail["approver"] == "editor"
    assert detail["statistics"]["input_shares"]["deal"] == "100.00"


def test_premium_series_need_a_plan_that_includes_them(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    publish(desk, PREMIUM, DAY, PREMIUM_DEALS)
    at(AFTER_RELEASE)
    refused = client.get(f"/api/v1/series/{PREMIUM}/prices")
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:metalwire:problem:plan-required"
    latest = {p["series"]: p for p in client.get("/api/v1/prices/latest").json()}
    assert latest[PREMIUM]["locked"] is True and latest[PREMIUM]["price"] is None
    key = key_for(desk, "buyer@mill.cn", Role.SUBSCRIBER, "subscriber")
    allowed = client.get(f"/api/v1/series/{PREMIUM}/prices", headers=bearer(key))
    assert allowed.status_code == 200
    assert allowed.json()["items"][0]["mid"] == "42"  # (38 + 45) / 2 = 41.5, half-up


def test_free_readers_see_thirty_days(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    old_day = DAY - dt.timedelta(days=42)  # 2026-10-14, a Wednesday
    publish(desk, SILVER, old_day, DEALS)
    publish(desk, SILVER, DAY, [("7900", "1"), ("7910", "1"), ("7920", "1")])
    at(AFTER_RELEASE)
    dates = [r["date"] for r in client.get(f"/api/v1/series/{SILVER}/prices").json()["items"]]
    assert dates == [DAY.isoformat()]
    key = key_for(desk, "sub@fund.io", Role.SUBSCRIBER, "subscriber")
    dates = [
        r["date"]
        for r in client.get(f"/api/v1/series/{SILVER}/prices", headers=bearer(key)).json()["items"]
    ]
    assert dates == [old_day.isoformat(), DAY.isoformat()]


def test_exports_need_the_export_right_and_keep_exact_digits(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    publish(desk, SILVER, DAY, DEALS)
    at(AFTER_RELEASE)
    assert client.get(f"/api/v1/series/{SILVER}/prices?format=csv").status_code == 403
    key = key_for(desk, "sub@fund.io", Role.SUBSCRIBER, "subscriber")
    csv_text = client.get(f"/api/v1/series/{SILVER}/prices?format=csv", headers=bearer(key)).text
    # The price, then its disclosure: five deals of 60 kg in all, no judgment, none excluded.
    assert csv_text.splitlines() == [
        "date,low,high,mid,change,change_pct,unit,currency,transactions,transaction_volume,"
        "share_deal,share_bid_offer,share_indication,judgment,judgment_reason,exclusions",
        f"{DAY.isoformat()},7840,7870,7855,,,kg,CNY,5,60,100.00,0.00,0.00,False,,0",
    ]
    xlsx = client.get(f"/api/v1/series/{SILVER}/prices?format=xlsx", headers=bearer(key))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    table = rows.index(PRICE_EXPORT_COLUMNS)
    assert Decimal(str(rows[table + 1][3])) == Decimal(7855)


def test_etag_and_cache_control(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    publish(desk, SILVER, DAY, DEALS)
    at(AFTER_RELEASE)
    first = client.get(f"/api/v1/series/{SILVER}/prices")
    assert first.headers["cache-control"] == "public, max-age=60"
    again = client.get(
        f"/api/v1/series/{SILVER}/prices", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    key = key_for(desk, "sub@fund.io", Role.SUBSCRIBER, "subscriber")
    private = client.get(f"/api/v1/series/{SILVER}/prices", headers=bearer(key))
    assert private.headers["cache-control"].startswith("private")


def test_as_of_reads_what_was_published_then(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    publish(desk, SILVER, DAY, DEALS)
    corrected_at = AFTER_RELEASE + dt.timedelta(hours=3)
    with desk.db.transaction() as session:
        row = correct(
            session,
            SILVER,
            DAY,
            low=Decimal(7845),
            high=Decimal(7870),
            reason="a deal was misreported",
            user=desk.analyst,
        )
        approve_assessment(session, row.id, user=desk.editor, now=corrected_at)
    at(corrected_at + dt.timedelta(hours=1))
    now_row = client.get(f"/api/v1/series/{SILVER}/prices").json()["items"][0]
    then = client.get(
        f"/api/v1/series/{SILVER}/prices",
        params={"as_of": (AFTER_RELEASE + dt.timedelta(hours=1)).isoformat()},
    )
    assert (now_row["low"], now_row["version"]) == ("7845", 2)
    assert then.json()["items"][0]["low"] == "7840"
    future = client.get(
        f"/api/v1/series/{SILVER}/prices", params={"as_of": "2099-01-01T00:00:00Z"}
    ).json()
    assert future["as_of"] == (corrected_at + dt.timedelta(hours=1)).isoformat()
    notices = client.get("/api/v1/corrections").json()
    assert notices[0]["old_low"] == "7840" and notices[0]["new_low"] == "7845"
    naive = client.get(f"/api/v1/series/{SILVER}/prices", params={"as_of": "2026-11-25T10:00"})
    assert naive.status_code == 422 and naive.json()["invalid_params"][0]["name"] == "as_of"


def test_desk_writes_need_role_and_scope(desk: Desk, client: TestClient) -> None:
    submission = {
        "series": SILVER,
        "date": DAY.isoformat(),
        "kind": "deal",
        "price": "7850",
        "volume": "10",
        "contributor": "Smelter A",
        "received_at": "2026-11-25T01:00:00Z",
    }
    assert client.post("/api/v1/submissions", json=submission).status_code == 401
    reader = key_for(desk, "r@x.io", Role.READER, "free")
    assert (
        client.post("/api/v1/submissions", json=submission, headers=bearer(reader)).status_code
        == 403
    )
    analyst_read = key_for(desk, "analyst@desk.cn", Role.ANALYST, "enterprise", Scope.READ)
    refused = client.post("/api/v1/submissions", json=submission, headers=bearer(analyst_read))
    assert refused.status_code == 403 and "scope" in refused.json()["detail"]
    analyst = key_for(desk, "analyst@desk.cn", Role.ANALYST, "enterprise", Scope.SUBMIT)
    batch = [submission, {**submission, "price": "7860"}, {**submission, "price": "7870"}]
    created = client.post("/api/v1/submissions", json=batch, headers=bearer(analyst))
    assert created.status_code == 201 and created.json()["added"] == 3
    again = client.post("/api/v1/submissions", json=submission, headers=bearer(analyst))
    assert again.json() == {"added": 0, "already_present": 1, "ids": []}
    bad = client.post(
        "/api/v1/submissions",
        headers=bearer(analyst),
        json=[submission, {**submission, "volume": None}],
    )
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == "1.volume"
    run = client.post(
        "/api/v1/assessments/run",
        json={"date": DAY.isoformat(), "series": SILVER},
        headers=bearer(analyst),
    ).json()
    draft_id = run["drafts"][0]["id"]
    drafts = client.get(
        "/api/v1/desk/assessments", params={"date": DAY.isoformat()}, headers=bearer(analyst)
    ).json()
    assert [d["id"] for d in drafts] == [draft_id]
    assert (
        client.get(
            "/api/v1/desk/assessments", params={"date": DAY.isoformat()}, headers=bearer(reader)
        ).status_code
        == 403
    )
    own = key_for(desk, "analyst@desk.cn", Role.ANALYST, "enterprise", Scope.SUBMIT)
    assert (
        client.post(f"/api/v1/assessments/{draft_id}/approve", headers=bearer(own)).status_code
        == 403
    )  # submit scope cannot publish
    editor = key_for(desk, "editor@desk.cn", Role.EDITOR, "enterprise", Scope.PUBLISH)
    approved = client.post(f"/api/v1/assessments/{draft_id}/approve", headers=bearer(editor))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


def test_four_eyes_over_the_api(desk: Desk, client: TestClient) -> None:
    desk.submit(SILVER, DAY, DEALS)
    editor = key_for(desk, "editor@desk.cn", Role.EDITOR, "enterprise", Scope.PUBLISH)
    run = client.post(
        "/api/v1/assessments/run", json={"date": DAY.isoformat()}, headers=bearer(editor)
    ).json()
    draft_id = run["drafts"][0]["id"]
    refused = client.post(f"/api/v1/assessments/{draft_id}/approve", headers=bearer(editor))
    assert refused.status_code == 409 and "four eyes" in refused.json()["detail"]


def test_numbers_and_dates_outside_their_range_are_refused_by_field_never_a_500(
    desk: Desk, client: TestClient
) -> None:
    """Issue #13 findings 2 and 3: 1E+999999 was stored as Inf, 1E-999999 as 0, a volume of
    1E+30 made the assessment answer 500, and a received_at of 9999-12-31T23:59:59-05:00 a 500
    (OverflowError); market dates 0001-01-01 and 9999-12-31 were accepted."""
    analyst = key_for(desk, "analyst@desk.cn", Role.ANALYST, "enterprise", Scope.SUBMIT)
    good = {
        "series": SILVER,
        "date": DAY.isoformat(),
        "kind": "deal",
        "price": "7850",
        "volume": "10",
        "contributor": "Smelter A",
        "received_at": "2026-11-25T01:00:00Z",
    }
    cases = {
        "price": ["1E+999999", "1E-999999", "Infinity", "NaN", "1.0000001"],
        "volume": ["1E+30"],
        "adjustment": ["-1E+13"],
        "date": ["0001-01-01", "9999-12-31"],
        "received_at": ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"],
    }
    with desk.db.transaction() as session:
        before = len(session.scalars(select(Submission)).all())
    for field, values in cases.items():
        for value in values:
            refused = client.post(
                "/api/v1/submissions",
                headers=bearer(analyst),
                json=[good, {**good, field: value}],
            )
            assert refused.status_code == 422, (field, value, refused.text[:300])
            names = [p["name"] for p in refused.json()["invalid_params"]]
            assert any(name.endswith(field) for name in names), (field, value, names)
    with desk.db.transaction() as session:
        assert len(session.scalars(select(Submission)).all()) == before  # nothing written


def test_an_import_names_the_row_and_field_of_each_out_of_range_cell(
    desk: Desk, tmp_path: Path
) -> None:
    rows = [
        f"{SILVER},{DAY},deal,7850,,,10,A,2026-11-25T01:00:00Z,,",
        f"{SILVER},{DAY},deal,1E+999999,,,10,B,2026-11-25T01:00:00Z,,",
        f"{SILVER},9999-12-31,deal,7850,,,10,C,2026-11-25T01:00:00Z,,",
        f"{SILVER},{DAY},deal,7850,,,10,D,9999-12-31T23:59:59-05:00,,",
    ]
    path = tmp_path / "bad.csv"
    path.write_text(",".join(SUBMISSION_COLUMNS) + "\n" + "\n".join(rows) + "\n")
    with desk.db.transaction() as session, pytest.raises(ImportRejected) as caught:
        import_submissions(session, path, actor="t")
    text = "\n".join(caught.value.lines())
    assert "row 3: price: out of range" in text
    assert "row 4: date: out of range" in text
    assert "row 5: received_at: out of range" in text
    assert "row 2" not in text
