"""Sign-up, sign-in, sign-out, password reset and the account page (plan, API keys, settings;
the alert forms post to pages/alerts.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from metalwire.accounts import service
from metalwire.accounts.gate import may_read_tier
from metalwire.accounts.mail import send_mail
from metalwire.accounts.models import Role, Scope, User
from metalwire.alerts import service as alerts
from metalwire.audit import record
from metalwire.catalog import service as catalog
from metalwire.catalog.models import SeriesStatus
from metalwire.web.access import access
from metalwire.web.auth import SESSION_COOKIE, CsrfField, CurrentPrincipal, check_csrf
from metalwire.web.deps import FormText, RowId, request_session, unit_of_work
from metalwire.web.i18n import page_lang
from metalwire.web.i18n import translate as _t
from metalwire.web.pages.complaint_view import complaints_context
from metalwire.web.pages.site import COLOUR_CONVENTIONS, page
from metalwire.web.pages.webhook_view import webhooks_context

router = APIRouter(include_in_schema=False)
# Where the account's page and forms send a visitor without a session (back here after).
SIGN_IN = "/sign-in?next=/account"


def _local(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _signed_in(request: Request, token: str, target: str) -> Response:
    response = RedirectResponse(_local(target), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=14 * 86400,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def _sign_in_as(
    request: Request, user_of: Callable[[Session], User], form: str, **shown: object
) -> Response:
    """Signed in (to the account page) as the user ``user_of`` makes or finds, in the same
    transaction as the session; or the form again, with ``shown`` and why not."""
    try:
        with unit_of_work(request) as session:
            token = service.start_session(session, user_of(session))
    except service.AccountError as exc:
        return page(request, form, status_code=422, error=str(exc), **shown)
    return _signed_in(request, token, "/account")


@router.get("/sign-in", response_class=HTMLResponse)
@access("account")
def sign_in_form(request: Request, next: str = "/") -> HTMLResponse:
    return page(request, "sign_in.html", next=_local(next), error=None, email="")


@router.post("/sign-in")
@access("account")
def sign_in(
    request: Request,
    email: FormText,
    password: FormText,
    csrf: CsrfField = None,
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf)
    address = request.client.host if request.client else ""
    with unit_of_work(request) as session:
        try:
            user = service.authenticate(session, email, password, address=address)
        except service.SignInThrottled as exc:
            response = page(
                request,
                "sign_in.html",
                status_code=429,
                next=_local(next),
                email=email,
                error=_t(request, "Too many failed attempts. Try again later."),
            )
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        if user is None:
            error = _t(request, "Wrong e-mail or password.")
        else:
            return _signed_in(request, service.start_session(session, user), next)
    return page(
        request, "sign_in.html", status_code=401, next=_local(next), email=email, error=error
    )


@router.get("/sign-up", response_class=HTMLResponse)
@access("account")
def sign_up_form(request: Request) -> HTMLResponse:
    return page(request, "sign_up.html", error=None, email="")


@router.post("/sign-up")
@access("account")
def sign_up(
    request: Request, email: FormText, password: FormText, csrf: CsrfField = None
) -> Response:
    check_csrf(request, csrf)

    def new_reader(session: Session) -> User:
        return service.add_user(
            session,
            email,
            role=Role.READER,
            plan="free",
            password=password,
            actor=email.strip().lower(),
        )

    return _sign_in_as(request, new_reader, "sign_up.html", email=email)


@router.post("/sign-out")
@access("account")
def sign_out(request: Request, csrf: CsrfField = None) -> Response:
    check_csrf(request, csrf)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with unit_of_work(request) as session:
            service.end_session(session, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/account", response_class=HTMLResponse)
@access("account")
def account(request: Request, principal: CurrentPrincipal) -> Response:
    if principal.is_anonymous:
        return RedirectResponse(SIGN_IN, status_code=303)
    return account_page(request, principal.email or "", new_key=None, error=None)


def account_page(
    request: Request,
    email: str,
    *,
    new_key: str | None,
    error: str | None,
    status_code: int = 200,
    **sections: object,
) -> HTMLResponse:
    """The account page; ``sections`` carries a section's inline error and submitted values."""
    with request_session(request) as session:
        user = service.require_user(session, email)
        keys = service.user_api_keys(session, user)
        return page(
            request,
            "account.html",
            status_code=status_code,
            user=user,
            keys=keys,
            new_key=new_key,
            error=error,
            scopes=list(Scope),
            # A section's error and submitted values replace its defaults.
            **{
                **_settings_context(request, user),
                **_alerts_context(session, user),
                **webhooks_context(session, user),
                **complaints_context(session, user),
                **sections,
            },
        )


def _settings_context(request: Request, user: User) -> dict[str, object]:
    lang = page_lang(request)
    return {
        "conventions": [
            ("", _t(request, "By language (default)")),
            ("cn", _t(request, "Red up / green down")),
            ("intl", _t(request, "Green up / red down")),
        ],
        "chosen_convention": user.colour_convention or "",
        "mail_langs": [("en", "English"), ("zh", "中文")],
        "chosen_mail_lang": user.lang or lang,
        "settings_error": None,
    }


