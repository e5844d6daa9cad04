"""Complaints on the site: the account page's form to log one (the section is on /account,
pages/complaint_view.py) and the desk's list of every complaint with how long it has waited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from metalwire.accounts import service as accounts
from metalwire.errors import ServiceError
from metalwire.governance import complaints
from metalwire.governance.complaints import NewComplaint
from metalwire.governance.rules import ComplaintState, ComplaintSubject
from metalwire.web.access import access
from metalwire.web.api.prices import now_of
from metalwire.web.auth import CsrfField, CurrentPrincipal, check_csrf
from metalwire.web.deps import FormText, request_session, unit_of_work
from metalwire.web.i18n import translate as _t
from metalwire.web.pages.account import SIGN_IN, account_page
from metalwire.web.pages.desk.forms import refuse_non_staff
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


@router.get("/desk/complaints", response_class=HTMLResponse)
@access("staff")
def desk_complaints(request: Request, principal: CurrentPrincipal) -> Response:
    refused = refuse_non_staff(request, principal)
    if refused is not None:
        return refused
    now = now_of(request)
    with request_session(request) as session:
        rows = [(c, complaints.age_days(c, now)) for c in complaints.every(session)]
        return page(
            request,
            "desk_complaints.html",
            rows=rows,
            waiting=sum(1 for c, _ in rows if c.state is ComplaintState.LOGGED),
            desk_section="complaints",
        )
