"""Market pages: futures (latest settlements, the curve by contract month), indices and
arbitrage windows, each with a server-drawn chart and a table, through the access gate.

The pages read the same services and ask the same rules as /api/v1 (markets/access.py,
indices/access.py): a window or index above the reader's plan shows its definition and a
subscribe link, never a value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import Principal, history_floor, history_start
from metalwire.accounts.models import Plan
from metalwire.accounts.service import plan_entitlements
from metalwire.catalog.units import instrument_unit_label, plain, price_unit_label
from metalwire.indices import engine
from metalwire.indices import service as indices
from metalwire.indices.access import index_decision, locked_constituents
from metalwire.markets import service as markets
from metalwire.markets import windows
from metalwire.markets.access import instrument_decision, window_decision
from metalwire.web.access import access
from metalwire.web.api.markets import index_listings, published_index
from metalwire.web.api.prices import now_of
from metalwire.web.auth import CurrentPrincipal
from metalwire.web.charts import line_chart
from metalwire.web.deps import DbSession
from metalwire.web.i18n import page_lang
from metalwire.web.pages.site import error_page, page

router = APIRouter(include_in_schema=False)
TABLE_ROWS = 30  # newest rows listed under a chart
DEFAULT_ROOT = "SHFE-CU"


def _roots(session: DbSession) -> list[str]:
    roots = {
        i.code.rsplit("-", 1)[0]
        for i in markets.instruments(session)
        if i.kind == "future" and i.contract_month
    }
    return sorted(roots)


@router.get("/futures", response_class=HTMLResponse)
@access("gated")
def futures_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    root: Annotated[str | None, Query(max_length=64)] = None,
    date: Annotated[dt.date | None, Query()] = None,
) -> HTMLResponse:
    now = now_of(request)
    lang = page_lang(request)
    allowed = bool(instrument_decision(principal))
    floor = history_floor(principal, now.date())
    latest = markets.latest_settlements(session, as_of=now, since=floor) if allowed else {}
    # Settled, but before the plan's window: say so, and which plan shows it.
    ever = markets.latest_settlements(session, as_of=now) if allowed and floor else latest
    board = [
        {
            "instrument": i,
            "unit_label": instrument_unit_label(i.kind, i.code, i.currency, i.unit, lang),
            "latest": latest.get(i.code),
            "older": i.code in ever and i.code not in latest,
        }
        for i in markets.instruments(session)
        if i.kind != "future"
    ]
    roots = _roots(session)
    chosen = root if root in roots else (DEFAULT_ROOT if DEFAULT_ROOT in roots else None)
    curve_day: dt.date | None = None
    curve: list[markets.CurvePoint] = []
    if chosen and allowed:
        curve_day, curve = markets.futures_curve(session, chosen, as_of=now, day=date, since=floor)
    chart = line_chart(
        [(p.instrument.contract_month or "", p.settlement.settle) for p in curve],
        title=f"{chosen} {curve_day or ''}",
    )
    unit_label = (
        price_unit_label(curve[0].instrument.currency, curve[0].instrument.unit, lang)
        if curve
        else ""
    )
    return page(
        request,
        "futures.html",
        board=board,
        roots=roots,
        root=chosen,
        curve_day=curve_day,
        curve=curve,
        chart=chart,
        unit_label=unit_label,
        locked=not allowed,
        plain=plain,
        wider=wider_plan(session, principal, lang),
        history_days=principal.entitlements.history_days,
    )


def wider_plan(session: Session, principal: Principal, lang: str) -> str | None:
    """The name of the nearest plan whose history reaches further back than the reader's: the
    plan that opens a value older than the reader's window (None: no plan does)."""
    days = principal.entitlements.history_days
    if days is None:
        return None
    best: tuple[tuple[bool, int], Plan] | None = None
    for plan in session.scalars(select(Plan).order_by(Plan.code)):
        history = plan_entitlements(plan).history_days
        if history is not None and history <= days:
            continue
        rank = (history is None, history or 0)
        if best is None or rank < best[0]:
            best = (rank, plan)
    if best is None:
        return None
    return best[1].name_zh if lang == "zh" else best[1].name_en


# --- indices -------------------------------------------------------------------------------------


