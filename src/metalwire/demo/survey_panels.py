"""The demo surveys' panels as data: data/survey_panels.json read into typed structures.

Each survey names its producer types, each province's share of the panel's capacity with one
letter per plant, the plants joining part-way, the season and the events that move output or
stocks. Events used by several surveys are defined once (``event_kinds``) and named by their
reason code; a survey's own are written in full. ``note`` keys say why a figure is what it is;
they are dropped on reading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import TypeAdapter

from metalwire.catalog.models import Tier
from metalwire.supply import service

PANELS_FILE = "data/survey_panels.json"


@dataclass(frozen=True)
class Kind:
    """A producer type of one survey: its letter in the site tables, its code, the word used in
    respondent names, and the utilisation range its plants run at."""

    letter: str
    code: str
    name_en: str
    name_zh: str
    label: str
    utilisation: tuple[float, float]
    # Extra monthly factor (Jan..Dec), e.g. brine evaporation slowing in winter.
    season: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Site:
    """A province's slice of the panel: its share of panel capacity, one letter per plant."""

    province: str
    share: float
    plants: str


@dataclass(frozen=True)
class EventKind:
    """Something that moves a respondent's output (``output``) or its stocks (``stock``)."""

    reason: str
    probability: float  # per respondent and month
    output: tuple[float, float] = (1.0, 1.0)
    stock: tuple[float, float] = (1.0, 1.0)
    months: tuple[int, int] = (1, 1)  # how long it lasts
    # Known a month ahead (scheduled maintenance): the forecast carries the cut.
    planned: bool = False
    calendar_months: frozenset[int] | None = None
    provinces: frozenset[str] | None = None
    kinds: frozenset[str] | None = None


@dataclass(frozen=True)
class Joiner:
    """A plant joining the panel part-way, ``months_before`` the latest period."""

    province: str
    kind: str
    capacity: int
    months_before: int


@dataclass(frozen=True)
class Spec:
    code: str
    entry: str
    prefix: str
    name_en: str
    name_zh: str
    tier: Tier
    kinds: tuple[Kind, ...]
    sites: tuple[Site, ...]
    capacity: int  # panel capacity, t/yr
    capacity_step: int  # plant capacities are rounded to this
    coverage: float  # panel capacity / national capacity
    season: tuple[float, ...]  # daily-rate factor, Jan..Dec
    growth: float  # per year
    noise: float  # a plant's month-to-month noise (sd, relative)
    market_sd: float
    stock_months: tuple[float, float]  # end-of-month stocks, in months of output
    decimals: int
    events: tuple[EventKind, ...]
    joiners: tuple[Joiner, ...] = ()
    revision_months_before: int | None = None  # a late return, revised release
    premium_series: str | None = None
    main_share: Decimal | None = None  # the share of output the "major provinces" make
    default_types: bool = False  # use service.DEFAULT_PRODUCER_TYPES as they are

    @property
    def producer_types(self) -> list[dict[str, str]]:
        if self.default_types:
            return [dict(t) for t in service.DEFAULT_PRODUCER_TYPES]
        return [{"code": k.code, "name_en": k.name_en, "name_zh": k.name_zh} for k in self.kinds]


def _without_notes(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_notes(item) for key, item in value.items() if key != "note"}
    if isinstance(value, list):
        return [_without_notes(item) for item in value]
    return value


@lru_cache(maxsize=1)
def _panels() -> dict[str, Any]:
    text = resources.files("metalwire.demo").joinpath(PANELS_FILE).read_text("utf-8")
    raw: dict[str, Any] = _without_notes(json.loads(text))
    return raw


@lru_cache(maxsize=1)
def survey_specs() -> tuple[Spec, ...]:
    """Every demo survey, in the order they are built."""
    raw = _panels()
    shared = raw["event_kinds"]
    surveys = [
        {**survey, "events": [shared[e] if isinstance(e, str) else e for e in survey["events"]]}
        for survey in raw["surveys"]
    ]
    return TypeAdapter(tuple[Spec, ...]).validate_python(surveys)


@lru_cache(maxsize=1)
def province_codes() -> dict[str, str]:
    """ISO 3166-2:CN subdivision letters by province, for respondent codes such as AG-HA-01."""
    codes: dict[str, str] = _panels()["province_codes"]
    return codes
