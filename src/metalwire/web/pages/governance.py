"""Methodology consultations on the site: the list, one consultation with its comments and
decision, and the comment form for signed-in readers while it is open."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from metalwire.accounts import service as accounts
from metalwire.accounts.gate import may_see_drafts
from metalwire.errors import NotFound, ServiceError
from metalwire.governance import consultations
from metalwire.governance.rules import stage_on
from metalwire.web.access import access
from metalwire.web.api.prices import now_of
from metalwire.web.auth import CsrfField, CurrentPrincipal, check_csrf
from metalwire.web.deps import FormText, RowId, request_session, unit_of_work
from metalwire.web.pages.site import error_page, page

router = APIRouter(include_in_schema=False)


@router.get("/consultations", response_class=HTMLResponse)
@access("public")
def consultations_page(request: Request, principal: CurrentPrincipal) -> Response:
    today = now_of(request).date()
    with request_session(request) as session:
        items = consultations.listing(session, staff=bool(may_see_drafts(principal)))
        return page(
            request,
            "consultations.html",
            items=[(c, stage_on(c.stage, c.closes_on, today).value) for c in items],
        )


def consultation_view(
    request: Request,
    consultation_id: int,
    principal: CurrentPrincipal,
    *,
    error: str | None = None,
    body: str = "",
    status_code: int = 200,
) -> Response:
    today = now_of(request).date()
    with request_session(request) as session:
        try:
            item = consultations.get(
                session, consultation_id, staff=bool(may_see_drafts(principal))
            )
        except NotFound:
            return error_page(request, 404, None)
        return page(
            request,
            "consultation.html",
            status_code=status_code,
            item=item,
            stage=stage_on(item.stage, item.closes_on, today).value,
            comment_error=error,
            comment_body=body,
        )


@router.get("/consultations/{consultation_id}", response_class=HTMLResponse)
@access("public")
def consultation_page(
    consultation_id: RowId, request: Request, principal: CurrentPrincipal
) -> Response:
    return consultation_view(request, consultation_id, principal)


@router.post("/consultations/{consultation_id}/comments")
@access("write")
def comment_form(
    consultation_id: RowId,
    request: Request,
    principal: CurrentPrincipal,
    body: FormText,
    csrf: CsrfField = None,
    show_name: Annotated[bool, Form()] = False,
) -> Response:
    """A signed-in reader's comment, back to the consultation (its error beside the form)."""
    check_csrf(request, csrf)
    here = f"/consultations/{consultation_id}"
    if principal.is_anonymous or principal.email is None:
        return RedirectResponse(f"/sign-in?next={here}", status_code=303)
    try:
        with unit_of_work(request) as session:
            user = accounts.require_user(session, principal.email)
            consultations.comment(
                session, consultation_id, user, body, show_name=show_name, now=now_of(request)
            )
    except ServiceError as exc:
        return consultation_view(
            request,
            consultation_id,
            principal,
            error=exc.problems[0].message,
            body=body,
            status_code=422,
        )
    return RedirectResponse(f"{here}#comments", status_code=303)
