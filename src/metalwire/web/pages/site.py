"""Public pages: home, catalog entries, language switch, error pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from metalwire.catalog import service
from metalwire.catalog.models import CatalogEntry, SeriesStatus
from metalwire.catalog.units import price_unit_label
from metalwire.web.access import access
from metalwire.web.auth import check_csrf, csrf_token, get_principal, set_csrf_cookie
from metalwire.web.boards import any_pending, price_board
from metalwire.web.deps import LANG_COOKIE, DbSession, Lang, resolve_lang
from metalwire.web.i18n import render

router = APIRouter(include_in_schema=False)


def page(
    request: Request, template: str, status_code: int = 200, **context: object
) -> HTMLResponse:
    """Render a page in the visitor's language with the navigation and account links."""
    lang = resolve_lang(request, request.query_params.get("lang"))
    with request.app.state.sessions() as session:
        nav, _ = service.catalog_tree(session)
        principal = getattr(request.state, "principal", None) or get_principal(request, session)
    html = render(
        lang,
        template,
        request=request,
        nav=nav,
        path=request.url.path,
        principal=principal,
        csrf_token=csrf_token(request),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    set_csrf_cookie(request, response)
    if request.query_params.get("lang") in ("en", "zh"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


@router.get("/", response_class=HTMLResponse)
@access("public")
def home(request: Request, session: DbSession) -> HTMLResponse:
    groups, counts = service.catalog_tree(session)
    return page(request, "home.html", groups=groups, counts=counts)


@router.get("/entry/{code}", response_class=HTMLResponse)
@access("gated")
def entry_page(code: str, request: Request, session: DbSession) -> HTMLResponse:
    entry = session.scalar(select(CatalogEntry).where(CatalogEntry.code == code))
    if entry is None:
        return error_page(request, 404, None)
    series, _ = service.list_series(
        session, service.SeriesFilter(entry=code, status=SeriesStatus.ACTIVE), limit=500
    )
    lang = resolve_lang(request, request.query_params.get("lang"))
    now: dt.datetime = request.app.state.clock()
    board = price_board(session, get_principal(request, session), series, now)
    units = {s.code: price_unit_label(s.currency, s.unit, lang) for s in series}
    return page(
        request,
        "entry.html",
        entry=entry,
        board=board,
        units=units,
        banner=any_pending(board) and not banner_dismissed(request, now),
    )


BANNER_COOKIE = "mw_banner"


def banner_dismissed(request: Request, now: dt.datetime) -> bool:
    """ "Got it" hides the release banner for the rest of the day (the visitor's choice)."""
    return request.cookies.get(BANNER_COOKIE) == now.date().isoformat()


@router.post("/banner/dismiss")
@access("public")
def dismiss_banner(
    request: Request,
    csrf_token: Annotated[str | None, Form()] = None,
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf_token)
    now: dt.datetime = request.app.state.clock()
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        BANNER_COOKIE, now.date().isoformat(), max_age=86400, samesite="lax", httponly=True
    )
    return response


@router.get("/set-lang")
@access("public")
def set_lang(lang: Lang, next: Annotated[str, Query()] = "/") -> Response:
    # Only local paths: the switch must not become an open redirect.
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def error_page(request: Request, status: int, detail: str | None) -> HTMLResponse:
    try:
        return page(request, "error.html", status_code=status, status=status, detail=detail)
    except Exception:  # the navigation needs the database; an error page must not fail
        return HTMLResponse(f"<h1>{status}</h1>", status_code=status)
