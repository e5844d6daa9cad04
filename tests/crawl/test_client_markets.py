"""The Python client's market data over real HTTP on the demo: settlements, futures curves,
indices, arbitrage windows, corrections and late releases, latest(series), a float view."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi import FastAPI

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Scope
from metalwire.client import Client, as_floats
from metalwire.db.engine import transaction
from tests.conftest import serve_in_thread


def _subscriber_key(app: FastAPI) -> str:
    with transaction(app.state.sessions) as session:
        return accounts.create_api_key(
            session, "subscriber@metalwire.demo", Scope.READ, actor="t", name="client-test"
        ).secret


def test_the_client_reads_the_markets_as_exact_frames(demo_app: FastAPI) -> None:
    key = _subscriber_key(demo_app)
    with serve_in_thread(demo_app) as base, Client(base, api_key=key) as mw:
        curve = mw.futures_curve("SHFE-CU")
        assert len(curve) >= 3 and all(isinstance(v, Decimal) for v in curve["settle"])
        front = mw.settlements("SHFE-CU-FRONT", start="2026-11-01")
        assert front.index[0] >= dt.date(2026, 11, 1)
        assert isinstance(front["settle"].iloc[-1], Decimal)
        index = mw.index("MW-NONFERROUS-INDEX", start="2026-11-01")
        assert isinstance(index["value"].iloc[-1], Decimal)
        parts = [c for c in index.columns if c.startswith("contribution:")]
        # The contributions add up to the value (to the index's two decimals).
        last = index.iloc[-1]
        assert abs(sum(last[c] for c in parts) - last["value"]) <= Decimal("0.05")
        window = mw.arbitrage("AG-EXPORT", start="2026-11-01")
        assert {"profit", "open", "input:shanghai", "input:london"} <= set(window.columns)
        assert isinstance(window["profit"].iloc[-1], Decimal)
        one = mw.latest("AG-INGOT-CN-SPOT")
        assert list(one.index) == ["AG-INGOT-CN-SPOT"]
        two = mw.latest(["AG-INGOT-CN-SPOT", "CU-CATHODE-CN-SPOT"])
        assert sorted(two.index) == ["AG-INGOT-CN-SPOT", "CU-CATHODE-CN-SPOT"]
        assert mw.corrections().empty or "reason" in mw.corrections().columns
        assert mw.late_releases().empty or "late_minutes" in mw.late_releases().columns
        prices = mw.prices("AG-INGOT-CN-SPOT", start="2026-11-01")
        floats = as_floats(prices)
        assert str(floats["mid"].dtype) == "float64"
        assert floats["mid"].iloc[-1] == float(prices["mid"].iloc[-1])
        assert isinstance(prices["mid"].iloc[-1], Decimal)  # the exact frame is untouched
