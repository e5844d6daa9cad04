"""Build the demo market: series for every catalog entry (later: submissions, surveys, reports)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from metalwire.catalog.schemas import SeriesDefinition
from metalwire.catalog.service import define_series
from metalwire.reference_data import sync_reference_data

DEMO_ACTOR = "demo"


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


def build_demo(session: Session) -> list[str]:
    """Build (or refresh) the demo market in one transaction; returns summary lines."""
    sync_reference_data(session)
    definitions = demo_series()
    for item in definitions:
        define_series(session, SeriesDefinition.model_validate(item.model_dump()), actor=DEMO_ACTOR)
    return [f"demo market: {len(definitions)} price series defined"]
