"""Complaints on the site: the account page's form to log one (the section is on /account,
pages/complaint_view.py), and the desk's list of every complaint with how long it has waited,
where staff acknowledge and answer each (the same service as the API and `metalwire complaint`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from metalwire.accounts import service as accounts
from metalwire.accounts.gate import Principal
from metalwire.accounts.models import Scope
from metalwire.errors import ServiceError
from metalwire.governance import complaints
from metalwire.governance.complaints import NewComplaint
from metalwire.governance.rules import ComplaintOutcome, ComplaintState, ComplaintSubject
from metalwire.web.access import access
from metalwire.web.api.prices import now_of
from metalwire.web.auth import CsrfField, CurrentPrincipal, check_csrf
from metalwire.web.deps import FormText, RowId, request_session, unit_of_work
from metalwire.web.i18n import translate as _t
from metalwire.web.pages.account import SIGN_IN, account_page
from metalwire.web.pages.desk.forms import (
    FormFailure,
    act_as_staff,
    done_redirect,
    refuse_non_staff,
    sign_in,
)
from metalwire.web.pages.site import page

router = APIRouter(include_in_schema=False)


@router.post("/account/complaints")
@access("write")
def log_complaint(
    request: Request,
    principal: CurrentPrincipal,
    subject_kind: Annotated[str, Form()],
    subject: FormText,
    body: FormText,
    csrf: CsrfField = None,
) -> Response:
    check_csrf(request, csrf)
    if principal.is_anonymous or principal.email is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    values = {"subject_kind": subject_kind, "subject": subject, "body": body}
    try:
        kind = ComplaintSubject(subject_kind)
    except ValueError:
        error = {
            "field": "subject_kind",
            "text": _t(request, "Choose what the complaint is about."),
        }
        return _refused(request, principal.email, error, values)
    try:
        with unit_of_work(request) as session:
            user = accounts.require_user(session, principal.email)
            new = NewComplaint(kind, subject, body)
            complaints.log_complaint(session, user, new, now=now_of(request))
    except ServiceError as exc:
        first = exc.problems[0]
        error = {"field": first.field or "body", "text": first.message}
        return _refused(request, principal.email, error, values)
    return RedirectResponse("/account#complaints", status_code=303)


def _refused(
    request: Request, email: str, error: dict[str, str], values: dict[str, str]
) -> HTMLResponse:
    return account_page(
        request,
        email,
        new_key=None,
        error=None,
        status_code=422,
        complaint_error=error,
        complaint_values=values,
    )


DESK_PATH = "/desk/complaints"


@router.get(DESK_PATH, response_class=HTMLResponse)
@access("staff")
def desk_complaints(request: Request, principal: CurrentPrincipal) -> Response:
    refused = refuse_non_staff(request, principal)
    if refused is not None:
        return refused
    return _desk_page(request)


def _desk_page(
    request: Request, *, status_code: int = 200, failure: FormFailure | None = None
) -> HTMLResponse:
    now = now_of(request)
    with request_session(request) as session:
        rows = [(c, complaints.age_days(c, now)) for c in complaints.every(session)]
        return page(
            request,
            "desk_complaints.html",
            status_code=status_code,
            rows=rows,
            waiting=sum(1 for c, _ in rows if c.state is ComplaintState.LOGGED),
            outcomes=list(ComplaintOutcome),
            failure=failure,
            done=request.query_params.get("done") if failure is None else None,
            desk_section="complaints",
        )


def _desk_step(
    request: Request,
    principal: Principal,
    failure: FormFailure,
    act: Callable[[Session, str], object],
    done: str,
) -> Response:
    """One step of a complaint as the signed-in desk member, in one transaction: back to the
    list with ``done``, or the list again with the refusal beside the complaint's form."""
    refused = refuse_non_staff(request, principal)
    if refused is not None:
        return refused
    act_as_staff(request, principal, failure, act, scope=Scope.SUBMIT, doing="answer complaints")
    if failure.errors:
        return _desk_page(request, status_code=failure.status, failure=failure)
    return done_redirect(DESK_PATH, {"done": done})


@router.post(DESK_PATH + "/{complaint_id}/acknowledge")
@access("write")
def desk_acknowledge(
    request: Request, principal: CurrentPrincipal, complaint_id: RowId, csrf: CsrfField = None
) -> Response:
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return sign_in(DESK_PATH)
    failure = FormFailure(f"answer-{complaint_id}", {}, _t(request, "missing"))

    def act(session: Session, actor: str) -> None:
        complaints.acknowledge(session, complaint_id, actor=actor, now=now_of(request))

    return _desk_step(request, principal, failure, act, "acknowledged")


@router.post(DESK_PATH + "/{complaint_id}/answer")
@access("write")
def desk_answer(
    request: Request,
    principal: CurrentPrincipal,
    complaint_id: RowId,
    answer: FormText,
    outcome: Annotated[str, Form()] = "",
    csrf: CsrfField = None,
) -> Response:
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return sign_in(DESK_PATH)
    values = {"answer": answer, "outcome": outcome}
    failure = FormFailure(f"answer-{complaint_id}", values, _t(request, "missing"))
    if not answer.strip():
        failure.add("answer", failure.missing)
    chosen = next((o for o in ComplaintOutcome if o.value == outcome), None)
    if chosen is None:
        failure.add("outcome", _t(request, "Choose the outcome."))

    def act(session: Session, actor: str) -> None:
        assert chosen is not None
        complaints.answer(
            session, complaint_id, text=answer, outcome=chosen, actor=actor, now=now_of(request)
        )

    return _desk_step(request, principal, failure, act, "answered")
