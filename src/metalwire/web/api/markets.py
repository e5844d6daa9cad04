"""Markets: instruments and settlements, futures curves, arbitrage windows and indices.

Every value goes through the access gate (asked by markets/access.py and indices/access.py).
Instruments are exchange and reference data at the free tier (the plan's history floor
applies). An arbitrage window is readable by whoever may read every series it takes as input;
an index by whoever may read its own catalog series (or, without one, every series
constituent). Only released constituent values enter (``as_of``: exactly what was published
then), and a constituent above the caller's plan inside an index they may read is listed
``locked``, without its price or contribution.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from metalwire.accounts.gate import (
    Principal,
    history_floor,
    history_start,
)
from metalwire.catalog.units import instrument_unit_label, plain, price_unit_label, round_price
from metalwire.indices import engine
from metalwire.indices import service as indices
from metalwire.indices.access import index_decision, locked_constituents
from metalwire.markets import service as markets
from metalwire.markets import windows
from metalwire.markets.access import INSTRUMENT_TIER, instrument_decision, window_decision
from metalwire.markets.models import Instrument
from metalwire.pricing.schemas import CODE_LIMIT
from metalwire.web.access import access
from metalwire.web.api.prices import (
    NOT_FOUND,
    AsOf,
    FormatQuery,
    Span,
    export_responses,
    moment,
    now_of,
)
from metalwire.web.auth import CurrentPrincipal, deny
from metalwire.web.deps import ApiLang, Code, DbSession
from metalwire.web.http_cache import cached, json_bytes, tabular
from metalwire.web.problems import invalid_parameter, not_found

router = APIRouter(tags=["markets"])


def _json(request: Request, principal: Principal, body: Any) -> Response:
    return cached(request, principal, json_bytes(body), "application/json")


def _dec(value: Decimal | None) -> str | None:
    """A stored decimal (6 places) without its padding zeros."""
    return None if value is None else plain(value)


# --- instruments, settlements, curves ------------------------------------------------------------


def instrument_dict(instrument: Instrument, lang: str) -> dict[str, Any]:
    return {
        "code": instrument.code,
        "name": instrument.name_zh if lang == "zh" else instrument.name_en,
        "name_en": instrument.name_en,
        "name_zh": instrument.name_zh,
        "kind": instrument.kind,
        "exchange": instrument.exchange,
        "contract_month": instrument.contract_month,
        "currency": instrument.currency,
        "unit": instrument.unit,
        "unit_label": instrument_unit_label(
            instrument.kind, instrument.code, instrument.currency, instrument.unit, lang
        ),
        "vat_inclusive": instrument.vat_inclusive,
        "source": instrument.source,
    }


def settlement_dict(row: markets.Settlement) -> dict[str, Any]:
    return {
        "date": row.date.isoformat(),
        "settle": plain(row.settle),
        "volume": _dec(row.volume),
        "open_interest": _dec(row.open_interest),
        "version": row.version,
        "recorded_at": row.recorded_at.isoformat(),
    }


def _instrument_gate(principal: Principal, what: str) -> None:
    decision = instrument_decision(principal)
    if not decision:
        raise deny(decision, what)


@router.get(
    "/instruments",
    responses={200: {"description": "Instruments with their newest settlement"}, **NOT_FOUND},
    response_class=Response,
)
@access("gated")
def list_instruments(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    lang: ApiLang,
    kind: Annotated[str | None, Query(max_length=CODE_LIMIT, examples=["continuous"])] = None,
) -> Response:
    """Every instrument (exchange contract by month, continuous front month, LME cash and
    3-month, FX fixing, reference price): currency, unit, VAT flag and newest settlement."""
    if kind is not None and kind not in markets.INSTRUMENT_KINDS:
        raise invalid_parameter("kind", f"one of {', '.join(markets.INSTRUMENT_KINDS)}")
    _instrument_gate(principal, "instruments")
    now = now_of(request)
    latest = markets.latest_settlements(
        session, as_of=now, since=history_floor(principal, now.date())
    )
    out = []
    for instrument in markets.instruments(session):
        if kind is not None and instrument.kind != kind:
            continue
        newest = latest.get(instrument.code)
        out.append(
            {
                **instrument_dict(instrument, lang),
                "latest": settlement_dict(newest) if newest else None,
            }
        )
    return _json(request, principal, out)


@router.get(
    "/instruments/{code}/settlements",
    responses={200: {"description": "Settlements, point in time"}, **NOT_FOUND},
    response_class=Response,
)
@access("gated")
def instrument_settlements(
    code: Code,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    span: Span,
    lang: ApiLang,
) -> Response:
    """Daily settlements (settle, volume, open interest, version); with `as_of`, the versions
    recorded by then (a corrected settlement is a new version)."""
    instrument = markets.get_instrument(session, code)
    if instrument is None:
        raise not_found(f"no instrument with code {code!r}")
    _instrument_gate(principal, f"instrument {code}")
    instant = span.instant(request)
    first = span.first_day(request, principal)
    rows = markets.settlement_history(session, [code], as_of=instant, start=first, end=span.end)
    body = {
        **instrument_dict(instrument, lang),
        "as_of": instant.isoformat(),
        "items": [settlement_dict(r) for r in rows[code]],
    }
    return _json(request, principal, body)


@router.get(
    "/futures/{code}/curve",
    responses={200: {"description": "Settlements by contract month"}, **NOT_FOUND},
    response_class=Response,
)
@access("gated")
def futures_curve(
    code: Code,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    lang: ApiLang,
    date: Annotated[
        dt.date | None,
        Query(description="Market date (default: the newest); the last one on or before it"),
    ] = None,
    as_of: AsOf = None,
) -> Response:
    """The futures curve of a root (e.g. `SHFE-CU`): each listed contract month's settlement on
    a date, and the continuous front month's."""
    contracts = markets.contracts_of(session, code)
    if not contracts:
        raise not_found(f"no futures listed under {code!r}")
    _instrument_gate(principal, f"futures {code}")
    instant = moment(request, as_of)
    floor = history_floor(principal, now_of(request).date())
    day, points = markets.futures_curve(session, code, as_of=instant, day=date, since=floor)
    front = markets.get_instrument(session, f"{code}-FRONT")
    front_row = None
    if front is not None and day is not None:
        history = markets.settlement_history(
            session, [front.code], as_of=instant, start=day, end=day
        )
        if history[front.code]:
            front_row = {
                **instrument_dict(front, lang),
                **settlement_dict(history[front.code][0]),
            }
    first = contracts[0]
    body = {
        "root": code,
        "date": day.isoformat() if day else None,
        "as_of": instant.isoformat(),
        "currency": first.currency,
        "unit": first.unit,
        "unit_label": price_unit_label(first.currency, first.unit, lang),
        "front": front_row,
        "items": [
            {
                "code": p.instrument.code,
                "contract_month": p.instrument.contract_month,
                **settlement_dict(p.settlement),
            }
            for p in points
        ],
    }
    return _json(request, principal, body)


