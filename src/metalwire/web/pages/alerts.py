"""The account page's alert forms: price-move rules and report subscriptions.

The page itself is /account (pages/account.py); these routes change the reader's own rules and
answer with the page again: redirected on success, re-rendered with the error inline on refusal.
What a rule may watch is decided by the access gate, in alerts.service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from metalwire.accounts import service as accounts
from metalwire.alerts import service
from metalwire.web.access import access
from metalwire.web.auth import CsrfField, CurrentPrincipal, check_csrf
from metalwire.web.deps import unit_of_work
from metalwire.web.i18n import translate as _t
from metalwire.web.pages.account import SIGN_IN, account_page

router = APIRouter(include_in_schema=False)


def _refused(request: Request, email: str, **sections: object) -> Response:
    """The account page again, with the refusal next to the form that caused it."""
    return account_page(request, email, new_key=None, error=None, status_code=422, **sections)


@router.post("/account/alerts")
@access("account")
def create_alert(
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    series: Annotated[str, Form()] = "",
    threshold: Annotated[str, Form()] = "",
) -> Response:
    """Add a price alert (or change the threshold of the one on that series)."""
    check_csrf(request, csrf)
    if principal.is_anonymous or principal.email is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    try:
        with unit_of_work(request) as session:
            user = accounts.require_user(session, principal.email)
            service.set_price_alert(session, user, series, threshold, actor=principal.email)
    except service.AlertRefused as exc:
        return _refused(
            request,
            principal.email,
            alert_error={"field": exc.field, "text": exc.text(lambda m: _t(request, m))},
            alert_values={"series": series, "threshold": threshold},
        )
    return RedirectResponse("/account#alerts", status_code=303)


@router.post("/account/alerts/delete")
@access("account")
def delete_alert(
    request: Request,
    principal: CurrentPrincipal,
    alert_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    csrf: CsrfField = None,
) -> Response:
    """Delete one of the reader's own price alerts (another reader's id deletes nothing)."""
    check_csrf(request, csrf)
    if principal.is_anonymous or principal.email is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    with unit_of_work(request) as session:
        user = accounts.require_user(session, principal.email)
        service.delete_price_alert(session, user, alert_id, actor=principal.email)
    return RedirectResponse("/account#alerts", status_code=303)


@router.post("/account/reports")
@access("account")
def save_report_groups(
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    group: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The catalog groups whose new reports the reader wants e-mailed (the ticked boxes)."""
    check_csrf(request, csrf)
    if principal.is_anonymous or principal.email is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    clock = request.app.state.clock
    try:
        with unit_of_work(request) as session:
            user = accounts.require_user(session, principal.email)
            service.set_report_groups(
                session, user, group or [], actor=principal.email, now=clock()
            )
    except service.AlertRefused as exc:
        return _refused(
            request,
            principal.email,
            reports_error=exc.text(lambda m: _t(request, m)),
        )
    return RedirectResponse("/account#reports", status_code=303)
