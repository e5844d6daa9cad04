"""Public pages: home, catalog entries, language switch, error pages."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import Principal, may_read_series_value
from metalwire.accounts.models import User
from metalwire.catalog import service
from metalwire.catalog.models import CatalogEntry, PriceSeries, SeriesKind, SeriesStatus
from metalwire.catalog.units import price_unit_label
from metalwire.newsroom.service import latest_reports
from metalwire.pricing.boards import (
    active_series,
    any_pending,
    assessed_only,
    due_releases,
    group_boards,
    price_board,
    release_states,
)
from metalwire.pricing.published import CorrectionNotice, ReleaseState, corrections, late_releases
from metalwire.supply.service import next_survey_releases
from metalwire.web.access import access
from metalwire.web.auth import (
    CurrentPrincipal,
    LazyCsrfToken,
    get_principal,
    set_csrf_cookie,
)
from metalwire.web.deps import LANG_COOKIE, DbSession, Lang, request_session
from metalwire.web.i18n import page_lang, render
from metalwire.web.pages.survey_headlines import survey_headlines
from metalwire.web.shared import mark_shareable, navigation, placeholders, shared_content

router = APIRouter(include_in_schema=False)
# Rise/fall colours a reader may choose on the account page: red up (China's convention) or
# green up (the international one); without a choice the page's language decides.
COLOUR_CONVENTIONS = ("cn", "intl")


def page(
    request: Request, template: str, status_code: int = 200, **context: object
) -> HTMLResponse:
    """Render a page in the visitor's language with the navigation and account links."""
    lang = page_lang(request)
    with request_session(request) as session:
        nav = navigation(request, session)
        principal = getattr(request.state, "principal", None) or get_principal(request, session)
        reader = placeholders(request) if not principal.is_anonymous else None
        if reader is not None:
            convention = known_convention(reader.colour_convention)
        else:
            convention = colour_convention(session, principal)
    html = render(
        lang,
        template,
        request=request,
        nav=nav,
        path=request.url.path,
        principal=principal,
        account_email=reader.email if reader else principal.email,
        csrf_token=reader.csrf_token if reader else LazyCsrfToken(request),
        colour_convention=convention,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    set_csrf_cookie(request, response)
    if reader is not None or (
        principal.is_anonymous and not getattr(request.state, "new_csrf", None)
    ):
        # Nothing in it names this visitor (or only through the reader's placeholders): any
        # visitor asking the same with the same plan, role and colours may get it.
        mark_shareable(request)
    if request.query_params.get("lang") in ("en", "zh"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


def colour_convention(session: Session, principal: Principal) -> str | None:
    """The signed-in reader's choice of rise/fall colours ("cn", "intl"); None: by language."""
    if principal.user_id is None:
        return None
    chosen = session.scalar(select(User.colour_convention).where(User.id == principal.user_id))
    return known_convention(chosen)


def known_convention(chosen: str | None) -> str | None:
    return chosen if chosen in COLOUR_CONVENTIONS else None


@router.get("/", response_class=HTMLResponse)
@access("gated")
def home(request: Request, session: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """Latest released prices per catalog group, the latest reports, what is released next,
    and the commodity navigation. Prices go through the gate (boards.latest_board: a premium
    series above the plan shows a lock, an embargoed value is left out); set-wise reads keep
    the page to a fixed number of statements, however many series there are."""
    now: dt.datetime = request.app.state.clock()
    lang = page_lang(request)
    hit = shared_content(
        request,
        session,
        principal,
        ("home",),
        lambda: (home_content(request, session, principal, now, lang), ()),
    )
    return page(request, "home.html", main=Markup(hit.body.decode()))


def home_content(
    request: Request, session: Session, principal: Principal, now: dt.datetime, lang: str
) -> str:
    active = active_series(session)
    assessed = assessed_only(active)
    states = release_states(session, assessed, now)
    prices = group_boards(session, principal, assessed, now, per_group=8, states=states)
    # The groups and entries come with the page's navigation (``nav``); only the series count
    # per entry is the home page's own.
    counts = Counter(s.commodity.entry_id for s in active)
    desk_zone = ZoneInfo(request.app.state.settings.timezone)
    reports = [
        (report, report.published.astimezone(desk_zone))
        for report in latest_reports(session, now, lang, limit=6)
    ]
    return render(
        lang,
        "_home_main.html",
        nav=service.navigation(session),
        path="/",
        counts=counts,
        prices=prices,
        units={
            row.series.code: price_unit_label(row.series.currency, row.series.unit, lang)
            for rows, _ in prices.values()
            for row in rows
        },
        reports=reports,
        desk_zone=desk_zone.key,
        due=due_releases(((s, states[s.id]) for s in assessed), now),
        surveys=next_survey_releases(session, now)[:6],
    )


@dataclass(frozen=True)
class CorrectionRow:
    """A correction notice as a reader may see it: ``locked`` notices (a series above the
    reader's plan or history) name the series and date only — no figures, no reason, which
    may quote them."""

    notice: CorrectionNotice
    locked: bool
    published: dt.datetime  # in the series' timezone


def correction_rows(
    notices: Sequence[CorrectionNotice], principal: Principal, now: dt.datetime
) -> list[CorrectionRow]:
    rows = []
    for n in notices:
        decision = may_read_series_value(principal, n.series, n.market_date, n.published_at, now)
        local = n.published_at.astimezone(ZoneInfo(n.series.timezone))
        rows.append(CorrectionRow(n, not decision, local))
    return rows


CORRECTIONS_SHOWN = 200
LATE_SHOWN = 100


@router.get("/corrections", response_class=HTMLResponse)
@access("gated")
def corrections_page(
    request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    """Corrections and announcements: released price corrections, newest first (old and new
    values and the reason, through the gate), today's overdue releases, and the record of
    releases that came out late."""
    now: dt.datetime = request.app.state.clock()
    lang = page_lang(request)
    notices = corrections(session, as_of=now)
    rows = correction_rows(notices[:CORRECTIONS_SHOWN], principal, now)
    assessed = assessed_only(active_series(session))
    states = release_states(session, assessed, now)
    delayed = [
        slot
        for slot in due_releases(((s, states[s.id]) for s in assessed), now)
        if slot.state == ReleaseState.DELAYED
    ]
    return page(
        request,
        "corrections.html",
        rows=rows,
        more=max(0, len(notices) - CORRECTIONS_SHOWN),
        units={
            r.notice.series.code: price_unit_label(
                r.notice.series.currency, r.notice.series.unit, lang
            )
            for r in rows
        },
        delayed=delayed,
        late=late_releases(session, as_of=now)[:LATE_SHOWN],
    )


@router.get("/entry/{code}", response_class=HTMLResponse)
@access("gated")
def entry_page(code: str, request: Request, session: DbSession) -> HTMLResponse:
    entry = session.scalar(select(CatalogEntry).where(CatalogEntry.code == code))
    if entry is None:
        return error_page(request, 404, None)
    now: dt.datetime = request.app.state.clock()
    principal = get_principal(request, session)
    hit = shared_content(
        request,
        session,
        principal,
        ("entry", entry.id),
        lambda: entry_content(request, session, principal, entry, now),
    )
    pending = "pending" in hit.marks
    return page(
        request,
        "entry.html",
        entry=entry,
        main=Markup(hit.body.decode()),
        banner=pending and not banner_dismissed(request, now),
    )


def entry_content(
    request: Request,
    session: Session,
    principal: Principal,
    entry: CatalogEntry,
    now: dt.datetime,
) -> tuple[str, tuple[str, ...]]:
    """The entry's prices (through the gate), survey headlines and reports; marked "pending"
    while any price in view awaits its release time."""
    series, _ = service.list_series(
        session, service.SeriesFilter(entry=entry.code, status=SeriesStatus.ACTIVE), limit=500
    )
    lang = page_lang(request)
    board = price_board(session, principal, series, now)
    units = {s.code: price_unit_label(s.currency, s.unit, lang) for s in series}
    surveys = survey_headlines(session, principal, entry.id, now, lang)
    # The monthly production reports first: daily price reports would crowd them out.
    reports = latest_reports(session, now, lang, 3, tags=[h.survey.code for h in surveys])
    if series:
        shown = {r.slug for r in reports}
        daily = latest_reports(session, now, lang, 6, tags=[s.code for s in series])
        reports += [r for r in daily if r.slug not in shown]
    html = render(
        lang,
        "_entry_main.html",
        path=request.url.path,
        entry=entry,
        board=board,
        links=series_links(session, series),
        units=units,
        surveys=surveys,
        reports=reports,
    )
    return html, ("pending",) if any_pending(board) else ()


def series_links(session: Session, series: Sequence[PriceSeries]) -> dict[str, str]:
    """Where each series' values are read: an index on its index page, a futures settlement on
    the futures board, an assessed price on its series page; a series nothing publishes yet
    (an index without a definition) has no link rather than one that answers 404."""
    from metalwire.indices.service import definitions

    defined = {d.code for d in definitions(session)} if series else set()
    links = {}
    for s in series:
        if s.kind is SeriesKind.INDEX:
            if s.code in defined:
                links[s.code] = f"/indices/{s.code}"
        elif s.kind is SeriesKind.FUTURES_SETTLEMENT:
            links[s.code] = "/futures"
        else:
            links[s.code] = f"/series/{s.code}"
    return links


BANNER_COOKIE = "mw_banner"


def banner_dismissed(request: Request, now: dt.datetime) -> bool:
    """ "Got it" hides the release banner for the rest of the day (the visitor's choice)."""
    return request.cookies.get(BANNER_COOKIE) == now.date().isoformat()


@router.post("/banner/dismiss")
@access("public")
def dismiss_banner(
    request: Request,
    next: Annotated[str, Form()] = "/",
) -> Response:
    # No CSRF token, as for the language switch: it only sets a display cookie on the browser
    # that posts it (a forged "Got it" hides a banner, nothing more), and a token in the banner
    # would make every anonymous page at the release instant personal, rendered per visitor.
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