# --- arbitrage ---------------------------------------------------------------------------------


def window_head(
    session: Session, definition: windows.WindowDefinition, lang: str
) -> dict[str, Any]:
    return {
        "code": definition.code,
        "name": definition.name_zh if lang == "zh" else definition.name_en,
        "name_en": definition.name_en,
        "name_zh": definition.name_zh,
        "kind": definition.kind,
        "metal": definition.metal,
        "currency": "CNY",
        "unit": definition.unit,
        "unit_label": price_unit_label("CNY", definition.unit, lang),
        "decimals": definition.decimals,
        "carry_forward_days": definition.carry_forward_days,
        "tier": windows.tier_of(session, definition),
        "inputs": {
            role: {"source": spec.source, "code": spec.code}
            for role, spec in definition.inputs.items()
        },
        "parameters": [windows.parameters_dict(p) for p in definition.parameters],
    }


@router.get(
    "/arbitrage",
    responses={200: {"description": "Arbitrage windows and where each stands"}, **NOT_FOUND},
    response_class=Response,
)
@access("gated")
def list_arbitrage(
    request: Request, session: DbSession, principal: CurrentPrincipal, lang: ApiLang
) -> Response:
    """Every arbitrage window: formula kind, inputs, parameter sets, the newest result and, while
    open, since when; `locked` with no values for windows above the caller's plan."""
    now = now_of(request)
    floor = history_floor(principal, now.date())
    out = []
    for definition in windows.definitions():
        allowed = bool(window_decision(session, principal, definition))
        row, current = (None, None)
        if allowed:
            row, current = windows.latest(session, definition, as_of=now, floor=floor)
        out.append(
            {
                **window_head(session, definition, lang),
                "locked": not allowed,
                "latest": None
                if row is None
                else {"date": row.date.isoformat(), "profit": str(row.profit), "open": row.open},
                "open_since": current.opened.isoformat() if current else None,
            }
        )
    return _json(request, principal, out)


