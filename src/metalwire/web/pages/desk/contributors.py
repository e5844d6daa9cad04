"""The desk's contributor page: per contributor, named, the period's submissions, exclusion
rate and lateness (received after the series' cut-off), beside the public code."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from metalwire.accounts.gate import may_read_desk_statistics
from metalwire.pricing.contributors import quality
from metalwire.web.access import access
from metalwire.web.auth import CurrentPrincipal
from metalwire.web.deps import request_session
from metalwire.web.pages.desk.forms import desk_today, refuse_non_staff
from metalwire.web.pages.site import page

router = APIRouter(include_in_schema=False)


@router.get("/desk/contributors", response_class=HTMLResponse)
@access("staff")
def contributors_page(
    request: Request,
    principal: CurrentPrincipal,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> Response:
    refused = refuse_non_staff(request, principal)
    if refused is not None:
        return refused
    assert may_read_desk_statistics(principal)
    end = desk_today(request)
    start = end - dt.timedelta(days=days - 1)
    with request_session(request) as session:
        rows = quality(session, start, end)
    return page(
        request,
        "desk_contributors.html",
        rows=rows,
        start=start,
        end=end,
        days=days,
        desk_section="contributors",
    )
