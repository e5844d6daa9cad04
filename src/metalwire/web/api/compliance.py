"""The desk's monthly methodology-compliance report of a price family (staff only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from metalwire.accounts.gate import may_read_desk_statistics
from metalwire.pricing.compliance import compliance_report
from metalwire.pricing.methodology import FAMILY_PATTERN
from metalwire.supply.schemas import PERIOD_PATTERN
from metalwire.web.access import access
from metalwire.web.api.prices import NOT_FOUND, now_of
from metalwire.web.auth import CurrentPrincipal, deny
from metalwire.web.deps import DbSession
from metalwire.web.http_cache import cached, json_bytes

router = APIRouter(tags=["desk"])


class SeriesCompliance(BaseModel):
    series: str
    trading_days: int
    days_assessed: int
    methods: dict[str, int]
    transaction_based_pct: Decimal | None
    judgment_pct: Decimal | None
    carried_forward_pct: Decimal | None
    avg_transactions: Decimal | None
    avg_volume: Decimal | None
    exclusions: int
    corrections: int
    late_releases: int


class ComplianceReport(BaseModel):
    family: str
    month: str
    first_day: dt.date
    last_day: dt.date
    as_of: dt.datetime
    series: list[SeriesCompliance]


@router.get("/desk/compliance/{family}", response_model=ComplianceReport, responses=NOT_FOUND)
@access("staff")
def family_compliance(
    family: Annotated[str, Path(pattern=FAMILY_PATTERN, examples=["spot-prices"])],
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    month: Annotated[
        str | None, Query(pattern=PERIOD_PATTERN, description="YYYY-MM; default: this month")
    ] = None,
) -> Response:
    """A price family's month as published: per series, days assessed, the share of
    transaction-based, judgment and carried-forward prices, average transactions and volume,
    exclusions, corrections and late releases. Staff only."""
    decision = may_read_desk_statistics(principal)
    if not decision:
        raise deny(decision, "the desk's compliance report")
    now = now_of(request)
    report = compliance_report(session, family, month or f"{now:%Y-%m}", as_of=now)
    return cached(request, principal, json_bytes(report.to_dict()), "application/json")
