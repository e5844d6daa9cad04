"""The account page's webhook forms and each endpoint's delivery log page.

The section itself is on /account (pages/account.py, with pages/webhook_view.py's context):
adding answers the page again with the signing secret, shown this once; a refusal shows the page
with the error beside its field; removing, enabling and redelivering go back where they came
from. Another reader's endpoint or delivery is as unknown as a missing one (404).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from metalwire.accounts import service as accounts
from metalwire.accounts.gate import Principal
from metalwire.accounts.models import User
from metalwire.delivery import webhooks
from metalwire.errors import ServiceError
from metalwire.web.access import access
from metalwire.web.auth import CsrfField, CurrentPrincipal, check_csrf
from metalwire.web.deps import RowId, request_session, unit_of_work
from metalwire.web.pages.account import SIGN_IN, account_page
from metalwire.web.pages.site import page

router = APIRouter(include_in_schema=False)
LogId = Annotated[str, Form(min_length=1, max_length=36)]


def _email(principal: Principal) -> str | None:
    return None if principal.is_anonymous else principal.email


def _codes(text: str) -> list[str]:
    return [code for code in re.split(r"[\s,;]+", text) if code]


@router.post("/account/webhooks")
@access("account")
def add_webhook(
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    url: Annotated[str, Form(max_length=500)] = "",
    event: Annotated[list[str] | None, Form()] = None,
    series: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Register an endpoint for the ticked events (and, if given, only these codes)."""
    check_csrf(request, csrf)
    email = _email(principal)
    if email is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    try:
        with unit_of_work(request) as session:
            made = webhooks.add_endpoint(
                session,
                accounts.require_user(session, email),
                url=url,
                events=event or [],
                codes=_codes(series),
                allow_private=request.app.state.settings.webhooks_allow_private,
                actor=email,
            )
            shown = {"id": made.endpoint.id, "url": made.endpoint.url, "secret": made.secret}
    except ServiceError as exc:
        problem = exc.problems[0]
        return account_page(
            request,
            email,
            new_key=None,
            error=None,
            status_code=422,
            webhook_error={"field": problem.field, "text": problem.message},
            webhook_values={"url": url, "events": event or [], "series": series},
        )
    return account_page(request, email, new_key=None, error=None, new_webhook=shown)


def _change_endpoint(
    request: Request,
    principal: Principal,
    csrf: str | None,
    change: Callable[[Session, User, str], object],
) -> Response:
    """A form's change to one of the reader's endpoints, then back to the account's list."""
    check_csrf(request, csrf)
    email = _email(principal)
    if email is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    with unit_of_work(request) as session:
        change(session, accounts.require_user(session, email), email)
    return RedirectResponse("/account#webhooks", status_code=303)


@router.post("/account/webhooks/{webhook_id}/remove")
@access("account")
def remove_webhook(
    request: Request, webhook_id: RowId, principal: CurrentPrincipal, csrf: CsrfField = None
) -> Response:
    return _change_endpoint(
        request,
        principal,
        csrf,
        lambda session, user, email: webhooks.remove_endpoint(
            session, user, webhook_id, actor=email
        ),
    )


@router.post("/account/webhooks/{webhook_id}/enable")
@access("account")
def enable_webhook(
    request: Request, webhook_id: RowId, principal: CurrentPrincipal, csrf: CsrfField = None
) -> Response:
    return _change_endpoint(
        request,
        principal,
        csrf,
        lambda session, user, email: webhooks.enable_endpoint(
            session, user, webhook_id, actor=email
        ),
    )


@router.get("/account/webhooks/{webhook_id}", response_class=HTMLResponse)
@access("account")
def webhook_log(request: Request, webhook_id: RowId, principal: CurrentPrincipal) -> Response:
    """One endpoint's newest deliveries, each with a button to send it again."""
    email = _email(principal)
    if email is None:
        return RedirectResponse(f"/sign-in?next=/account/webhooks/{webhook_id}", status_code=303)
    with request_session(request) as session:
        user = accounts.require_user(session, email)
        endpoint = webhooks.endpoint_of(session, user, webhook_id)
        log = webhooks.delivery_log(session, user, webhook_id)
        return page(request, "account_webhook.html", endpoint=endpoint, deliveries=log)


@router.post("/account/webhooks/deliveries/redeliver")
@access("account")
def redeliver(
    request: Request,
    principal: CurrentPrincipal,
    delivery: LogId,
    csrf: CsrfField = None,
) -> Response:
    """Queue one of the reader's deliveries again; back to its endpoint's log."""
    check_csrf(request, csrf)
    email = _email(principal)
    if email is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    with unit_of_work(request) as session:
        user = accounts.require_user(session, email)
        sent = webhooks.redeliver(
            session, user, delivery, now=request.app.state.clock(), actor=email
        )
        target = sent.target
    return RedirectResponse(f"/account/webhooks/{target}#deliveries", status_code=303)
