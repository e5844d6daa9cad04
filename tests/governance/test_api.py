"""The governance routes on the real app: a change proposed, opened, commented on and decided
over HTTP; the assessment names its methodology version; complaints step by step, each
complainant's own; every refusal names its field."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope
from metalwire.governance import consultations
from tests.conftest import Desk
from tests.governance.conftest import (
    CHINESE,
    CLOSES,
    DECIDED,
    DECIDED_ZH,
    EFFECTIVE,
    FAMILY,
    NEW_TEXT,
    OPENS,
    adopted,
    open_change,
)
from tests.support.desk import publish, three_deals

SILVER = "AG-INGOT-CN-SPOT"  # a spot-prices series


def _keys(desk: Desk) -> dict[str, dict[str, str]]:
    """A bearer header per caller: the desk's analyst and editor, two readers."""
    out = {}
    with desk.db.transaction() as session:
        for email, role, scope in (
            ("analyst@desk.cn", Role.ANALYST, Scope.SUBMIT),
            ("editor@desk.cn", Role.EDITOR, Scope.PUBLISH),
            ("reader@mill.cn", Role.READER, Scope.READ),
            ("other@mill.cn", Role.SUBSCRIBER, Scope.READ),
        ):
            if accounts.get_user(session, email) is None:
                plan = "subscriber" if role is Role.SUBSCRIBER else "free"
                user = accounts.add_user(session, email, role=role, plan=plan, actor="t")
                user.display_name = email.split("@")[0].title()
            secret = accounts.create_api_key(session, email, scope, actor="t").secret
            out[email.split("@")[0]] = {"Authorization": f"Bearer {secret}"}
    return out


def _on(app: FastAPI, day: dt.date) -> None:
    app.state.clock = lambda: dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC)


PROPOSAL = {
    "family": FAMILY,
    "title": "Three deals at least",
    "summary": "A spot price needs three deals, not two.",
    "rationale": "Two deals are too few to rule out an outlier.",
    "text": NEW_TEXT,
    **CHINESE,
}


