"""Published prices: history (point in time), latest, averages, assessment explanations —
every value through the access gate (corrections and late releases: web/api/corrections.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from metalwire.accounts.gate import (
    Principal,
    history_floor,
    history_start,
    may_read_tier,
)
from metalwire.catalog import service as catalog
from metalwire.catalog.models import PriceSeries, SeriesStatus
from metalwire.catalog.units import price_unit_label
from metalwire.pricing.boards import price_board
from metalwire.pricing.disclosure import disclosures
from metalwire.pricing.partner import export_withheld_note, licence_allows_export
from metalwire.pricing.price_row import (
    EXPORT_NUMBERS,
    PRICE_EXPORT_COLUMNS,
    disclosure_cells,
    export_cells,
    json_items,
    standard_row,
    to_json,
)
from metalwire.pricing.published import (
    PublishedPrice,
    period_averages,
    price_page,
    publication_stamp,
    published_prices,
)
from metalwire.pricing.schemas import CODE_LIMIT, PriceRow
from metalwire.tabular import decimal_format
from metalwire.web.access import access
from metalwire.web.api.catalog import check_catalog_filter
from metalwire.web.auth import CurrentPrincipal, deny
from metalwire.web.body_cache import BodyCache
from metalwire.web.deps import ApiLang, Code, DbSession
from metalwire.web.http_cache import EXPORT_CONTENT, Format, cached, json_bytes, tabular
from metalwire.web.problems import PROBLEM_RESPONSES, Problem, invalid_parameter, not_found
from metalwire.web.shared import shared_answer

router = APIRouter(tags=["prices"])

AsOf = Annotated[
    dt.datetime | None,
    Query(
        description="Point in time (ISO 8601): what was published at that instant. Default: now; "
        "a future instant reads as now.",
        examples=["2026-11-26T03:30:00Z"],
    ),
]
Start = Annotated[dt.date | None, Query(description="First market date", examples=["2026-01-01"])]
End = Annotated[dt.date | None, Query(description="Last market date", examples=["2026-11-26"])]
FormatQuery = Annotated[
    Format, Query(description="json, csv or xlsx (exports need the plan's export right)")
]
NOT_FOUND = {
    404: {"model": Problem, "description": "Unknown (or not yet released)"},
    403: {"model": Problem, "description": "Above the caller's plan"},
    **PROBLEM_RESPONSES,
}


def export_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """The documented answers of a route that sends JSON or, with `format`, an export file."""
    content = {"application/json": {}, **EXPORT_CONTENT}
    return {200: {"description": description, "content": content}, **NOT_FOUND}


def now_of(request: Request) -> dt.datetime:
    clock = request.app.state.clock
    value: dt.datetime = clock()
    return value


def moment(request: Request, as_of: dt.datetime | None) -> dt.datetime:
    now = now_of(request)
    if as_of is None:
        return now
    if as_of.tzinfo is None:
        raise invalid_parameter("as_of", "give a timezone offset, e.g. 2026-11-26T03:30:00Z")
    return min(as_of, now)


@dataclass(frozen=True)
class HistorySpan:
    """The market dates a history answer covers and the instant it is read as of, as asked: the
    same three query parameters, documented once, on every history route."""

    start: dt.date | None
    end: dt.date | None
    as_of: dt.datetime | None

    def instant(self, request: Request) -> dt.datetime:
        return moment(request, self.as_of)

    def floored_start(self, request: Request, principal: Principal) -> dt.date | None:
        """The later of ``start`` and the plan's history floor (None: from the beginning). The
        plan's window is measured from today, whatever ``as_of`` says."""
        return history_start(principal, self.start, now_of(request).date())

    def ordered(self, first: dt.date | None) -> dt.date | None:
        """``first`` when it is not after ``end``; 422 otherwise."""
        if first and self.end and first > self.end:
            raise invalid_parameter("start", "start is after end")
        return first

    def first_day(
        self, request: Request, principal: Principal, cursor: dt.date | None = None
    ) -> dt.date | None:
        """The first market date answered: the latest of the plan's history floor, ``start`` and
        a page's cursor; 422 when it falls after ``end``."""
        first = self.floored_start(request, principal)
        if cursor is not None:
            first = max(first, cursor) if first else cursor
        return self.ordered(first)


def history_span(start: Start = None, end: End = None, as_of: AsOf = None) -> HistorySpan:
    return HistorySpan(start, end, as_of)


# Declared before ``lang`` in a route: the query parameters keep their place in the API document.
Span = Annotated[HistorySpan, Depends(history_span)]


def gated_series(session: Session, principal: Principal, code: str) -> PriceSeries:
    series = catalog.get_series(session, code)
    if series is None:
        raise not_found(f"no price series with code {code!r}")
    decision = may_read_tier(principal, series.tier.value, series.commodity.entry.group.code)
    if not decision:
        raise deny(decision, f"the {series.tier.value} series {code}")
    return series