@router.get("/indices", response_class=HTMLResponse)
@access("gated")
def indices_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    now = now_of(request)
    first = history_start(principal, None, now.date())
    rows = []
    for listing in index_listings(session, principal, now, first):
        definition = listing.definition
        points = listing.published.points if listing.published else []
        # Clipped by the plan (first is its floor) and empty: older values, if any, are the
        # plan's to open.
        older = (
            listing.allowed
            and not points
            and first is not None
            and _has_values(session, definition, now)
        )
        rows.append(
            {
                "definition": definition,
                "tier": listing.gate.tier,
                "locked": not listing.allowed,
                "point": points[-1] if points else None,
                "older": older,
            }
        )
    return page(
        request,
        "indices.html",
        rows=rows,
        wider=wider_plan(session, principal, page_lang(request)),
        history_days=principal.entitlements.history_days,
    )


def _has_values(session: Session, definition: engine.IndexDefinition, now: dt.datetime) -> bool:
    """Whether the index has published values at all (before the reader's window, say)."""
    published = published_index(session, definition.code, now, None)
    return bool(published and published.points)


@router.get("/indices/{code}", response_class=HTMLResponse)
@access("gated")
def index_page(
    code: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    now = now_of(request)
    try:
        definition = indices.load(session, code, now)  # the version in force: its values'
    except indices.IndexError_:
        return error_page(request, 404, None)
    gate = indices.access_of(session, definition)
    allowed = bool(index_decision(principal, gate))
    first = history_start(principal, None, now.date())
    published = published_index(session, code, now, first) if allowed else None
    points = published.points if published else []
    older = allowed and not points and first is not None and _has_values(session, definition, now)
    locked = locked_constituents(principal, gate)
    latest = points[-1] if points else None
    constituents: list[dict[str, Any]] = []
    for c in definition.constituents:
        total, count = published.base[c.code] if published else (Decimal(0), 0)
        hidden = c.code in locked
        constituents.append(
            {
                "code": c.code,
                "series": gate.constituents.get(c.code),
                "weight": c.weight,
                "share": published.weights[c.code] * 100 if published else None,
                "base_average": total / count if count and not hidden else None,
                "price": published.prices[latest.date][c.code]
                if published and latest and not hidden
                else None,
                "contribution": latest.contributions[c.code] if latest and not hidden else None,
                "carried": latest.carried_forward.get(c.code) if latest else None,
                "locked": hidden,
            }
        )
    chart = line_chart([(p.date.isoformat(), p.value) for p in points], title=f"{definition.code}")
    return page(
        request,
        "index_detail.html",
        definition=definition,
        gate=gate,
        allowed=allowed,
        latest=latest,
        constituents=constituents,
        recent=list(reversed(points[-TABLE_ROWS:])),
        chart=chart,
        plain=plain,
        older=older,
        wider=wider_plan(session, principal, page_lang(request)),
        history_days=principal.entitlements.history_days,
    )


# --- arbitrage -----------------------------------------------------------------------------------


@router.get("/arbitrage", response_class=HTMLResponse)
@access("gated")
def arbitrage_page(
    request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    now = now_of(request)
    floor = history_floor(principal, now.date())
    lang = page_lang(request)
    rows = []
    for definition in windows.definitions():
        allowed = bool(window_decision(session, principal, definition))
        row, current = (None, None)
        if allowed:
            row, current = windows.latest(session, definition, as_of=now, floor=floor)
        rows.append(
            {
                "definition": definition,
                "name": definition.name_zh if lang == "zh" else definition.name_en,
                "unit_label": price_unit_label("CNY", definition.unit, lang),
                "tier": windows.tier_of(session, definition),
                "locked": not allowed,
                "row": row,
                "current": current,
            }
        )
    return page(request, "arbitrage_list.html", rows=rows)


@router.get("/arbitrage/{code}", response_class=HTMLResponse)
@access("gated")
def arbitrage_window_page(
    code: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    definition = windows.get_definition(code)
    if definition is None:
        return error_page(request, 404, None)
    allowed = bool(window_decision(session, principal, definition))
    now = now_of(request)
    lang = page_lang(request)
    history = None
    if allowed:
        history = windows.compute(
            session, definition, as_of=now, floor=history_floor(principal, now.date())
        )
    rows = history.rows if history else []
    chart = line_chart(
        [(r.date.isoformat(), r.profit) for r in rows], title=definition.code, zero_line=True
    )
    return page(
        request,
        "arbitrage.html",
        definition=definition,
        name=definition.name_zh if lang == "zh" else definition.name_en,
        unit_label=price_unit_label("CNY", definition.unit, lang),
        tier=windows.tier_of(session, definition),
        allowed=allowed,
        latest=rows[-1] if rows else None,
        recent=list(reversed(rows[-TABLE_ROWS:])),
        stretches=list(reversed(history.windows)) if history else [],
        chart=chart,
        plain=plain,
    )
