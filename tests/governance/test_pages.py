"""The governance pages on the real app: consultations listed and shown with their comments,
the comment form while open, a methodology page's versions, the account's complaints section
(the reader's own) and the desk's list of every complaint."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role
from metalwire.governance import complaints, consultations
from metalwire.governance.complaints import NewComplaint
from metalwire.governance.rules import ComplaintSubject
from tests.conftest import Desk
from tests.governance.conftest import DECIDED, EFFECTIVE, FAMILY, OPENS, adopted, open_change
from tests.web.test_account_pages import csrf_of


def _signed_in(desk: Desk, client: TestClient, email: str, role: Role = Role.READER) -> None:
    with desk.db.transaction() as session:
        user = accounts.get_user(session, email) or accounts.add_user(
            session, email, role=role, actor="t"
        )
        client.cookies.set("mw_session", accounts.start_session(session, user))


def _on(app: FastAPI, day: dt.date) -> None:
    app.state.clock = lambda: dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC)


def test_a_reader_comments_on_an_open_consultation(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    cid = open_change(desk)
    _on(app, OPENS)
    listed = client.get("/consultations")
    assert listed.status_code == 200 and f'href="/consultations/{cid}"' in listed.text
    page = client.get(f"/consultations/{cid}")
    assert "Sign in to comment" in page.text and "Open for comments" in page.text
    _signed_in(desk, client, "reader@mill.cn")
    form = client.get(f"/consultations/{cid}")
    empty = client.post(
        f"/consultations/{cid}/comments", data={"body": "  ", "csrf_token": csrf_of(form.text)}
    )
    assert empty.status_code == 422 and "must not be empty" in empty.text
    sent = client.post(
        f"/consultations/{cid}/comments",
        data={"body": "Thin markets need two.", "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    cookies = dict(client.cookies)
    client.cookies.clear()  # what everyone reads: the comment, no name, no e-mail
    shown = client.get(f"/consultations/{cid}").text
    assert "Thin markets need two." in shown and "A reader (name withheld)" in shown
    assert "reader@mill.cn" not in shown
    for name, value in cookies.items():
        client.cookies.set(name, value)
    # The methodology page points at the open consultation and lists its versions.
    methodology = client.get(f"/methodology/{FAMILY}").text
    assert f'href="/consultations/{cid}"' in methodology and 'id="versions"' in methodology
    _on(app, DECIDED)
    closed = client.post(
        f"/consultations/{cid}/comments",
        data={"body": "late", "csrf_token": csrf_of(form.text)},
    )
    assert closed.status_code == 422 and "closed on" in closed.text
    with desk.db.transaction() as session:
        consultations.decide(session, cid, adopted(), actor="editor@desk.cn", today=DECIDED)
    _on(app, EFFECTIVE)
    current = client.get(f"/methodology/{FAMILY}").text
    assert "Version 2: three deals at least" in current and "(in force)" in current
    first = client.get(f"/methodology/{FAMILY}?version=1").text
    assert "version 2 is in force today" in first
    assert client.get(f"/methodology/{FAMILY}?version=9").status_code == 404
    assert client.get("/methodology/governance").status_code == 200
    chinese = client.get("/consultations", params={"lang": "zh"}).text
    assert "方法论咨询" in chinese and "已采纳" in chinese


def test_complaints_on_the_account_and_the_desk(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    _on(app, OPENS)
    with desk.db.transaction() as session:
        other = accounts.add_user(session, "other@mill.cn", actor="t")
        complaints.log_complaint(
            session,
            other,
            NewComplaint(ComplaintSubject.SERIES, "AG-INGOT-CN-SPOT", "other-4242"),
            now=dt.datetime(2026, 11, 28, tzinfo=dt.UTC),
        )
    _signed_in(desk, client, "reader@mill.cn")
    account = client.get("/account")
    assert 'id="complaints"' in account.text and "other-4242" not in account.text
    refused = client.post(
        "/account/complaints",
        data={
            "subject_kind": "series",
            "subject": "NOPE",
            "body": "x",
            "csrf_token": csrf_of(account.text),
        },
    )
    assert refused.status_code == 422 and "no price series" in refused.text
    logged = client.post(
        "/account/complaints",
        data={
            "subject_kind": "methodology",
            "subject": FAMILY,
            "body": "mine-5151",
            "csrf_token": csrf_of(account.text),
        },
        follow_redirects=False,
    )
    assert logged.status_code == 303
    mine = client.get("/account").text
    assert "mine-5151" in mine and "other-4242" not in mine
    assert client.get("/desk/complaints").status_code == 403
    client.cookies.clear()
    assert client.get("/desk/complaints", follow_redirects=False).status_code == 303
    _signed_in(desk, client, "analyst@desk.cn")
    desk_page = client.get("/desk/complaints")
    assert desk_page.status_code == 200
    assert "other-4242" in desk_page.text and "mine-5151" in desk_page.text
    assert "2 waiting for acknowledgement" in desk_page.text
    assert "<strong>3</strong>" in desk_page.text  # logged three days before the desk's today


def test_the_desk_acknowledges_and_answers_a_complaint_from_its_page(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    """Step by step on /desk/complaints, each refusal beside the complaint's form; the
    complainant reads the answer on their account page; a reader may not take a step."""
    _on(app, OPENS)
    with desk.db.transaction() as session:
        reader = accounts.add_user(session, "reader@mill.cn", role=Role.READER, actor="t")
        new = NewComplaint(ComplaintSubject.METHODOLOGY, FAMILY, "too few deals-7373")
        cid = complaints.log_complaint(session, reader, new, now=app.state.clock()).id
    _signed_in(desk, client, "reader@mill.cn")
    token = csrf_of(client.get("/account").text)
    refused = client.post(f"/desk/complaints/{cid}/acknowledge", data={"csrf_token": token})
    assert refused.status_code == 403
    _signed_in(desk, client, "analyst@desk.cn", Role.ANALYST)
    listed = client.get("/desk/complaints")
    token = csrf_of(listed.text)
    assert f'id="acknowledge-{cid}"' in listed.text
    early = client.post(
        f"/desk/complaints/{cid}/answer",
        data={"answer": "Noted.", "outcome": "upheld", "csrf_token": token},
    )
    assert early.status_code == 409 and f'id="answer-{cid}-errors"' in early.text
    done = client.post(
        f"/desk/complaints/{cid}/acknowledge", data={"csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=acknowledged")
    page_now = client.get("/desk/complaints?lang=zh").text
    assert f'id="answer-{cid}-form"' in page_now and "部分成立" in page_now
    blank = client.post(
        f"/desk/complaints/{cid}/answer",
        data={"answer": " ", "outcome": "sideways", "csrf_token": token},
    )
    assert blank.status_code == 422
    assert f'id="answer-{cid}-answer-error"' in blank.text
    assert f'id="answer-{cid}-outcome-error"' in blank.text
    answered = client.post(
        f"/desk/complaints/{cid}/answer",
        data={
            "answer": "The minimum rises to three.",
            "outcome": "partly-upheld",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert answered.status_code == 303
    with desk.db.transaction() as session:
        item = complaints.every(session)[0]
        assert (item.state.value, item.acknowledged_by, item.answered_by) == (
            "answered",
            "analyst@desk.cn",
            "analyst@desk.cn",
        )
    _signed_in(desk, client, "reader@mill.cn")
    assert "The minimum rises to three." in client.get("/account").text
