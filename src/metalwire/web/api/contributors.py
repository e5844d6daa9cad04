"""Contributors on the API: a contributor's own submissions read back (the account linked to
the contributor by staff), and the desk's quality statistics per contributor (staff only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from metalwire.accounts.gate import may_read_desk_statistics, may_read_tier, released
from metalwire.accounts.models import Scope
from metalwire.pricing.contributors import (
    ContributorQuality,
    OwnSubmission,
    contributor_of,
    own_submissions,
    quality,
)
from metalwire.pricing.models import Assessment
from metalwire.web.access import access
from metalwire.web.api.desk import acting_user
from metalwire.web.api.prices import NOT_FOUND, now_of
from metalwire.web.auth import CurrentPrincipal, deny
from metalwire.web.deps import DbSession
from metalwire.web.http_cache import cached, json_bytes
from metalwire.web.problems import invalid_parameter, not_found

router = APIRouter(tags=["contributors"])

MAX_DAYS = 366  # one answer covers at most a year of market dates
DEFAULT_SPAN = dt.timedelta(days=30)  # no start: the 30 days before the end
First = Annotated[dt.date | None, Query(description="First market date; default 30 days ago")]
Last = Annotated[dt.date | None, Query(description="Last market date; default today")]


def _period(
    request: Request, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    last = end or now_of(request).date()
    # The calendar's first days have no 30 days before them (a 500 found by the API fuzzing).
    first = start or max(last, dt.date.min + DEFAULT_SPAN) - DEFAULT_SPAN
    if first > last:
        raise invalid_parameter("start", "start is after end")
    if (last - first).days >= MAX_DAYS:
        raise invalid_parameter("start", f"at most {MAX_DAYS} days in one answer")
    return first, last


class Contributions(BaseModel):
    contributor: str
    start: dt.date
    end: dt.date
    items: list[OwnSubmission]


@router.get("/contributions", response_model=Contributions, responses=NOT_FOUND)
@access("account")
def my_contributions(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    start: First = None,
    end: Last = None,
) -> Response:
    """The caller's own submissions as their contributor code: what was sent, whether it was
    late, and — once the price is published — whether it was used or excluded, and why."""
    user = acting_user(session, principal, Scope.READ, "read your contributions")
    contributor = contributor_of(session, user)
    if contributor is None:
        raise not_found("your account is not linked to a contributor")
    first, last = _period(request, start, end)
    published = released(Assessment, now_of(request))
    items = own_submissions(
        session,
        contributor,
        first,
        last,
        published=published,
        may_see=lambda s: bool(
            may_read_tier(principal, s.tier.value, s.commodity.entry.group.code)
        ),
    )
    body = {
        "contributor": contributor.code,
        "start": first.isoformat(),
        "end": last.isoformat(),
        "items": [item.to_dict() for item in items],
    }
    return cached(request, principal, json_bytes(body), "application/json")


@router.get("/desk/contributors", response_model=list[ContributorQuality], responses=NOT_FOUND)
@access("staff")
def contributor_quality(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    start: First = None,
    end: Last = None,
) -> Response:
    """Per contributor in the period: submissions, series, exclusions and their rate, late
    submissions (received after the series' cut-off) and their rate. Staff only: names."""
    decision = may_read_desk_statistics(principal)
    if not decision:
        raise deny(decision, "the desk's contributor statistics")
    first, last = _period(request, start, end)
    body = [q.to_dict() for q in quality(session, first, last)]
    return cached(request, principal, json_bytes(body), "application/json")
