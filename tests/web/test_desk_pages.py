"""The analyst desk pages: who may use them, evidence upload, assessment, four eyes, override,
correction and CSRF, over the real app and database."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role
from metalwire.catalog.models import PriceSeries
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.engine import Method
from metalwire.pricing.models import Assessment, AssessmentStatus, Submission
from metalwire.pricing.review import approve_assessment
from metalwire.pricing.schemas import SUBMISSION_COLUMNS
from metalwire.tabular import to_xlsx
from tests import support
from tests.conftest import Desk, ScratchDatabase
from tests.pricing.conftest import BEFORE_RELEASE, DAY, PREMIUM, SILVER

AFTER = BEFORE_RELEASE + dt.timedelta(hours=1)  # 12:00 Shanghai, past the 11:30 release
HEADER = ",".join(SUBMISSION_COLUMNS)
GOOD_ROWS = [
    f"{SILVER},{DAY},deal,7840,,,5,trader-a,2026-11-25T01:00:00Z,,",
    f"{SILVER},{DAY},deal,7850,,,5,trader-b,2026-11-25T01:00:00Z,,",
    f"{SILVER},{DAY},deal,7860,,,5,trader-c,2026-11-25T01:00:00Z,,",
]


@pytest.fixture
def desk_app(app: FastAPI, desk: Desk) -> FastAPI:
    app.state.clock = lambda: BEFORE_RELEASE  # 11:00 in Shanghai: the desk's day is DAY
    return app


def sign_in(client: TestClient, db: ScratchDatabase, email: str) -> str:
    """Start a browser session for the user (alone on the client); returns the page's CSRF
    token."""
    client.cookies.clear()
    support.sign_in(client, db, email)
    html = client.get("/desk/submissions").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return str(found.group(1))


def count(db: ScratchDatabase, model: type[Submission] | type[Assessment]) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count(model.id))) or 0)


def assessment(db: ScratchDatabase, code: str = SILVER) -> Assessment:
    with db.session() as session:
        row = session.scalar(
            select(Assessment)
            .join(PriceSeries)
            .where(Assessment.market_date == DAY, PriceSeries.code == code)
            .order_by(Assessment.version.desc())
        )
        assert row is not None
        return row


def assess(client: TestClient, csrf: str, code: str = SILVER) -> str:
    response = client.post(
        "/desk/assess", data={"csrf_token": csrf, "date": DAY.isoformat(), "series": code}
    )
    assert response.status_code == 200, response.text[:500]
    return response.text


def test_only_staff_reach_the_desk(desk_app: FastAPI, desk: Desk) -> None:
    client = TestClient(desk_app)
    for path in (f"/desk?date={DAY}", "/desk/submissions"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/sign-in?next={path}"
    with desk.db.transaction() as session:
        accounts.add_user(session, "reader@desk.cn", role=Role.READER, plan="free", actor="t")
    csrf = sign_in(client, desk.db, "reader@desk.cn")  # the 403 page still carries a token
    assert client.get("/desk").status_code == 403
    assert client.get("/desk/submissions").status_code == 403
    refused = client.post("/desk/assess", data={"csrf_token": csrf, "date": DAY.isoformat()})
    assert refused.status_code == 403 and count(desk.db, Assessment) == 0
    sign_in(client, desk.db, desk.analyst.email)
    html = client.get("/desk").text
    assert "Pricing desk" in html and f'value="{DAY.isoformat()}"' in html  # Shanghai's today
    for link in ("/desk/submissions", "/desk/reports", "/desk/surveys"):
        assert f'href="{link}"' in html


def test_a_file_with_a_bad_row_names_it_and_stores_nothing(desk_app: FastAPI, desk: Desk) -> None:
    client = TestClient(desk_app)
    csrf = sign_in(client, desk.db, desk.analyst.email)
    bad = [GOOD_ROWS[0], GOOD_ROWS[1].replace(",7850,", ",78x0,"), GOOD_ROWS[2]]
    response = client.post(
        "/desk/submissions/upload",
        data={"csrf_token": csrf},
        files={"file": ("day.csv", "\n".join([HEADER, *bad]) + "\n", "text/csv")},
    )
    assert response.status_code == 422
    errors = re.search(r'id="upload-errors".*?</div>', response.text, re.S)
    assert errors and "row 3: price: not a number: &#39;78x0&#39;" in errors.group(0)
    assert "day.csv" in errors.group(0)
    assert count(desk.db, Submission) == 0  # the good rows were not stored either

    fixed = "\n".join([HEADER, *GOOD_ROWS]) + "\n"
    stored = client.post(
        "/desk/submissions/upload",
        data={"csrf_token": csrf},
        files={"file": ("day.csv", fixed, "text/csv")},
    )
    assert stored.status_code == 200 and count(desk.db, Submission) == 3
    assert "3 submission(s) stored; 0 already present and ignored." in stored.text
    assert 'href="/desk"' in stored.text
    again = client.post(
        "/desk/submissions/upload",
        data={"csrf_token": csrf},
        files={"file": ("day.csv", fixed, "text/csv")},
    )
    assert "0 submission(s) stored; 3 already present and ignored." in again.text
    assert count(desk.db, Submission) == 3


def test_an_xlsx_file_is_stored(desk_app: FastAPI, desk: Desk) -> None:
    client = TestClient(desk_app)
    csrf = sign_in(client, desk.db, desk.analyst.email)
    workbook = to_xlsx(SUBMISSION_COLUMNS, [line.split(",") for line in GOOD_ROWS])
    stored = client.post(
        "/desk/submissions/upload",
        data={"csrf_token": csrf},
        files={"file": ("day.xlsx", workbook, "application/octet-stream")},
    )
    assert "3 submission(s) stored" in stored.text and count(desk.db, Submission) == 3


def test_an_unreadable_file_is_named_by_its_own_name(desk_app: FastAPI, desk: Desk) -> None:
    client = TestClient(desk_app)
    csrf = sign_in(client, desk.db, desk.analyst.email)
    wrong = client.post(
        "/desk/submissions/upload",
        data={"csrf_token": csrf},
        files={"file": ("../day.txt", b"hello", "text/plain")},
    )
    assert wrong.status_code == 422
    assert "day.txt: unsupported file type .txt; use .csv or .xlsx" in wrong.text
    assert "mw-upload-" not in wrong.text  # the temporary copy's path is not shown
    assert count(desk.db, Submission) == 0


def test_one_submission_by_hand(desk_app: FastAPI, desk: Desk) -> None:
    client = TestClient(desk_app)
    csrf = sign_in(client, desk.db, desk.analyst.email)
    entry = {
        "csrf_token": csrf,
        "series": SILVER,
        "date": DAY.isoformat(),
        "kind": "deal",
        "price": "7850",
        "contributor": "Smelter A",
    }
    refused = client.post("/desk/submissions", data=entry)  # a deal without a volume
    assert refused.status_code == 422 and count(desk.db, Submission) == 0
    assert 'id="manual-volume-error"' in refused.text and "a deal needs a volume" in refused.text
    assert 'value="Smelter A"' in refused.text  # what was typed comes back
    stored = client.post("/desk/submissions", data={**entry, "volume": "30"})
    assert "1 submission(s) stored" in stored.text and count(desk.db, Submission) == 1


def test_run_assessment_shows_the_draft(desk_app: FastAPI, desk: Desk) -> None:
    desk.submit(SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])
    client = TestClient(desk_app)
    csrf = sign_in(client, desk.db, desk.analyst.email)
    html = assess(client, csrf)
    row = assessment(desk.db)
    block = re.search(rf'<tbody id="assessment-{row.id}".*?</tbody>', html, re.S)
    assert block, html
    text = block.group(0)
    assert 'data-state="draft"' in text and "Draft" in text
    assert "7,840" in text and "7,860" in text and "7,850" in text
    assert "Transaction-based" in text and desk.analyst.email in text
    # The analyst gets no approve button that can only fail: four eyes, said up front.
    assert f'id="approve-{row.id}-button"' not in text
    assert "an editor who did not assess this draft approves it" in text


def test_four_eyes_on_the_approve_button(desk_app: FastAPI, desk: Desk) -> None:
    desk.submit(SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])
    client = TestClient(desk_app)
    analyst_csrf = sign_in(client, desk.db, desk.analyst.email)
    assess(client, analyst_csrf)
    row_id = assessment(desk.db).id
    approve = f"/desk/assessments/{row_id}/approve"
    by_analyst = client.post(approve, data={"csrf_token": analyst_csrf, "date": str(DAY)})
    assert by_analyst.status_code == 403 and 'id="desk-error"' in by_analyst.text
    assert "Only an editor may approve a price." in by_analyst.text

    editor_csrf = sign_in(client, desk.db, desk.editor.email)
    assess(client, editor_csrf)  # the editor re-runs it: now the editor is its assessor
    desk_page = client.get(f"/desk?date={DAY}").text
    assert f'id="approve-{row_id}-button"' not in desk_page
    assert "you assessed this draft, so another editor approves it" in desk_page
    own = client.post(approve, data={"csrf_token": editor_csrf, "date": str(DAY)})
    assert own.status_code == 409
    box = re.search(rf'id="approve-{row_id}-errors".*?</div>', own.text, re.S)
    assert box and "A second person must approve" in box.group(0)
    assert assessment(desk.db).status is AssessmentStatus.DRAFT

    assess(client, sign_in(client, desk.db, desk.analyst.email))
    editor_csrf = sign_in(client, desk.db, desk.editor.email)
    assert f'id="approve-{row_id}-button"' in client.get(f"/desk?date={DAY}").text
    approved = client.post(approve, data={"csrf_token": editor_csrf, "date": str(DAY)})
    assert approved.status_code == 200 and 'id="desk-notice"' in approved.text
    row = assessment(desk.db)
    assert row.status is AssessmentStatus.APPROVED and row.approver_id == desk.editor.id
    # Approved before 11:30 Shanghai: even the desk sees no value until the release.
    assert 'data-state="awaiting-release"' in approved.text and "7,850" not in approved.text
    desk_app.state.clock = lambda: AFTER
    released = client.get(f"/desk?date={DAY}").text
    assert 'data-state="released"' in released and "7,850" in released


def test_override_needs_a_rationale(desk_app: FastAPI, desk: Desk) -> None:
    desk.submit(PREMIUM, DAY, [("38", "200"), ("40", "200"), ("45", "200")])
    client = TestClient(desk_app)
    csrf = sign_in(client, desk.db, desk.analyst.email)
    assess(client, csrf, PREMIUM)
    row = assessment(desk.db, PREMIUM)
    path = f"/desk/assessments/{row.id}/override"
    form = {"csrf_token": csrf, "date": str(DAY), "low": "41", "high": "43", "rationale": " "}
    refused = client.post(path, data=form)
    assert refused.status_code == 422
    assert f'id="override-{row.id}-rationale-error"' in refused.text
    assert "Required: say why judgment replaces the rule." in refused.text
    assert assessment(desk.db, PREMIUM).method is row.method  # unchanged
    saved = client.post(path, data={**form, "rationale": "Two deals were distressed sales."})
    assert saved.status_code == 200 and "distressed sales" in saved.text
    after = assessment(desk.db, PREMIUM)
    assert after.method is Method.JUDGMENT and after.rationale == "Two deals were distressed sales."


def test_correction_form_validates_inline(desk_app: FastAPI, desk: Desk) -> None:
    desk.submit(SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])
    with desk.db.transaction() as session:
        run = assess_day(session, DAY, user=desk.analyst, series_code=SILVER)
        approve_assessment(session, run.assessments[0].id, user=desk.editor)
    client = TestClient(desk_app)
    csrf = sign_in(client, desk.db, desk.analyst.email)
    form = {"csrf_token": csrf, "series": SILVER, "date": str(DAY), "low": "78o0", "high": "7870"}
    refused = client.post("/desk/corrections", data={**form, "reason": ""})
    assert refused.status_code == 422
    assert 'id="correct-low-error"' in refused.text and "not a number" in refused.text
    refused = client.post("/desk/corrections", data={**form, "low": "7830", "reason": ""})
    assert 'id="correct-reason-error"' in refused.text and "needs a reason" in refused.text
    assert count(desk.db, Assessment) == 1
    drafted = client.post(
        "/desk/corrections", data={**form, "low": "7830", "reason": "A deal was keyed twice."}
    )
    assert drafted.status_code == 200 and count(desk.db, Assessment) == 2
    assert assessment(desk.db).correction_reason == "A deal was keyed twice."


def test_forms_without_the_csrf_token_are_refused(desk_app: FastAPI, desk: Desk) -> None:
    desk.submit(SILVER, DAY, [("7840", "5"), ("7850", "5"), ("7860", "5")])
    client = TestClient(desk_app)
    sign_in(client, desk.db, desk.analyst.email)
    assert client.post("/desk/assess", data={"date": str(DAY)}).status_code == 403
    assert count(desk.db, Assessment) == 0
    upload = client.post(
        "/desk/submissions/upload",
        files={"file": ("day.csv", "\n".join([HEADER, *GOOD_ROWS]), "text/csv")},
    )
    assert upload.status_code == 403 and count(desk.db, Submission) == 3  # only desk.submit's
    forged = client.post("/desk/assess", data={"csrf_token": "forged", "date": str(DAY)})
    assert forged.status_code == 403 and count(desk.db, Assessment) == 0
