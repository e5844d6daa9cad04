"""The public record of what changed after publication: correction notices (the wrong value,
the right one, the cause) and prices released after their scheduled time — values through the
access gate like every published price."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from metalwire.accounts.gate import history_floor, may_read_tier
from metalwire.catalog import lifecycle_service
from metalwire.catalog import service as catalog
from metalwire.pricing.published import corrections, late_releases
from metalwire.pricing.schemas import CODE_LIMIT
from metalwire.web.access import access
from metalwire.web.api.prices import NOT_FOUND, AsOf, moment, now_of
from metalwire.web.auth import CurrentPrincipal
from metalwire.web.deps import DbSession
from metalwire.web.http_cache import cached, json_bytes
from metalwire.web.problems import invalid_parameter

router = APIRouter(tags=["prices"])


class Correction(BaseModel):
    series: str
    date: dt.date
    version: int
    old_low: str | None
    old_high: str | None
    new_low: str | None
    new_high: str | None
    reason: str
    published_at: dt.datetime
    assessment_id: int
    locked: bool


@router.get("/corrections", response_model=list[Correction], responses=NOT_FOUND)
@access("gated")
def list_corrections(
    request: Request, session: DbSession, principal: CurrentPrincipal, as_of: AsOf = None
) -> Response:
    """Published correction notices, newest first: the wrong value, the right value, the cause.
    Values of series above the caller's plan are withheld (`locked`)."""
    instant = moment(request, as_of)
    out = []
    for n in corrections(session, as_of=instant):
        floor = history_floor(principal, now_of(request).date())
        visible = bool(
            may_read_tier(principal, n.series.tier.value, n.series.commodity.entry.group.code)
        ) and (floor is None or n.market_date >= floor)
        out.append(
            {
                "series": n.series.code,
                "date": n.market_date.isoformat(),
                "version": n.version,
                "old_low": str(n.old_low) if visible else None,
                "old_high": str(n.old_high) if visible else None,
                "new_low": str(n.new_low) if visible else None,
                "new_high": str(n.new_high) if visible else None,
                "reason": n.reason,
                "published_at": n.published_at.isoformat(),
                "assessment_id": n.assessment_id,
                "locked": not visible,
            }
        )
    return cached(request, principal, json_bytes(out), "application/json")


class LateReleaseOut(BaseModel):
    series: str
    date: dt.date
    scheduled_at: dt.datetime
    released_at: dt.datetime
    late_minutes: int
    assessment_id: int


@router.get("/late-releases", response_model=list[LateReleaseOut], responses=NOT_FOUND)
@access("gated")
def list_late_releases(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    series: Annotated[
        str | None,
        Query(max_length=CODE_LIMIT, description="Only this series", examples=["AG-INGOT-CN-SPOT"]),
    ] = None,
    as_of: AsOf = None,
) -> Response:
    """Prices released after their scheduled time, newest first: the public record of every
    delay (the price itself carries its real `released_at`). Names no value, so it is the same
    for every plan."""
    instant = moment(request, as_of)
    ids = None
    if series is not None:
        found = catalog.get_series(session, series)
        if found is None:
            raise invalid_parameter("series", f"unknown series {series!r}")
        ids = [found.id]
    out = [
        {
            "series": r.series.code,
            "date": r.market_date.isoformat(),
            "scheduled_at": r.scheduled_at.isoformat(),
            "released_at": r.released_at.isoformat(),
            "late_minutes": max(1, round(r.late_by.total_seconds() / 60)),
            "assessment_id": r.assessment_id,
        }
        for r in late_releases(session, as_of=instant, series_ids=ids)
    ]
    return cached(request, principal, json_bytes(out), "application/json")


class SeriesNoticeOut(BaseModel):
    series: str
    kind: str
    effective_from: dt.date
    before: str | None
    after: str | None
    notice: str
    announced_at: dt.datetime


@router.get("/series-notices", response_model=list[SeriesNoticeOut], responses=NOT_FOUND)
@access("public")
def list_series_notices(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    series: Annotated[
        str | None,
        Query(max_length=CODE_LIMIT, description="Only this series", examples=["AG-INGOT-CN-SPOT"]),
    ] = None,
) -> Response:
    """Changes to series announced by the desk, newest first: a new series, a release time or
    tier changed from a date, a discontinuation announced in advance, each with its public
    notice. Names no value."""
    if series is not None and catalog.get_series(session, series) is None:
        raise invalid_parameter("series", f"unknown series {series!r}")
    out = [lifecycle_service.notice_record(n) for n in lifecycle_service.notices(session, series)]
    return cached(request, principal, json_bytes(out), "application/json")