def _alerts_context(session: Session, user: User) -> dict[str, object]:
    principal = service.principal_of(user)
    active, _ = catalog.list_series(
        session, catalog.SeriesFilter(status=SeriesStatus.ACTIVE), limit=1000
    )
    return {
        "alerts": alerts.price_alerts(session, user.id),
        # Offered in the form: only what the reader's plan may see (the server checks again).
        "alertable": [
            s
            for s in active
            if may_read_tier(principal, s.tier.value, s.commodity.entry.group.code)
        ],
        "groups": alerts.group_names(session),
        "report_groups": alerts.report_groups(session, user.id),
        "alert_error": None,
        "alert_values": {"series": "", "threshold": ""},
        "reports_error": None,
    }


def _save_settings(session: Session, user: User, convention: str, mail_lang: str) -> None:
    before = {"colour_convention": user.colour_convention, "lang": user.lang}
    user.colour_convention = convention or None
    user.lang = mail_lang
    after = {"colour_convention": user.colour_convention, "lang": user.lang}
    if after != before:
        record(
            session,
            actor=user.email,
            action="set-settings",
            object_type="user",
            object_id=user.email,
            before=before,
            after=after,
        )


@router.post("/account/settings")
@access("account")
def save_settings(
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    colour_convention: Annotated[str, Form()] = "",
    mail_lang: Annotated[str, Form()] = "en",
) -> Response:
    """The reader's colours for rises and falls, and the language of alert e-mails."""
    check_csrf(request, csrf)
    if principal.is_anonymous or principal.email is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    problem = None
    if colour_convention not in ("", *COLOUR_CONVENTIONS):
        problem = _t(request, "Colours of rises and falls: choose one of the options.")
    elif mail_lang not in ("en", "zh"):
        problem = _t(request, "Language of alert e-mails: choose English or Chinese.")
    if problem is not None:
        return account_page(
            request,
            principal.email,
            new_key=None,
            error=None,
            status_code=422,
            settings_error=problem,
        )
    with unit_of_work(request) as session:
        _save_settings(
            session, service.require_user(session, principal.email), colour_convention, mail_lang
        )
    return RedirectResponse("/account#settings", status_code=303)


@router.post("/account/keys")
@access("account")
def create_key(
    request: Request,
    principal: CurrentPrincipal,
    scope: Annotated[Scope, Form()],
    csrf: CsrfField = None,
    name: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    if principal.is_anonymous or principal.email is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    try:
        with unit_of_work(request) as session:
            new = service.create_api_key(
                session, principal.email, scope, name=name, actor=principal.email
            )
    except service.AccountError as exc:
        return account_page(request, principal.email, new_key=None, error=str(exc), status_code=422)
    return account_page(request, principal.email, new_key=new.secret, error=None)


@router.post("/account/keys/{key_id}/revoke")
@access("account")
def revoke_key(
    request: Request, key_id: RowId, principal: CurrentPrincipal, csrf: CsrfField = None
) -> Response:
    check_csrf(request, csrf)
    if principal.is_anonymous or principal.email is None:
        return RedirectResponse(SIGN_IN, status_code=303)
    with unit_of_work(request) as session:
        user = service.require_user(session, principal.email)
        if key_id in {k.id for k in service.user_api_keys(session, user)}:
            service.revoke_api_key(session, key_id, actor=principal.email)
    return RedirectResponse("/account", status_code=303)


@router.get("/account/reset", response_class=HTMLResponse)
@access("account")
def reset_request_form(request: Request) -> HTMLResponse:
    return page(request, "reset_request.html", sent=False)


@router.post("/account/reset", response_class=HTMLResponse)
@access("account")
def reset_request(request: Request, email: FormText, csrf: CsrfField = None) -> HTMLResponse:
    check_csrf(request, csrf)
    settings = request.app.state.settings
    with unit_of_work(request) as session:
        issued = service.request_password_reset(session, email)
    if issued is not None:
        user, token = issued
        link = f"{settings.base_url.rstrip('/')}/account/reset/{token}"
        send_mail(
            settings,
            user.email,
            _t(request, "Reset your metalwire password"),
            _t(request, "Open this link within one hour to choose a new password:")
            + f"\n\n{link}\n",
        )
    # The same answer whether or not the address is known: no account discovery.
    return page(request, "reset_request.html", sent=True)


@router.get("/account/reset/{token}", response_class=HTMLResponse)
@access("account")
def reset_form(request: Request, token: str) -> HTMLResponse:
    return page(request, "reset_form.html", token=token, error=None)


@router.post("/account/reset/{token}")
@access("account")
def reset_password(
    request: Request, token: str, password: FormText, csrf: CsrfField = None
) -> Response:
    check_csrf(request, csrf)
    return _sign_in_as(
        request,
        lambda session: service.complete_password_reset(session, token, password),
        "reset_form.html",
        token=token,
    )
