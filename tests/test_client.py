"""The Python client over real HTTP: DataFrames with exact decimals, typed errors, pagination."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi import FastAPI

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope
from metalwire.client import Client, Forbidden, InvalidParameter, NotFound, Unauthorized
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.review import approve_day
from tests.pricing.conftest import PREMIUM, SILVER, Desk

DAYS = [dt.date(2026, 11, 2) + dt.timedelta(days=i) for i in range(5)]  # Mon..Fri
MIDS = ["7850.5", "7861", "7849", "7870", "7866"]  # .5 checks half-up at 0 decimals


@pytest.fixture
def published(desk: Desk, app: FastAPI) -> Desk:
    for day, mid in zip(DAYS, MIDS, strict=True):
        low, high = Decimal(mid) - 10, Decimal(mid) + 10
        desk.submit(SILVER, day, [(str(low), "5"), (mid, "5"), (str(high), "5")])
        with desk.db.transaction() as session:
            assess_day(session, day, user=desk.analyst, series_code=SILVER)
            approve_day(
                session,
                day,
                user=desk.editor,
                series_code=SILVER,
                now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
            )
    app.state.clock = lambda: dt.datetime(2026, 11, 7, tzinfo=dt.UTC)
    return desk


def key(desk: Desk, role: Role, plan: str) -> str:
    with desk.db.transaction() as session:
        email = f"{role.value}-{plan}@client.io"
        accounts.add_user(session, email, role=role, plan=plan, actor="t")
        return accounts.create_api_key(session, email, Scope.READ, actor="t").secret


def test_prices_round_trip_to_a_dataframe_with_exact_decimals(
    published: Desk, live_server: str
) -> None:
    with Client(live_server) as mw:
        frame = mw.prices(SILVER, start="2026-11-01")
    assert list(frame.index) == DAYS
    assert list(frame.columns[:7]) == [
        "low",
        "high",
        "mid",
        "change",
        "change_pct",
        "unit",
        "currency",
    ]
    assert frame["mid"].tolist() == [
        Decimal("7851"),
        Decimal(7861),
        Decimal(7849),
        Decimal(7870),
        Decimal(7866),
    ]
    assert all(isinstance(v, Decimal) for v in frame["low"])
    assert frame["change"].iloc[1] == Decimal(10) and frame["change"].iloc[0] is None
    assert frame["unit"].iloc[0] == "kg" and frame["currency"].iloc[0] == "CNY"


def test_as_of_and_pagination_are_followed(published: Desk, live_server: str) -> None:
    with Client(live_server) as mw:
        before = mw.prices(SILVER, as_of=dt.datetime(2026, 11, 4, 4, 0, tzinfo=dt.UTC))
        assert list(before.index) == DAYS[:3]  # released by 11:30 Shanghai on the 4th
        series = mw.series(entry="silver")
        assert SILVER in series.index
        catalog = mw.catalog(lang="zh")
        assert len(catalog) == 50 and "白银" in set(catalog["entry_name"])


def test_latest_and_typed_errors(published: Desk, live_server: str) -> None:
    with Client(live_server) as mw:
        latest = mw.latest(entry="silver")
        assert latest.loc[SILVER, "mid"] == Decimal(7866)
        assert bool(latest.loc[PREMIUM, "locked"]) is True
        with pytest.raises(Forbidden) as refused:
            mw.prices(PREMIUM)
        assert refused.value.type == "urn:metalwire:problem:plan-required"
        with pytest.raises(NotFound):
            mw.prices("NOPE-XX")
        with pytest.raises(InvalidParameter) as bad:
            mw.prices(SILVER, start="2026-12-01", end="2026-11-01")
        assert bad.value.invalid_params[0]["name"] == "start"
    with Client(live_server, api_key="mw_nope_nope") as mw, pytest.raises(Unauthorized):
        mw.catalog()


def test_a_subscriber_key_reads_premium(published: Desk, live_server: str) -> None:
    secret = key(published, Role.SUBSCRIBER, "subscriber")
    with Client(live_server, api_key=secret) as mw:
        frame = mw.prices(PREMIUM)
    assert frame.empty and list(frame.columns)[:3] == ["low", "high", "mid"]