def test_a_change_goes_through_consultation_to_a_version(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    keys = _keys(desk)
    _on(app, OPENS)
    assert (
        client.post("/api/v1/consultations", json=PROPOSAL, headers=keys["reader"]).status_code
        == 403
    )
    assert client.post("/api/v1/consultations", json=PROPOSAL).status_code == 401
    made = client.post("/api/v1/consultations", json=PROPOSAL, headers=keys["analyst"])
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    assert made.json()["stage"] == "proposed"
    # A proposal is the desk's until opened: no reader sees it.
    assert client.get(f"/api/v1/consultations/{cid}").status_code == 404
    assert client.get("/api/v1/consultations").json() == []
    short = client.post(
        f"/api/v1/consultations/{cid}/open", json={"closes": "2026-12-05"}, headers=keys["editor"]
    )
    assert short.status_code == 422 and short.json()["invalid_params"][0]["name"] == "closes"
    opened = client.post(
        f"/api/v1/consultations/{cid}/open",
        json={"closes": CLOSES.isoformat()},
        headers=keys["analyst"],
    )
    assert opened.status_code == 403  # opening is an editor's
    opened = client.post(
        f"/api/v1/consultations/{cid}/open",
        json={"closes": CLOSES.isoformat()},
        headers=keys["editor"],
    )
    assert opened.json()["stage"] == "open", opened.text
    for who, show in (("reader", True), ("other", False)):
        said = client.post(
            f"/api/v1/consultations/{cid}/comments",
            json={"body": f"comment by {who}", "show_name": show},
            headers=keys[who],
        )
        assert said.status_code == 201, said.text
    assert (
        client.post(f"/api/v1/consultations/{cid}/comments", json={"body": "x"}).status_code == 401
    )
    early = client.post(
        f"/api/v1/consultations/{cid}/decide",
        json={
            "outcome": "adopted",
            "rationale": "r",
            "response_to_comments": "c",
            **DECIDED_ZH,
            "effective": EFFECTIVE.isoformat(),
        },
        headers=keys["editor"],
    )
    assert early.status_code == 409 and "decide after it" in early.json()["detail"]
    _on(app, DECIDED)
    late = client.post(
        f"/api/v1/consultations/{cid}/comments", json={"body": "late"}, headers=keys["reader"]
    )
    assert late.status_code == 409 and "closed on 2026-12-15" in late.json()["detail"]
    decided = client.post(
        f"/api/v1/consultations/{cid}/decide",
        json={
            "outcome": "adopted",
            "rationale": "Most agreed.",
            "response_to_comments": "Thanks.",
            **DECIDED_ZH,
            "effective": EFFECTIVE.isoformat(),
        },
        headers=keys["editor"],
    )
    assert decided.status_code == 200, decided.text
    public = client.get(f"/api/v1/consultations/{cid}").json()
    assert public["stage"] == "decided" and public["version"]["number"] == 2
    # A name only where its commenter agreed; never an e-mail.
    assert [c["name"] for c in public["comments"]] == ["Reader", None]
    assert "@" not in str(public["comments"])
    history = client.get(f"/api/v1/methodology/{FAMILY}/versions").json()
    assert [(v["number"], v["in_force"]) for v in history] == [(1, True), (2, False)]
    _on(app, EFFECTIVE)
    history = client.get(f"/api/v1/methodology/{FAMILY}/versions").json()
    assert [(v["number"], v["in_force"]) for v in history] == [(1, False), (2, True)]
    assert client.get("/api/v1/methodology/no-such-family/versions").status_code == 404


def test_every_assessment_names_the_version_in_force_on_its_date(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    day = dt.date(2026, 11, 24)
    assessment = publish(desk, SILVER, day, three_deals("7000", "7010", "7020"))
    app.state.clock = lambda: dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    detail = client.get(f"/api/v1/assessments/{assessment}").json()
    assert detail["methodology_version"] == {
        "family": FAMILY,
        "number": 1,
        "effective": "2026-11-26",
        "url": f"/methodology/{FAMILY}?version=1",
    }


def test_a_price_names_the_version_in_force_on_its_date_on_the_api_and_its_page(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    """An adopted change is in force from its effective date: a price of the day before names
    version 1, one of that day version 2, in the API and on the series page (both languages)."""
    cid = open_change(desk)
    with desk.db.transaction() as session:
        consultations.decide(session, cid, adopted(), actor=desk.editor.email, today=DECIDED)
    before = EFFECTIVE - dt.timedelta(days=3)  # a Friday: the Monday is EFFECTIVE
    publish(desk, SILVER, before, three_deals("7000", "7010", "7020"))
    on = publish(desk, SILVER, EFFECTIVE, three_deals("7100", "7110", "7120"))
    _on(app, EFFECTIVE + dt.timedelta(days=1))
    items = client.get(f"/api/v1/series/{SILVER}/prices").json()["items"]
    named = {
        item["date"]: client.get(f"/api/v1/assessments/{item['assessment_id']}").json()[
            "methodology_version"
        ]["number"]
        for item in items
    }
    assert named == {before.isoformat(): 1, EFFECTIVE.isoformat(): 2}
    assert client.get(f"/api/v1/assessments/{on}").json()["methodology_version"]["url"] == (
        f"/methodology/{FAMILY}?version=2"
    )
    for lang, words in (("en", "version 2, in force from"), ("zh", "第2版，自")):
        page = client.get(f"/series/{SILVER}?lang={lang}").text
        assert f'href="/methodology/{FAMILY}?version=2"' in page, lang
        assert words in page, lang


def test_a_complaint_is_its_complainants_and_the_desks_alone(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    keys = _keys(desk)
    _on(app, OPENS)
    bad = client.post(
        "/api/v1/complaints",
        json={"subject_kind": "assessment", "subject": "99999", "body": "wrong"},
        headers=keys["reader"],
    )
    assert bad.status_code == 404 and bad.json()["invalid_params"][0]["name"] == "subject"
    huge = client.post(
        "/api/v1/complaints",
        json={"subject_kind": "assessment", "subject": "9" * 20, "body": "wrong"},
        headers=keys["reader"],
    )
    assert huge.status_code == 404, huge.text
    assert (
        client.post(
            "/api/v1/complaints", json={"subject_kind": "series", "subject": SILVER, "body": "x"}
        ).status_code
        == 401
    )
    logged = client.post(
        "/api/v1/complaints",
        json={"subject_kind": "methodology", "subject": FAMILY, "body": "Two deals are too few."},
        headers=keys["reader"],
    )
    assert logged.status_code == 201, logged.text
    kid = logged.json()["id"]
    assert client.get(f"/api/v1/complaints/{kid}", headers=keys["other"]).status_code == 404
    assert client.get("/api/v1/complaints", headers=keys["other"]).json() == []
    assert client.get("/api/v1/desk/complaints", headers=keys["other"]).status_code == 403
    out_of_order = client.post(
        f"/api/v1/complaints/{kid}/answer",
        json={"answer": "No.", "outcome": "not-upheld"},
        headers=keys["analyst"],
    )
    assert (
        out_of_order.status_code == 409
        and "only when acknowledged" in out_of_order.json()["detail"]
    )
    assert (
        client.post(f"/api/v1/complaints/{kid}/acknowledge", headers=keys["reader"]).status_code
        == 403
    )
    _on(app, OPENS + dt.timedelta(days=2))
    (waiting,) = client.get("/api/v1/desk/complaints", headers=keys["analyst"]).json()
    assert (waiting["complainant"], waiting["waiting_days"]) == ("reader@mill.cn", 2)
    assert (
        client.post(f"/api/v1/complaints/{kid}/acknowledge", headers=keys["analyst"]).status_code
        == 200
    )
    answered = client.post(
        f"/api/v1/complaints/{kid}/answer",
        json={"answer": "Consulted on from 1 December.", "outcome": "partly-upheld"},
        headers=keys["editor"],
    )
    assert answered.status_code == 200, answered.text
    (mine,) = client.get("/api/v1/complaints", headers=keys["reader"]).json()
    assert (mine["state"], mine["outcome"], mine["answer"]) == (
        "answered",
        "partly-upheld",
        "Consulted on from 1 December.",
    )
    assert "complainant" not in mine
