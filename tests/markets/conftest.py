"""Market test fixtures: a small silver market (Shanghai spot, London silver, USD/CNY)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import Desk
from tests.markets.helpers import load
from tests.support import publish, three_deals

D1, D2, D3 = dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25)
AS_OF = dt.datetime(2026, 11, 26, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def silver(desk: Desk, tmp_path: Path) -> Desk:
    """Shanghai silver (VAT inclusive) on three days; London on two (the third is carried)."""
    for day, price in ((D1, "10550"), (D2, "10600"), (D3, "10800")):
        publish(desk, "AG-INGOT-CN-SPOT", day, three_deals(price, price, price))
    for day, rows in (
        (D1, [("LBMA-AG", D1, "41.000"), ("USDCNY-FIX", D1, "7.1000")]),
        (D2, [("LBMA-AG", D2, "41.500"), ("USDCNY-FIX", D2, "7.1100")]),
        (D3, [("USDCNY-FIX", D3, "7.1050")]),
    ):
        load(desk.db, tmp_path, rows, dt.datetime.combine(day, dt.time(18), tzinfo=dt.UTC))
    return desk