@router.get(
    "/arbitrage/{code}",
    responses={200: {"description": "Inputs, parameters and result per date"}, **NOT_FOUND},
    response_class=Response,
)
@access("gated")
def arbitrage_history(
    code: Code,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    span: Span,
    lang: ApiLang,
) -> Response:
    """An arbitrage window per market date: every input (source, code, value, its own date,
    version), the parameter set in effect, the intermediate figures and the profit, and the
    stretches it was open (`opened`, `closed`, days, peak)."""
    definition = windows.get_definition(code)
    if definition is None:
        raise not_found(f"no arbitrage window with code {code!r}")
    decision = window_decision(session, principal, definition)
    if not decision:
        raise deny(decision, f"the arbitrage window {code}")
    instant = span.instant(request)
    floor = history_floor(principal, now_of(request).date())
    start = span.ordered(span.start)  # the plan's floor applies inside the computation
    history = windows.compute(
        session, definition, as_of=instant, start=start, end=span.end, floor=floor
    )
    body = {
        **window_head(session, definition, lang),
        "as_of": instant.isoformat(),
        "windows": [w.to_dict() for w in history.windows],
        "missing": [day.isoformat() for day in history.missing],
        "items": [row.to_dict() for row in history.rows],
    }
    return _json(request, principal, body)


# --- indices -----------------------------------------------------------------------------------


def index_head(
    definition: engine.IndexDefinition, gate: indices.Access, lang: str
) -> dict[str, Any]:
    return {
        "code": definition.code,
        "name": (definition.name_zh or definition.name) if lang == "zh" else definition.name,
        "name_en": definition.name,
        "name_zh": definition.name_zh,
        "tier": gate.tier,
        "series": gate.series.code if gate.series else None,
        "base_value": str(definition.base_value),
        "base_period": {
            "start": definition.base_period.start.isoformat(),
            "end": definition.base_period.end.isoformat(),
        },
        "formula": definition.formula.value,
        "decimals": definition.decimals,
        "carry_forward_days": definition.carry_forward_days,
        "methodology": definition.methodology,
    }


def published_index(
    session: Session, code: str, now: dt.datetime, first: dt.date | None
) -> indices.IndexView | None:
    """The index's values as published at ``now`` from ``first``; None when they cannot be
    computed (the service says why on the index's own route)."""
    try:
        return indices.view(session, code, as_of=now, start=first)
    except indices.IndexError_:
        return None


@dataclass(frozen=True)
class IndexListing:
    version: int  # the definition's version in force at the instant listed
    definition: engine.IndexDefinition
    gate: indices.Access
    allowed: bool  # the caller's plan includes the index
    published: indices.IndexView | None  # None when locked, or nothing could be computed


def index_listings(
    session: Session, principal: Principal, now: dt.datetime, first: dt.date | None
) -> Iterator[IndexListing]:
    """Every index with who may read it and, for a reader who may, its values from ``first``:
    the index list of the API and of the site. Each is shown and gated by the definition in
    force at ``now`` (its constituents decide its tier), the one its values are computed with:
    a version announced for a later date changes neither before that date."""
    for definition, version in indices.definitions_at(session, now):
        gate = indices.access_of(session, definition)
        allowed = bool(index_decision(principal, gate))
        published = published_index(session, definition.code, now, first) if allowed else None
        yield IndexListing(version, definition, gate, allowed, published)