def raw_query(scope: Mapping[str, Any]) -> str:
    """The query string as the client sent it: the cache key's, on both paths."""
    return bytes(scope.get("query_string", b"")).decode("latin-1")


def history_key(
    path: str,
    query: str,
    floor: dt.date | None,
    lang: str,
    stamp: tuple[int, dt.datetime | None],
    instant: dt.datetime | None,
) -> tuple[object, ...]:
    """The body cache's key for a price history: everything the answer depends on. The query
    with the plan's history floor fixes the window, the stamp what is published in it."""
    return (path, query, floor, lang, stamp, instant)


def export_about(
    request: Request,
    series_list: Sequence[PriceSeries],
    as_of: str,
    lang: str,
    withheld: Sequence[PriceSeries] = (),
) -> list[tuple[str, Any]]:
    """The header block of a price export: what the numbers are, under which terms, as of when;
    ``withheld``: series left out because their licence forbids redistribution."""
    about: list[tuple[str, Any]] = [("not exported", export_withheld_note(s)) for s in withheld]
    for series in series_list:
        name = series.name_zh if lang == "zh" else series.name_en
        about += [
            ("series", f"{series.code}: {name}"),
            ("unit", price_unit_label(series.currency, series.unit, lang)),
            ("currency", series.currency),
            ("methodology", f"/methodology/{series.methodology}"),
        ]
        if series.source != "metalwire":
            about.append(("source", series.source))
    settings = request.app.state.settings
    about += [("licence", settings.export_licence), ("as of", as_of)]
    return about


def _page_json(
    head: dict[str, Any],
    page: list[PublishedPrice],
    series: PriceSeries,
    next_url: str | None,
) -> bytes:
    """The bytes json_bytes({**head, "items": [to_json(...) ...], "next": next_url}) would
    give, the items written by price_row.json_items (one format per row: 5,000 rows in an
    answer)."""
    items = json_items(page, series.unit, series.currency)
    start = json_bytes(head)[:-1].decode()
    next_text = json.dumps(next_url, ensure_ascii=False)
    return f'{start},"items":[{items}],"next":{next_text}}}'.encode()


def _prices_head(series: PriceSeries, lang: str, as_of: dt.datetime) -> dict[str, Any]:
    """What a page of prices says of its series before the items."""
    return {
        "series": series.code,
        "unit": series.unit,
        "currency": series.currency,
        "unit_label": price_unit_label(series.currency, series.unit, lang),
        "decimals": series.decimals,
        "as_of": as_of.isoformat(),
    }


def _next_url(request: Request, next_day: dt.date | None) -> str | None:
    """The URL of the next page: this one's, from the day after its last."""
    if next_day is None:
        return None
    return str(request.url.include_query_params(cursor=next_day.isoformat()))


PageAnswer = tuple[list[PublishedPrice], str | None, dict[str, Any]]  # page, next URL, head


def _cached_json_page(
    request: Request,
    principal: Principal,
    key: tuple[object, ...],
    series: PriceSeries,
    answer: Callable[[], PageAnswer],
) -> tuple[Response, str | None]:
    """The JSON page from the body cache (``answer`` makes it on a miss), and its `next` URL."""
    body_cache: BodyCache = request.app.state.body_cache

    def make() -> tuple[bytes, str, tuple[str, ...]]:
        page, next_url, head = answer()
        return _page_json(head, page, series, next_url), "application/json", ()

    # At a release every client misses the new stamp at once: one request makes the body.
    stored = body_cache.obtain(key, make)
    response = cached(request, principal, stored.body, stored.media_type, etag=stored.etag)
    return response, next_link(stored.body)


def _exported_page(
    request: Request,
    session: Session,
    principal: Principal,
    format: Format,
    series: PriceSeries,
    answer: PageAnswer,
    lang: str,
) -> Response:
    """A page of prices as CSV or XLSX, under the export's header block; each price's disclosure
    in the last columns."""
    page, _, head = answer
    allowed = licence_allows_export(series)
    disclosed = disclosures(session, page) if allowed else {}
    rows = [
        export_cells(standard_row(p, series.unit, series.currency))
        + disclosure_cells(disclosed.get(p.assessment_id))
        for p in page
    ]
    if not allowed:  # the licence forbids redistribution: the file says so and holds no values
        rows = []
    return tabular(
        request,
        principal,
        format,
        f"{series.code}-prices",
        PRICE_EXPORT_COLUMNS,
        rows,
        None,
        about=export_about(
            request, [series] if allowed else [], head["as_of"], lang, [] if allowed else [series]
        ),
        number_formats={c: decimal_format(series.decimals) for c in EXPORT_NUMBERS},
        notes=[] if allowed else [export_withheld_note(series)],
    )


class PricesPage(BaseModel):
    series: str = Field(examples=["AG-INGOT-CN-SPOT"])
    unit: str
    currency: str
    unit_label: str = Field(examples=["yuan/kg"])
    decimals: int
    as_of: dt.datetime
    items: list[PriceRow]
    next: str | None


