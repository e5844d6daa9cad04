"""The demo's price series: their definitions (data/series.yaml) and the market each trades in.

Both the price build (demo/build.py) and the market data built on its prices (settlements, iron
ore evidence) read them here.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.catalog.models import PriceSeries
from metalwire.catalog.schemas import SeriesDefinition
from metalwire.demo.anchors import anchor_for
from metalwire.demo.prices import SeriesMarket
from metalwire.pricing.methodology import methodology_for


class DemoSeries(SeriesDefinition):
    """A series definition plus the price level and range width the demo market trades at."""

    model_config = ConfigDict(extra="forbid")
    level: str
    spread: str


class DemoSeriesFile(BaseModel):
    series: list[DemoSeries]


@lru_cache(maxsize=1)
def demo_series() -> list[DemoSeries]:
    text = resources.files("metalwire.demo").joinpath("data/series.yaml").read_text("utf-8")
    raw: Any = yaml.safe_load(text)
    return DemoSeriesFile.model_validate(raw).series


def series_market(session: Session, code: str) -> SeriesMarket | None:
    """The demo's market of a series, as build.py sets it up for the series' evidence; None for
    a series the demo does not define."""
    row = session.scalar(select(PriceSeries).where(PriceSeries.code == code))
    spec = next((s for s in demo_series() if s.code == code), None)
    if row is None or spec is None:
        return None
    return market_of(row, spec)


def market_of(row: PriceSeries, spec: DemoSeries) -> SeriesMarket:
    """A series' market: its level, range and real-data anchor, and the partner whose published
    range it carries (None for metalwire's own assessments)."""
    return SeriesMarket(
        code=row.code,
        kind=row.kind,
        unit=row.unit,
        decimals=row.decimals,
        level=Decimal(spec.level),
        spread=Decimal(spec.spread),
        min_volume=methodology_for(row.methodology).min_volume,
        anchor=anchor_for(spec.commodity, row.kind, row.unit, row.currency, row.vat_inclusive),
        partner=None if row.source == "metalwire" else row.source,
    )