@router.get(
    "/indices",
    responses={200: {"description": "Index definitions with their newest value"}, **NOT_FOUND},
    response_class=Response,
)
@access("gated")
def list_indices(
    request: Request, session: DbSession, principal: CurrentPrincipal, lang: ApiLang
) -> Response:
    """Every index: definition (base, formula, constituents and weights), tier and its newest
    published value; `locked` with no value for indices above the caller's plan."""
    now = now_of(request)
    first = history_start(principal, None, now.date())
    out = []
    for listing in index_listings(session, principal, now, first):
        definition, published = listing.definition, listing.published
        latest = None
        if published and published.points:
            point = published.points[-1]
            latest = {"date": point.date.isoformat(), "value": str(point.value)}
        out.append(
            {
                **index_head(definition, listing.gate, lang),
                "version": listing.version,
                "constituents": [
                    {
                        "code": c.code,
                        "source": "series" if c.series else "instrument",
                        "weight": str(c.weight),
                    }
                    for c in definition.constituents
                ],
                "locked": not listing.allowed,
                "latest": latest,
            }
        )
    return _json(request, principal, out)


def _readable_index(
    session: Session, principal: Principal, code: str, as_of: dt.datetime
) -> tuple[engine.IndexDefinition, indices.Access]:
    """The index as defined at ``as_of`` (the version its values are computed with) and what
    decides who may read it; 404 when there is none, 403 above the plan."""
    try:
        definition = indices.load(session, code, as_of)
    except indices.IndexError_:
        raise not_found(f"no index with code {code!r}") from None
    gate = indices.access_of(session, definition)
    decision = index_decision(principal, gate)
    if not decision:
        raise deny(decision, f"the {gate.tier} index {code}")
    return definition, gate


def _index_constituents(
    definition: engine.IndexDefinition,
    gate: indices.Access,
    published: indices.IndexView | None,
    locked: set[str],
) -> list[dict[str, Any]]:
    """Each constituent: weights, unit, tier and base-period figures (none of a locked one's)."""
    out = []
    for c in definition.constituents:
        series = gate.constituents.get(c.code)
        hidden = c.code in locked
        total, count = published.base[c.code] if published else (Decimal(0), 0)
        out.append(
            {
                "code": c.code,
                "source": "series" if c.series else "instrument",
                "weight": str(c.weight),
                "normalized_weight": str(round_price(published.weights[c.code], 10))
                if published
                else None,
                "currency": series.currency if series else None,
                "unit": series.unit if series else None,
                "tier": series.tier.value if series else INSTRUMENT_TIER,
                "locked": hidden,
                "base_sum": None if hidden or not count else plain(total),
                "base_count": None if hidden else count,
                "base_average": None if hidden or not count else str(round_price(total / count, 6)),
            }
        )
    return out


def _index_items(
    published: indices.IndexView | None, codes: Sequence[str], locked: set[str]
) -> list[dict[str, Any]]:
    """Each value with every constituent's contribution and price (a locked one's withheld)."""
    if published is None:
        return []
    items: list[dict[str, Any]] = []
    for point in published.points:
        prices = published.prices[point.date]
        items.append(
            {
                "date": point.date.isoformat(),
                "value": str(point.value),
                "contributions": {
                    c: None if c in locked else str(point.contributions[c]) for c in codes
                },
                "prices": {c: None if c in locked else plain(prices[c]) for c in codes},
                "carried_forward": {
                    c: day.isoformat()
                    for c, day in point.carried_forward.items()
                    if c not in locked
                },
                "constituents_used": point.constituents_used,
            }
        )
    return items


@router.get(
    "/indices/{code}",
    responses=export_responses("Values, constituents' prices and contributions"),
    response_class=Response,
)
@access("gated")
def index_values(
    code: Code,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    span: Span,
    lang: ApiLang,
    format: FormatQuery = "json",
) -> Response:
    """An index's values computed from its constituents as published at `as_of`: each value
    with every constituent's price and contribution (index points, adding up to the value),
    the weights and each constituent's base-period sum and count."""
    instant = span.instant(request)
    definition, gate = _readable_index(session, principal, code, instant)
    first = span.first_day(request, principal)
    published, unavailable = indices.published_view(
        session, code, as_of=instant, start=first, end=span.end
    )
    locked = locked_constituents(principal, gate)
    codes = definition.codes
    items = _index_items(published, codes, locked)
    body = {
        **index_head(definition, gate, lang),
        "version": published.record_version if published else None,
        "as_of": instant.isoformat(),
        "unavailable": unavailable,
        "constituents": _index_constituents(definition, gate, published, locked),
        "items": items,
    }
    columns = ("date", "value", *codes)
    rows = [[i["date"], i["value"], *(i["contributions"][c] for c in codes)] for i in items]
    return tabular(request, principal, format, f"{code}-values", columns, rows, body)
