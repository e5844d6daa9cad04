"""A published price's disclosure (EU BMR Annex II 7(a)): transactions and their volume, input
shares by kind, judgment and its reason, exclusions — through the gate like the price itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel

from metalwire.accounts.gate import may_read_series_value
from metalwire.pricing.disclosure import disclosure_of
from metalwire.pricing.models import Assessment
from metalwire.pricing.price_row import disclosure_json
from metalwire.pricing.published import published_prices
from metalwire.web.access import access
from metalwire.web.api.prices import NOT_FOUND, AsOf, gated_series, moment, now_of
from metalwire.web.auth import CurrentPrincipal, deny
from metalwire.web.deps import Code, DbSession
from metalwire.web.http_cache import cached, json_bytes
from metalwire.web.problems import not_found

router = APIRouter(tags=["prices"])


class Disclosure(BaseModel):
    """pricing/price_row.py DisclosureRow, field for field."""

    date: dt.date
    assessment_id: int
    version: int
    method: str
    transactions: int
    transaction_volume: Decimal
    share_deal: Decimal | None
    share_bid_offer: Decimal | None
    share_indication: Decimal | None
    judgment: bool
    judgment_reason: str | None
    exclusions: int


@router.get(
    "/series/{code}/prices/{date}/disclosure", response_model=Disclosure, responses=NOT_FOUND
)
@access("gated")
def price_disclosure(
    code: Code,
    date: Annotated[dt.date, Path(description="The market date", examples=["2026-11-26"])],
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    as_of: AsOf = None,
) -> Response:
    """What the published price of a date was made of: transactions and their volume, the share
    of deals, bids/offers and indications among the inputs used, whether an analyst's judgment
    set it and why, and how many submissions were excluded."""
    series = gated_series(session, principal, code)
    instant = moment(request, as_of)
    found = published_prices(session, series, as_of=instant, start=date, end=date)
    if not found:
        raise not_found(f"no published price of {code} on {date.isoformat()}")
    price = found[-1]
    decision = may_read_series_value(principal, series, date, price.release_at, now_of(request))
    if not decision:
        raise deny(decision, f"the {code} price of {date.isoformat()}")
    row = session.get(Assessment, price.assessment_id)
    assert row is not None
    body = disclosure_json(disclosure_of(row))
    return cached(request, principal, json_bytes(body), "application/json")
