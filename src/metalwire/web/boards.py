"""The price board: each series' newest published value and today's release state, through the
access gate. One read model for the API's /prices/latest and every page that lists prices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from metalwire.accounts.gate import Principal, history_floor, may_read_tier
from metalwire.catalog.models import PriceSeries
from metalwire.pricing import service


@dataclass(frozen=True)
class BoardRow:
    series: PriceSeries
    state: str  # released, pending, delayed, no-session
    locked: bool  # above the caller's plan: no value is shown
    price: service.PublishedPrice | None


def price_board(
    session: Session, principal: Principal, series_list: Sequence[PriceSeries], now: dt.datetime
) -> list[BoardRow]:
    allowed = {
        s.id
        for s in series_list
        if may_read_tier(principal, s.tier.value, s.commodity.entry.group.code)
    }
    latest = service.latest_published(
        session, [s for s in series_list if s.id in allowed], as_of=now
    )
    floor = history_floor(principal, now.date())
    rows = []
    for s in series_list:
        price = latest.get(s.id)
        if price is not None and floor is not None and price.market_date < floor:
            price = None
        rows.append(BoardRow(s, service.release_state(session, s, now), s.id not in allowed, price))
    return rows


def any_pending(rows: Sequence[BoardRow]) -> bool:
    """The release banner shows while any of today's prices in view awaits its time."""
    return any(row.state == service.ReleaseState.PENDING for row in rows)
