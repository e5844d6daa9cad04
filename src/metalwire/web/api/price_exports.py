"""Several price series side by side in one CSV or XLSX file, through the gate like each series'
history (/api/v1/prices/export)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import Field

from metalwire.pricing.partner import export_withheld_note, licence_allows_export
from metalwire.pricing.published import published_prices
from metalwire.pricing.schemas import CODE_LIMIT
from metalwire.tabular import decimal_format
from metalwire.web.access import access
from metalwire.web.api.prices import (
    NOT_FOUND,
    Span,
    export_about,
    gated_series,
)
from metalwire.web.auth import CurrentPrincipal
from metalwire.web.deps import ApiLang, DbSession
from metalwire.web.http_cache import EXPORT_CONTENT, tabular

router = APIRouter(tags=["prices"])


MAX_EXPORT_SERIES = 20


@router.get(
    "/prices/export",
    responses={200: {"content": EXPORT_CONTENT}, **NOT_FOUND},
    response_class=Response,
)
@access("gated")
def export_prices(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    span: Span,
    lang: ApiLang,
    series: Annotated[
        list[Annotated[str, Field(max_length=CODE_LIMIT)]],
        Query(
            min_length=1,
            max_length=MAX_EXPORT_SERIES,
            description="Series codes, repeated (`series=A&series=B`): one column each",
        ),
    ],
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv or xlsx")] = "csv",
) -> Response:
    """Several series side by side by market date: each series' published mid in a column of its
    own (empty where it has no price that day), through the gate like each series' history; the
    XLSX carries a header block per series. Needs the plan's export right. A series whose
    licence forbids redistribution (partner prices) is left out, named in the header block and
    the `Metalwire-Not-Exported` response header."""
    asked = [gated_series(session, principal, code) for code in dict.fromkeys(series)]
    # A series whose licence forbids redistribution is left out, and the file says so.
    chosen = [s for s in asked if licence_allows_export(s)]
    withheld = [s for s in asked if not licence_allows_export(s)]
    codes = [s.code for s in chosen] or [s.code for s in withheld]
    instant = span.instant(request)
    first = span.first_day(request, principal)
    mids: dict[dt.date, dict[int, Decimal]] = {}
    for s in chosen:
        for p in published_prices(session, s, as_of=instant, start=first, end=span.end):
            mids.setdefault(p.market_date, {})[s.id] = p.mid
    columns = ["date", *(s.code for s in chosen)]
    rows = [[day, *(mids[day].get(s.id) for s in chosen)] for day in sorted(mids)]
    return tabular(
        request,
        principal,
        format,
        "prices-" + "-".join(codes) if len(codes) <= 3 else f"prices-{len(codes)}-series",
        columns,
        rows,
        None,
        about=export_about(request, chosen, instant.isoformat(), lang, withheld),
        number_formats={s.code: decimal_format(s.decimals) for s in chosen},
        notes=[export_withheld_note(s) for s in withheld],
    )
