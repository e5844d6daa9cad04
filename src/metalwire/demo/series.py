"""The demo's series (data/series.yaml): each a catalog definition plus the price level and range
width the demo market trades it at. Read by the build and by the demo markets alike."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from metalwire.catalog.schemas import SeriesDefinition


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