@router.get(
    "/series/{code}/prices",
    responses={200: {"model": PricesPage, "content": EXPORT_CONTENT}, **NOT_FOUND},
    response_class=Response,
)
@access("gated")
def series_prices(
    code: Code,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    span: Span,
    lang: ApiLang,
    format: FormatQuery = "json",
    limit: Annotated[int, Query(ge=1, le=10000)] = 10000,
    cursor: Annotated[dt.date | None, Query(description="Opaque: the `next` link's value")] = None,
) -> Response:
    """Daily published prices of a series; with `as_of`, exactly what was published then."""
    series = gated_series(session, principal, code)
    instant = span.instant(request)
    first = span.first_day(request, principal, cursor)
    # What this caller may see changes only when a release passes or a correction lands: the
    # stamp says when, so the serialized answer can be reused until then (per worker).
    stamp = publication_stamp(session, series.id, as_of=instant)
    key = history_key(
        request.url.path,
        raw_query(request.scope),
        history_floor(principal, now_of(request).date()),
        lang,
        stamp,
        instant if span.as_of is not None else None,
    )

    def answer() -> PageAnswer:
        page, next_day = price_page(
            session, series, as_of=instant, start=first, end=span.end, limit=limit
        )
        # The instant asked for; without one, the newest publication the answer includes.
        shown = instant if span.as_of is not None else stamp[1] or instant
        return page, _next_url(request, next_day), _prices_head(series, lang, shown)

    if format == "json":
        response, next_url = _cached_json_page(request, principal, key, series, answer)
    else:
        page_answer = answer()
        next_url = page_answer[1]
        response = _exported_page(request, session, principal, format, series, page_answer, lang)
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


class LatestPrice(BaseModel):
    series: str
    name: str
    group: str
    entry: str
    tier: str
    unit_label: str
    release_time: str
    timezone: str
    state: Literal["released", "pending", "delayed", "no-session"] = Field(
        description="Today's release: released, pending (before its time), delayed, no-session"
    )
    locked: bool = Field(description="True when the caller's plan does not include this series")
    price: PriceRow | None


@router.get("/prices/latest", response_model=list[LatestPrice], responses=NOT_FOUND)
@access("gated")
def latest_prices(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    lang: ApiLang,
    group: Annotated[str | None, Query(max_length=CODE_LIMIT, examples=["precious-metals"])] = None,
    entry: Annotated[str | None, Query(max_length=CODE_LIMIT, examples=["silver"])] = None,
) -> Response:
    """The newest released price of each active series, and where today's release stands."""
    check_catalog_filter(session, group, entry)
    now = now_of(request)

    def make() -> tuple[bytes, str, tuple[str, ...]]:
        series_list, _ = catalog.list_series(
            session,
            catalog.SeriesFilter(group=group, entry=entry, status=SeriesStatus.ACTIVE),
            limit=10000,
        )
        out = [
            {
                "series": row.series.code,
                "name": row.series.name_zh if lang == "zh" else row.series.name_en,
                "group": row.series.commodity.entry.group.code,
                "entry": row.series.commodity.entry.code,
                "tier": row.series.tier.value,
                "unit_label": price_unit_label(row.series.currency, row.series.unit, lang),
                "release_time": row.series.release_time.strftime("%H:%M"),
                "timezone": row.series.timezone,
                "state": row.state,
                "locked": row.locked,
                "price": to_json(standard_row(row.price, row.series.unit, row.series.currency))
                if row.price
                else None,
            }
            for row in price_board(session, principal, series_list, now)
        ]
        return json_bytes(out), "application/json", ()

    # Every poller asks for this at the release instant: one answer per plan, filter and minute.
    shared = shared_answer(request, session, principal, ("latest", group, entry, lang), make)
    return cached(request, principal, shared.body, shared.media_type, max_age=30)


class Average(BaseModel):
    start: dt.date
    end: dt.date
    average: str
    days: int


@router.get("/series/{code}/averages", response_model=list[Average], responses=NOT_FOUND)
@access("gated")
def series_averages(
    code: Code,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    span: Span,
    period: Annotated[Literal["week", "month"], Query()] = "month",
) -> Response:
    """Weekly or monthly averages: the mean of the daily published mids (follows corrections)."""
    series = gated_series(session, principal, code)
    instant = span.instant(request)
    prices = published_prices(
        session, series, as_of=instant, start=span.floored_start(request, principal), end=span.end
    )
    out = [
        {"start": a.isoformat(), "end": b.isoformat(), "average": str(mean), "days": n}
        for a, b, mean, n in period_averages(prices, period, max(series.decimals, 2))
    ]
    return cached(request, principal, json_bytes(out), "application/json")


def next_link(body: bytes) -> str | None:
    """The `next` link of a cached page (it sits at the end of the JSON document)."""
    if b'"next":null' in body[-200:]:
        return None
    tail = body[-2000:].decode("utf-8", "replace")
    start = tail.rfind('"next":"') + len('"next":"')
    return tail[start : tail.index('"', start)]
