"""Pricing test constants and the app's clock; the `desk` fixture lives in tests/conftest.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi import FastAPI

from tests.conftest import Desk, define_demo_series

__all__ = ["Desk", "define_demo_series"]

SILVER = "AG-INGOT-CN-SPOT"  # free, yuan/kg, 0 decimals, 11:30 Asia/Shanghai
PREMIUM = "AG-INGOT-CN-PREMIUM"  # premium tier
DAY = dt.date(2026, 11, 25)  # a Wednesday, a CN trading day
BEFORE_RELEASE = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # 11:00 Shanghai
AFTER_RELEASE = dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC)  # 11:30 Shanghai


@pytest.fixture
def at(app: FastAPI) -> Callable[[dt.datetime], None]:
    """Set the app's clock: release times are decided by it."""

    def set_clock(moment: dt.datetime) -> None:
        app.state.clock = lambda: moment

    return set_clock
