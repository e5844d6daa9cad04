"""Demo production surveys: six China output panels with monthly returns, released on schedule.

Like the demo prices, every figure goes the way a real one does: each smelter's return into
``supply.returns.add_returns``, each month's statistics frozen by ``supply.service.release`` at
the survey's release time (the last calendar day, 20:00 Shanghai). Nothing writes a statistic,
so the demo exercises imputation, matched changes, panel additions and revisions as they are.

The simulated market: each respondent runs at its own utilisation of its capacity, moved by the
month's days, a seasonal pattern (the Chinese New Year dip in February, the year-end push in
December), a market factor common to the panel (AR(1)), its own noise, and events — maintenance
(output down 30-80 % for a month, forecast a month ahead), stock-taking, raw-material grade,
environmental inspections, export orders drawing stocks down, new capacity ramping up. Each
month one to three respondents miss the deadline, so the release imputes them. The October
2025 silver month (the latest one, in a window without it) retells the reference report: output
down about 3.55 %, copper-smelter maintenance and stock-taking, lead-zinc smelters in Guangxi,
Gansu and Inner Mongolia cutting next month for raw-material grade, stocks halved by export
orders. What respondents cite follows what they did (``_coherent``): each reason moves output or
stocks the way theirs moved (``moves`` in supply/data/reasons.yaml), and export orders draw
silver stocks down only in months the export window opened in the markets data.

Rerunnable: a period with a release is left alone, so a second build with the same ``seed`` and
``now`` adds nothing; a later ``now`` appends the new months and turns the former preliminary
figure final.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.models import User
from metalwire.catalog.models import Tier
from metalwire.supply import service
from metalwire.supply.models import ReleaseStatus, Survey, SurveyRelease
from metalwire.supply.reference import provinces, reason_moves
from metalwire.supply.returns import add_returns
from metalwire.supply.schemas import ReturnIn

DEMO_ACTOR = "demo"
DEFAULT_MONTHS = 36
# Months simulated before the first one returned, so the market factor and the stocks start the
# window from a settled state (and a window shifted by a later build continues the same path).
BURN_IN = 12
# Output of a new plant in its first months, as a share of its settled rate.
RAMP_UP = (0.3, 0.55, 0.75, 0.9)
# Persistence of the panel-wide market factor from month to month.
MARKET_PERSISTENCE = 0.7
# The silver month the reference report tells (October 2025) and its change: -3.55 % month on
# month. A window without it tells the story in its latest month.
SILVER_STORY_PERIOD = "2025-10"
SILVER_LATEST_CHANGE = -0.0355
# Revisions come out with the next month's release, as SMM publishes them.
REVISION_LAG = 1

# ISO 3166-2:CN subdivision letters, for respondent codes such as AG-HA-01 (Henan).
_ISO = {
    "anhui": "AH",
    "fujian": "FJ",
    "gansu": "GS",
    "guangdong": "GD",
    "guangxi": "GX",
    "guizhou": "GZ",
    "hebei": "HE",
    "henan": "HA",
    "hubei": "HB",
    "hunan": "HN",
    "inner-mongolia": "NM",
    "jiangsu": "JS",
    "jiangxi": "JX",
    "chongqing": "CQ",
    "ningxia": "NX",
    "qinghai": "QH",
    "shaanxi": "SN",
    "shandong": "SD",
    "shanxi": "SX",
    "sichuan": "SC",
    "tibet": "XZ",
    "xinjiang": "XJ",
    "yunnan": "YN",
    "zhejiang": "ZJ",
}


# --- what a survey looks like ------------------------------------------------------------------


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


def _sites(*rows: tuple[str, float, str]) -> tuple[Site, ...]:
    return tuple(Site(province, share, plants) for province, share, plants in rows)


_FLAT = (1.0,) * 12
MAINTENANCE = EventKind("maintenance", 0.02, output=(0.2, 0.7), planned=True)
# Stock-taking stops the line for some days, at the half-year and the year end.
STOCKTAKE = EventKind(
    "inventory-count", 0.05, output=(0.85, 0.95), planned=True, calendar_months=frozenset({6, 12})
)
GRADE = EventKind("raw-material-grade", 0.005, output=(0.75, 0.9), months=(2, 3))
INSPECTION = EventKind("environmental-inspection", 0.004, output=(0.5, 0.8), months=(1, 2))
EXPORTS = EventKind("export-orders", 0.006, stock=(0.4, 0.7))

SILVER = Spec(
    code="AG-INGOT-CN-OUTPUT",
    entry="silver",
    prefix="AG",
    name_en="China silver ingot output",
    name_zh="中国白银(银锭)产量",
    tier=Tier.FREE,
    kinds=(
        Kind("P", "primary", "primary", "原生", "silver mine", (0.6, 0.78)),
        Kind(
            "L",
            "lead-smelter by-product",
            "lead-smelter by-product",
            "铅冶炼副产",
            "lead smelter",
            (0.72, 0.86),
        ),
        Kind(
            "C",
            "copper-smelter by-product",
            "copper-smelter by-product",
            "铜冶炼副产",
            "copper smelter",
            (0.7, 0.85),
        ),
        Kind("R", "recycling", "recycling", "再生", "silver recycler", (0.5, 0.7)),
    ),
    # SMM's panel (METHODS.md): 45 producers in 17 provinces, ~24,000 t/yr, >99 % of output;
    # Henan, Yunnan, Shandong and Zhejiang lead (the reference report).
    sites=_sites(
        ("henan", 30, "LLLLLPRC"),
        ("yunnan", 15, "CCLLP"),
        ("shandong", 11.5, "CCPR"),
        ("zhejiang", 10, "RRCP"),
        ("hunan", 5.5, "LLRP"),
        ("jiangxi", 4.5, "CCR"),
        ("guangxi", 4, "LLP"),
        ("gansu", 3, "LC"),
        ("inner-mongolia", 3, "LC"),
        ("anhui", 2.5, "CL"),
        ("hubei", 2, "CR"),
        ("guangdong", 2, "L"),
        ("jiangsu", 2, "R"),
        ("fujian", 1.5, "C"),
        ("shaanxi", 1.5, "L"),
        ("sichuan", 1, "P"),
        ("qinghai", 1, "L"),
    ),
    capacity=24_000,
    capacity_step=10,
    coverage=0.993,
    season=(0.98, 0.96, 1.0, 0.99, 1.0, 0.99, 0.99, 1.0, 1.01, 0.99, 1.01, 1.05),
    growth=0.02,
    noise=0.035,
    market_sd=0.015,
    stock_months=(0.25, 0.6),
    decimals=2,
    events=(MAINTENANCE, STOCKTAKE, GRADE, INSPECTION, EXPORTS),
    revision_months_before=4,
    premium_series="AG-INGOT-CN-PREMIUM",
    # The reference report names four provinces: those making two thirds of the output.
    main_share=Decimal("0.65"),
    default_types=True,
)

COPPER = Spec(
    code="CU-CATHODE-CN-OUTPUT",
    entry="copper",
    prefix="CU",
    name_en="China refined copper (cathode) output",
    name_zh="中国电解铜产量",
    tier=Tier.PREMIUM,
    kinds=(
        Kind(
            "P", "primary-smelter", "primary smelter", "原生铜冶炼", "copper smelter", (0.86, 0.96)
        ),
        Kind(
            "S",
            "recycled-copper-smelter",
            "recycled-copper smelter",
            "再生铜冶炼",
            "secondary copper refinery",
            (0.6, 0.8),
        ),
    ),
    sites=_sites(
        ("shandong", 16, "PPPPS"),
        ("jiangxi", 14, "PPSS"),
        ("anhui", 12, "PPPS"),
        ("yunnan", 7, "PP"),
        ("gansu", 6, "PP"),
        ("inner-mongolia", 6, "PP"),
        ("guangxi", 6, "PP"),
        ("hubei", 5, "PS"),
        ("zhejiang", 5, "SSP"),
        ("fujian", 5, "PP"),
        ("jiangsu", 4, "PS"),
        ("henan", 4, "PS"),
        ("xinjiang", 3, "P"),
        ("guangdong", 3, "SS"),
        ("qinghai", 2, "P"),
        ("sichuan", 2, "P"),
    ),
    capacity=15_200_000,
    capacity_step=10_000,
    coverage=0.88,
    # Smelters run through the holiday and push daily rates, so February loses less than its
    # three missing days; spring is the maintenance season; then the year-end push.
    season=(1.0, 1.04, 0.99, 0.98, 0.98, 1.0, 1.0, 1.0, 0.99, 0.99, 1.01, 1.04),
    growth=0.05,
    noise=0.025,
    market_sd=0.012,
    stock_months=(0.05, 0.15),
    decimals=0,
    events=(
        MAINTENANCE,
        STOCKTAKE,
        GRADE,
        INSPECTION,
        EXPORTS,
        EventKind(
            "raw-material-shortage",
            0.006,
            output=(0.8, 0.92),
            months=(1, 2),
            kinds=frozenset({"recycled-copper-smelter"}),
        ),
    ),
    joiners=(Joiner("guangxi", "P", 400_000, 15),),
)

ALUMINIUM = Spec(
    code="AL-PRIMARY-CN-OUTPUT",
    entry="aluminum",
    prefix="AL",
    name_en="China primary aluminium output",
    name_zh="中国电解铝产量",
    tier=Tier.PREMIUM,
    kinds=(
        Kind("G", "grid-power", "grid power", "网电", "aluminium smelter", (0.93, 0.99)),
        Kind(
            "C", "captive-power", "captive power", "自备电", "captive-power smelter", (0.95, 0.995)
        ),
    ),
    sites=_sites(
        ("shandong", 18, "CCCCC"),
        ("inner-mongolia", 14, "CCGG"),
        ("xinjiang", 13.5, "CCCC"),
        ("yunnan", 13.5, "GGGG"),
        ("guangxi", 6, "GGC"),
        ("gansu", 6, "GG"),
        ("qinghai", 6, "GG"),
        ("henan", 4, "GC"),
        ("guizhou", 4, "GG"),
        ("shanxi", 3, "GC"),
        ("ningxia", 3, "G"),
        ("sichuan", 2.5, "G"),
        ("chongqing", 1.5, "G"),
    ),
    capacity=42_000_000,
    capacity_step=10_000,
    coverage=0.93,
    # Pots never stop for the holiday: only the month's days move output.
    season=_FLAT,
    growth=0.02,
    noise=0.008,
    market_sd=0.004,
    stock_months=(0.03, 0.1),
    decimals=0,
    events=(
        # Relining a potline is rarer than a smelter's annual shutdown.
        EventKind("maintenance", 0.004, output=(0.3, 0.7), planned=True),
        INSPECTION,
        # Yunnan's hydropower runs short in the dry season (November to May).
        EventKind(
            "power-rationing",
            0.05,
            output=(0.75, 0.9),
            months=(2, 4),
            planned=True,
            calendar_months=frozenset({11, 12, 1, 2, 3, 4, 5}),
            provinces=frozenset({"yunnan"}),
        ),
    ),
)

ZINC = Spec(
    code="ZN-REFINED-CN-OUTPUT",
    entry="zinc",
    prefix="ZN",
    name_en="China refined zinc output",
    name_zh="中国精炼锌产量",
    tier=Tier.PREMIUM,
    kinds=(
        Kind("P", "primary", "primary (concentrate)", "原生锌", "zinc smelter", (0.78, 0.92)),
        Kind("S", "secondary", "secondary", "再生锌", "secondary zinc plant", (0.55, 0.75)),
    ),
    sites=_sites(
        ("yunnan", 16, "PPPP"),
        ("inner-mongolia", 14, "PPP"),
        ("hunan", 12, "PPS"),
        ("shaanxi", 10, "PP"),
        ("guangxi", 8, "PPS"),
        ("gansu", 8, "PP"),
        ("sichuan", 6, "PP"),
        ("henan", 5, "PS"),
        ("guangdong", 5, "P"),
        ("qinghai", 4, "P"),
        ("xinjiang", 4, "P"),
        ("jiangsu", 3, "S"),
        ("hebei", 3, "S"),
    ),
    capacity=7_400_000,
    capacity_step=5_000,
    coverage=0.86,
    season=(0.99, 0.99, 1.0, 0.99, 1.0, 1.0, 0.99, 1.0, 1.0, 0.99, 1.01, 1.03),
    growth=0.02,
    noise=0.03,
    market_sd=0.015,
    stock_months=(0.05, 0.15),
    decimals=0,
    events=(MAINTENANCE, STOCKTAKE, GRADE, INSPECTION, EXPORTS),
)

LEAD = Spec(
    code="PB-REFINED-CN-OUTPUT",
    entry="lead",
    prefix="PB",
    name_en="China refined lead output",
    name_zh="中国精炼铅产量",
    tier=Tier.PREMIUM,
    kinds=(
        Kind("P", "primary", "primary", "原生铅", "lead smelter", (0.7, 0.88)),
        # Scrap-battery smelters stop longest for the New Year: their own extra February dip.
        Kind(
            "S",
            "secondary",
            "secondary (recycled)",
            "再生铅",
            "secondary lead plant",
            (0.5, 0.72),
            season=(0.97, 0.88, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
        ),
    ),
    sites=_sites(
        ("henan", 22, "PPPSS"),
        ("anhui", 12, "SSSP"),
        ("hunan", 10, "PPS"),
        ("yunnan", 8, "PP"),
        ("jiangxi", 6, "SP"),
        ("inner-mongolia", 6, "PP"),
        ("guangxi", 6, "PS"),
        ("jiangsu", 6, "SS"),
        ("hubei", 5, "SS"),
        ("shandong", 5, "SP"),
        ("gansu", 4, "P"),
        ("guizhou", 4, "S"),
        ("hebei", 4, "S"),
        ("qinghai", 2, "P"),
    ),
    capacity=9_600_000,
    capacity_step=5_000,
    coverage=0.78,
    season=(0.98, 0.97, 1.0, 1.0, 1.0, 0.99, 0.99, 1.0, 1.0, 1.0, 1.01, 1.03),
    growth=0.01,
    noise=0.04,
    market_sd=0.015,
    stock_months=(0.1, 0.25),
    decimals=0,
    events=(MAINTENANCE, STOCKTAKE, GRADE, INSPECTION),
)

LITHIUM = Spec(
    code="LI2CO3-CN-OUTPUT",
    entry="lithium",
    prefix="LI",
    name_en="China lithium carbonate output",
    name_zh="中国碳酸锂产量",
    tier=Tier.PREMIUM,
    kinds=(
        Kind("S", "spodumene", "spodumene", "锂辉石", "spodumene converter", (0.55, 0.75)),
        Kind("L", "lepidolite", "lepidolite", "锂云母", "lepidolite converter", (0.4, 0.6)),
        # Salt-lake evaporation slows in the Qinghai and Tibet winter.
        Kind(
            "B",
            "brine",
            "brine",
            "盐湖",
            "brine plant",
            (0.6, 0.8),
            season=(0.8, 0.8, 0.9, 1.0, 1.05, 1.1, 1.1, 1.1, 1.05, 1.0, 0.95, 0.85),
        ),
        Kind("R", "recycling", "recycling", "回收", "battery recycler", (0.3, 0.5)),
    ),
    sites=_sites(
        ("jiangxi", 30, "LLLLSSR"),
        ("sichuan", 22, "SSSS"),
        ("qinghai", 14, "BBBB"),
        ("jiangsu", 9, "SS"),
        ("hunan", 5, "LR"),
        ("guangxi", 5, "S"),
        ("xinjiang", 4, "S"),
        ("guangdong", 4, "RR"),
        ("tibet", 3, "B"),
        ("fujian", 2, "R"),
    ),
    capacity=1_250_000,
    capacity_step=1_000,
    coverage=0.85,
    season=(0.97, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.01, 1.03),
    growth=0.12,
    noise=0.06,
    market_sd=0.03,
    stock_months=(0.2, 0.6),
    decimals=0,
    events=(
        MAINTENANCE,
        STOCKTAKE,
        # Yichun's lepidolite mines were inspected again and again.
        EventKind(
            "environmental-inspection",
            0.02,
            output=(0.3, 0.7),
            months=(1, 3),
            kinds=frozenset({"lepidolite"}),
        ),
        EventKind(
            "raw-material-shortage",
            0.01,
            output=(0.6, 0.85),
            months=(1, 2),
            kinds=frozenset({"spodumene"}),
        ),
        EventKind(
            "weak-demand",
            0.01,
            output=(0.6, 0.85),
            months=(1, 3),
            kinds=frozenset({"lepidolite", "recycling"}),
        ),
    ),
    joiners=(Joiner("sichuan", "S", 60_000, 9),),
)

SPECS: tuple[Spec, ...] = (SILVER, COPPER, ZINC, LEAD, ALUMINIUM, LITHIUM)


# --- simulation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    kind: EventKind
    output: float
    stock: float
    left: int  # months still to run, this one included


@dataclass
class _Member:
    code: str
    name: str
    province: str
    kind: Kind
    capacity: int
    utilisation: float
    stock_months: float
    joins: str | None = None
    event: _Event | None = None  # this month's
    pending: _Event | None = None  # planned, starting next month
    stock: float | None = None
    age: int = 0  # months since joining, for the ramp-up


@dataclass
class _Row:
    """One respondent's true figures for a month, before rounding."""

    production: float
    stock: float
    forecast: float
    reasons: list[str]
    note: str = ""
    scripted: bool = False  # part of the latest month's story: always returned on time


@dataclass
class _Plan:
    members: list[_Member]
    rows: dict[str, dict[str, _Row]]  # period -> respondent -> row
    silent: dict[str, list[str]] = field(default_factory=dict)  # period -> late respondents
    revised: str | None = None  # the period whose late return comes in with the next release


def _panel(spec: Spec, seed: int) -> list[_Member]:
    """Plants split from each province's share with random sizes; the total is exact."""
    rng = random.Random(f"{seed}:{spec.code}:panel")
    kinds = {k.letter: k for k in spec.kinds}
    total_share = sum(site.share for site in spec.sites)
    members: list[_Member] = []
    for site in spec.sites:
        weights = [rng.uniform(0.6, 1.4) for _ in site.plants]
        budget = spec.capacity * site.share / total_share
        for number, (letter, weight) in enumerate(zip(site.plants, weights, strict=True), 1):
            kind = kinds[letter]
            raw = budget * weight / sum(weights)
            members.append(
                _Member(
                    code=f"{spec.prefix}-{_ISO[site.province]}-{number:02d}",
                    name=f"{provinces()[site.province].name_en} {kind.label} {number}",
                    province=site.province,
                    kind=kind,
                    capacity=max(1, round(raw / spec.capacity_step)) * spec.capacity_step,
                    utilisation=rng.uniform(*kind.utilisation),
                    stock_months=rng.uniform(*spec.stock_months),
                )
            )
    # Rounding leaves a few steps over or under: the largest plant takes them up.
    largest = max(members, key=lambda m: (m.capacity, m.code))
    largest.capacity += spec.capacity - sum(m.capacity for m in members)
    return members


def _joiners(spec: Spec, seed: int, members: list[_Member], first: str, latest: str) -> None:
    rng = random.Random(f"{seed}:{spec.code}:joiners")
    kinds = {k.letter: k for k in spec.kinds}
    for joiner in spec.joiners:
        kind = kinds[joiner.kind]
        number = 1 + sum(1 for m in members if m.province == joiner.province)
        # Part-way through the window whatever its length: never in its first month, which
        # has nothing before it to show the addition against.
        joins = max(service.shift_period(latest, -joiner.months_before), first)
        if joins == first and first != latest:
            joins = service.shift_period(first, 1)
        members.append(
            _Member(
                code=f"{spec.prefix}-{_ISO[joiner.province]}-{number:02d}",
                name=f"{provinces()[joiner.province].name_en} {kind.label} {number}",
                province=joiner.province,
                kind=kind,
                capacity=joiner.capacity,
                utilisation=rng.uniform(*kind.utilisation),
                stock_months=rng.uniform(*spec.stock_months),
                joins=joins,
            )
        )


def _months_between(start: str, end: str) -> int:
    a, b = service.parse_period(start), service.parse_period(end)
    return (b[0] - a[0]) * 12 + b[1] - a[1]


def _days(period: str) -> int:
    year, month = service.parse_period(period)
    return calendar.monthrange(year, month)[1]


def _rate(spec: Spec, member: _Member, period: str, latest: str, market: float, age: int) -> float:
    """The output a respondent is set to make in ``period``, before noise and events."""
    month = service.parse_period(period)[1]
    season = spec.season[month - 1] * (member.kind.season or _FLAT)[month - 1]
    # Levels are pinned at the latest month, so the demo's newest figures are today's market.
    trend = math.pow(1 + spec.growth, _months_between(latest, period) / 12)
    ramp = RAMP_UP[age] if member.joins is not None and age < len(RAMP_UP) else 1.0
    rate = member.capacity * member.utilisation * _days(period) / 365
    return rate * season * trend * math.exp(market) * ramp


def _full(member: _Member, period: str) -> float:
    """Output at 100 % of capacity: nothing runs above it."""
    return member.capacity * _days(period) / 365


def _draw(
    spec: Spec,
    member: _Member,
    period: str,
    rng: random.Random,
    *,
    planned: bool,
    exports: bool = False,
) -> _Event | None:
    month = service.parse_period(period)[1]
    for kind in spec.events:
        if kind.planned != planned:
            continue
        if kind is EXPORTS and not exports:
            continue
        if kind.calendar_months is not None and month not in kind.calendar_months:
            continue
        if kind.provinces is not None and member.province not in kind.provinces:
            continue
        if kind.kinds is not None and member.kind.code not in kind.kinds:
            continue
        if rng.random() < kind.probability:
            return _Event(
                kind,
                output=rng.uniform(*kind.output),
                stock=rng.uniform(*kind.stock),
                left=rng.randint(*kind.months),
            )
    return None


def _simulate(
    spec: Spec,
    seed: int,
    members: list[_Member],
    window: Sequence[str],
    quiet: set[str],
    *,
    export_months: Collection[str] = (),
    story: tuple[str, Callable[[dict[str, dict[str, _Row]]], None]] | None = None,
) -> dict[str, dict[str, _Row]]:
    """Every respondent's month, in order, from the burn-in to the latest period. Each month has
    its own random stream, so a month's draws never depend on how many came before it."""
    latest = window[-1]
    rows: dict[str, dict[str, _Row]] = {}
    market = 0.0
    in_window = set(window)
    last_rows: dict[str, _Row] = {}
    for period in service.period_range(service.shift_period(window[0], -BURN_IN), latest):
        rng = random.Random(f"{seed}:{spec.code}:{period}")
        market = MARKET_PERSISTENCE * market + rng.gauss(0, spec.market_sd)
        upcoming = service.shift_period(period, 1)
        # Stocks go abroad only in a month the export window opened (the markets say when).
        exports = period in export_months
        month_rows: dict[str, _Row] = {}
        for member in members:
            if member.joins is not None and period < member.joins:
                continue
            # Back to normal after a month that cut output (not after a stock-only event).
            was = member.event
            resumes = was is not None and was.left == 1 and was.output < 1
            if member.event is not None and member.event.left > 1:
                member.event = _Event(
                    member.event.kind, member.event.output, 1.0, member.event.left - 1
                )
            else:
                member.event, member.pending = member.pending, None
            if member.event is None and period not in quiet:
                member.event = _draw(spec, member, period, rng, planned=False, exports=exports)
            goes_on = member.event is not None and member.event.left > 1
            if not goes_on and member.pending is None and upcoming not in quiet:
                member.pending = _draw(spec, member, upcoming, rng, planned=True)
            event = member.event
            production = _rate(spec, member, period, latest, market, member.age)
            production *= 1 + rng.gauss(0, spec.noise)
            production *= event.output if event is not None else 1.0
            production = max(0.0, min(production, _full(member, period)))
            # The forecast: this month's market carried on, the planned event or the running
            # one applied, and a little noise of its own (plans are rough).
            factor = 1.0
            if goes_on and event is not None:
                factor = event.output
            elif member.pending is not None:
                factor = member.pending.output
            forecast = _rate(
                spec, member, upcoming, latest, market * MARKET_PERSISTENCE, member.age + 1
            )
            forecast *= factor * (1 + rng.gauss(0, spec.noise / 3))
            forecast = max(0.0, min(forecast, _full(member, upcoming)))
            target = production * member.stock_months
            previous = target if member.stock is None else member.stock
            stock = (0.6 * previous + 0.4 * target) * (1 + rng.gauss(0, 0.08))
            stock *= event.stock if event is not None else 1.0
            member.stock = max(0.0, stock)
            reasons: list[str] = []
            if event is not None:
                reasons.append(event.kind.reason)
            if member.pending is not None and member.pending.kind.reason not in reasons:
                reasons.append(member.pending.kind.reason)
            if resumes and event is None:
                reasons.append("production-resumption")
            if member.joins is not None and member.age < len(RAMP_UP):
                reasons.append("new-capacity")
            note = "first return" if member.joins == period else ""
            month_rows[member.code] = _Row(production, member.stock, forecast, reasons, note)
            member.age += 1
        if period in in_window:
            rows[period] = month_rows
        if story is not None and period == story[0]:
            story[1](rows)
            for member in members:  # the next month goes on from the story's stocks
                if member.code in month_rows:
                    member.stock = month_rows[member.code].stock
        for code, row in month_rows.items():
            row.reasons = _coherent(row, last_rows.get(code))
        last_rows = month_rows
    return rows


def _coherent(row: _Row, before: _Row | None) -> list[str]:
    """The reasons a respondent may cite: each moves output or stocks the way they moved this
    month, or (a planned stop, a ramp-up) the way its forecast moves. A plant cutting output
    does not cite high production enthusiasm, nor one raising it maintenance."""
    directions = reason_moves()
    kept = []
    for code in row.reasons:
        moves = directions[code]
        if moves.measure == "stock":
            ok = before is not None and moves.agrees(row.stock - before.stock)
        else:
            ok = moves.agrees(row.forecast - row.production) or (
                before is not None and moves.agrees(row.production - before.production)
            )
        if ok:
            kept.append(code)
    return kept


def _add_reason(row: _Row, reason: str) -> None:
    if reason not in row.reasons:
        row.reasons.append(reason)


def _silver_story(
    members: list[_Member],
    rows: dict[str, dict[str, _Row]],
    latest: str,
    seed: int,
    *,
    exports: bool,
) -> None:
    """The story month as the reference report tells it (its random events were held back):
    ``latest`` is that month, ``exports`` whether the export window opened in it."""
    previous = service.shift_period(latest, -1)
    now, before = rows[latest], rows.get(previous, {})
    rng = random.Random(f"{seed}:{SILVER.code}:story:{latest}")
    by_code = {m.code: m for m in members}
    main = {"henan", "yunnan", "shandong", "zhejiang"}
    # Kept clear of this month's stops so each of them forecasts a net cut (a stopped smelter
    # forecasts its recovery).
    grade = {"guangxi", "gansu", "inner-mongolia"}
    # Copper smelters' maintenance, away from the main provinces, makes most of the fall.
    copper = sorted(
        c
        for c, m in by_code.items()
        if m.kind.code == "copper-smelter by-product" and m.province not in main | grade
    )
    servicing = rng.sample(copper, k=min(5, len(copper)))
    # Stock-taking at an individual smelter.
    others = sorted(
        c for c, m in by_code.items() if m.province not in main | grade and c not in servicing
    )
    counting = rng.choice(others)
    now[counting].production *= rng.uniform(0.8, 0.9)
    _add_reason(now[counting], "inventory-count")
    # A Henan lead smelter's maintenance barely showed.
    lead = sorted(c for c, m in by_code.items() if m.kind.code == "lead-smelter by-product")
    henan = rng.choice([c for c in lead if by_code[c].province == "henan"])
    now[henan].production *= rng.uniform(0.88, 0.93)
    _add_reason(now[henan], "maintenance")
    # The others ran hard for the precious metals: lead smelters beyond Henan, whose share the
    # cuts elsewhere already lift.
    keen = rng.sample([c for c in lead if by_code[c].province != "henan"], k=3)
    for code in keen:
        ran = max(now[code].production, before[code].production if code in before else 0.0)
        now[code].production = min(ran * 1.03, _full(by_code[code], latest))
        _add_reason(now[code], "high-profit")
    for code in (*servicing, counting, henan, *keen):
        now[code].scripted = True
    # The month comes out at the reported change: the copper smelters' cut is what it takes,
    # within a maintenance month's 30-80 %; the other smelters' output absorbs any remainder
    # (a few per cent at most, as their noise would).
    matched = [c for c in now if c in before]
    target = sum(before[c].production for c in matched) * (1 + SILVER_LATEST_CHANGE)
    total = sum(now[c].production for c in matched)
    down = sum(now[c].production for c in servicing)
    keep = 1 - (total - target) / down if down else 1.0
    for code in servicing:
        now[code].production *= min(0.7, max(0.2, keep + rng.uniform(-0.05, 0.05)))
        _add_reason(now[code], "maintenance")
    free = [c for c in matched if not now[c].scripted]
    free_sum = sum(now[c].production for c in free)
    fixed = sum(now[c].production for c in matched if now[c].scripted)
    if free_sum:
        scale = min(1.04, max(0.96, (target - fixed) / free_sum))
        for code in free:
            now[code].production = min(now[code].production * scale, _full(by_code[code], latest))
    # Lead-zinc smelters in Guangxi, Gansu and Inner Mongolia cut next month: ore grade.
    _grade_cuts(members, now, "lead-smelter by-product", rng)
    # Exports: this month most smelters sold abroad, leaving stocks nearly sold out. Not those
    # whose output story is told above: a reason is credited with the whole output change of
    # whoever cites it, and the fall belongs to maintenance and stock-taking. Only when the
    # export window opened: nobody ships at a loss.
    if not exports:
        return
    sellers = sorted(c for c in now if c not in (*servicing, counting, henan))
    exporters = set(rng.sample(sellers, k=min(len(sellers), round(len(now) * 0.8))))
    for code in sorted(now):
        if code in exporters:
            base = before[code].stock if code in before else now[code].stock
            now[code].stock = base * rng.uniform(0.3, 0.5)
            _add_reason(now[code], "export-orders")
            now[code].scripted = True
        elif code in before:
            now[code].stock = before[code].stock * rng.uniform(0.85, 1.0)


def _grade_cuts(
    members: list[_Member], now: dict[str, _Row], kind: str, rng: random.Random
) -> None:
    for member in members:
        row = now.get(member.code)
        if row is None or member.kind.code != kind:
            continue
        if member.province in {"guangxi", "gansu", "inner-mongolia"}:
            row.forecast = min(row.forecast, row.production) * rng.uniform(0.75, 0.88)
            _add_reason(row, "raw-material-grade")
            row.scripted = True


def _plan(
    spec: Spec, seed: int, window: Sequence[str], export_months: Collection[str] = ()
) -> _Plan:
    latest = window[-1]
    members = _panel(spec, seed)
    _joiners(spec, seed, members, window[0], latest)
    members.sort(key=lambda m: m.code)
    told = story_period(window)
    quiet = {told} if spec is SILVER else set()

    def story(rows: dict[str, dict[str, _Row]]) -> None:
        if spec is SILVER:
            _silver_story(members, rows, told, seed, exports=told in export_months)
        elif spec in (LEAD, ZINC):
            # The same ore reaches the lead and zinc lines of those smelters.
            _grade_cuts(members, rows[told], "primary", random.Random(f"{seed}:{spec.code}:story"))

    rows = _simulate(
        spec, seed, members, window, quiet, export_months=export_months, story=(told, story)
    )
    plan = _Plan(members, rows)
    # One to three respondents miss each deadline; the release imputes them. Never two months
    # running, so each imputation rests on a reported figure; never a plant's first month (it
    # would have no figure to carry forward).
    joined = {m.code: m.joins for m in members}
    for previous, period in pairwise(window):
        rng = random.Random(f"{seed}:{spec.code}:{period}:late")
        if spec is SILVER and period in (told, service.shift_period(told, -1)):
            # The story month and the one before are complete, so the released change is the
            # reported one (-3.55 %), not one moved by estimates.
            plan.silent[period] = []
            continue
        eligible = [
            code
            for code, row in sorted(rows[period].items())
            if code in rows[previous]
            and not row.scripted
            and joined[code] != period
            and code not in plan.silent.get(previous, [])
        ]
        plan.silent[period] = sorted(rng.sample(eligible, k=min(len(eligible), rng.randint(1, 3))))
    if spec.revision_months_before is not None and len(window) >= 3:
        revised = service.shift_period(latest, -spec.revision_months_before)
        # Inside the window, after its first month (which has no late return) and before the
        # latest (the revision comes out with the following month).
        revised = min(max(revised, window[1]), window[-2])
        if plan.silent.get(revised):
            plan.revised = revised
    return plan


# --- returns -----------------------------------------------------------------------------------


def story_period(window: Sequence[str]) -> str:
    """The month that retells the reference report: October 2025, or the latest of a window
    without it."""
    return SILVER_STORY_PERIOD if SILVER_STORY_PERIOD in window else window[-1]


def _quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def _return(spec: Spec, member: _Member, period: str, row: _Row, note: str = "") -> ReturnIn:
    q = _quantum(spec.decimals)
    # The panel details ride along on every return: the service uses them only when the
    # respondent is new, so a rebuild on a partly built database still adds it.
    return ReturnIn(
        period=period,
        respondent=member.code,
        name=member.name,
        province=member.province,
        producer_type=member.kind.code,
        capacity=Decimal(member.capacity),
        production=Decimal(repr(row.production)).quantize(q),
        inventory=Decimal(repr(row.stock)).quantize(q),
        forecast_next=Decimal(repr(row.forecast)).quantize(q),
        reasons=list(row.reasons),
        note=note or row.note,
    )


def _returns(spec: Spec, plan: _Plan, period: str, *, late: bool) -> list[ReturnIn]:
    """The returns received by the period's deadline, or (``late``) those that missed it."""
    silent = set(plan.silent.get(period, []))
    items = []
    for member in plan.members:
        row = plan.rows[period].get(member.code)
        if row is None or (member.code in silent) != late:
            continue
        items.append(_return(spec, member, period, row, "late return" if late else ""))
    return items


# --- building ----------------------------------------------------------------------------------


@dataclass
class _Tally:
    returns: int = 0
    releases: int = 0
    revisions: int = 0


def latest_full_month(survey_timezone: str, now: dt.datetime) -> str:
    """The last month that has ended at ``now`` in the survey's timezone."""
    local = now.astimezone(ZoneInfo(survey_timezone))
    return service.shift_period(f"{local.year:04d}-{local.month:02d}", -1)


def _statuses(session: Session, survey: Survey) -> dict[str, list[ReleaseStatus]]:
    """Each released period's versions' statuses, oldest version first."""
    out: dict[str, list[ReleaseStatus]] = {}
    rows = session.execute(
        select(SurveyRelease.period, SurveyRelease.status)
        .where(SurveyRelease.survey_id == survey.id)
        .order_by(SurveyRelease.period, SurveyRelease.version)
    )
    for period, status in rows:
        out.setdefault(period, []).append(status)
    return out


def _ensure_survey(session: Session, spec: Spec, members: Sequence[_Member]) -> Survey:
    survey = service.get_survey(session, spec.code)
    if survey is not None:
        return survey
    panel = sum(m.capacity for m in members)
    step = spec.capacity_step * 10
    # National capacity a little above the panel's (coverage below 100 %), in round numbers.
    national = math.ceil(panel / spec.coverage / step) * step
    return service.create_survey(
        session,
        spec.code,
        entry=spec.entry,
        unit="mt",
        name_en=spec.name_en,
        name_zh=spec.name_zh,
        tier=spec.tier,
        producer_types=spec.producer_types,
        national_capacity=Decimal(national),
        premium_series=spec.premium_series,
        main_share=spec.main_share,
        actor=DEMO_ACTOR,
    )


def _build_one(
    session: Session,
    spec: Spec,
    *,
    editor: User,
    now: dt.datetime,
    seed: int,
    window: Sequence[str],
    tally: _Tally,
    progress: Callable[[str], None] | None,
    export_months: Collection[str] = (),
) -> Survey:
    plan = _plan(spec, seed, window, export_months if spec is SILVER else ())
    survey = _ensure_survey(session, spec, plan.members)
    statuses = _statuses(session, survey)
    latest = window[-1]
    for number, period in enumerate(window, start=1):
        previous = service.shift_period(period, -REVISION_LAG)
        # Published together with this month's release: last month's revision (its late
        # returns are in), or the final figure of a month first released as preliminary.
        if previous == plan.revised and len(statuses.get(previous, [])) == 1:
            added = add_returns(
                session,
                survey,
                _returns(spec, plan, previous, late=True),
                actor=DEMO_ACTOR,
                source="demo",
            )
            tally.returns += added.added
            _release(session, survey, previous, ReleaseStatus.FINAL, editor, now, period)
            statuses[previous].append(ReleaseStatus.FINAL)
            tally.revisions += 1
            tally.releases += 1
        if statuses.get(previous, [None])[-1] is ReleaseStatus.PRELIMINARY:
            _release(session, survey, previous, ReleaseStatus.FINAL, editor, now, period)
            statuses[previous].append(ReleaseStatus.FINAL)
            tally.releases += 1
        if period not in statuses:
            added = add_returns(
                session,
                survey,
                _returns(spec, plan, period, late=False),
                actor=DEMO_ACTOR,
                source="demo",
            )
            tally.returns += added.added
            status = ReleaseStatus.PRELIMINARY if period == latest else ReleaseStatus.FINAL
            _release(session, survey, period, status, editor, now, period)
            statuses[period] = [status]
            tally.releases += 1
        if progress and (number % 12 == 0 or number == len(window)):
            progress(f"{spec.code}: {number}/{len(window)} months")
    return survey


def _release(
    session: Session,
    survey: Survey,
    period: str,
    status: ReleaseStatus,
    editor: User,
    now: dt.datetime,
    at: str,
) -> None:
    """Release ``period``'s statistics at the scheduled time of month ``at``."""
    service.release(
        session,
        survey,
        period,
        status=status,
        user=editor,
        release_at=service.scheduled_release(survey, at),
        now=now,
    )


def build_surveys(
    session: Session,
    *,
    editor: User,
    now: dt.datetime,
    seed: int = 7,
    months: int = DEFAULT_MONTHS,
    progress: Callable[[str], None] | None = None,
    export_months: Collection[str] | None = None,
) -> list[str]:
    """Build (or extend) the demo surveys in the caller's transaction; returns summary lines.

    ``months`` monthly periods ending with the last full month before ``now`` (Shanghai time),
    each released at its schedule, final except the latest (preliminary). The same ``seed`` and
    ``now`` build the same surveys; a second call adds nothing. Needs the catalog synced (the
    surveys hang off its silver, copper, zinc, lead, aluminum and lithium entries) and an
    ``editor`` allowed to publish. Silver smelters cite export orders only in the months given
    by ``export_months`` (default: those in which the database's silver export window opened on
    at least one market day, so the markets must be built first).
    """
    if months < 1:
        raise ValueError("months must be >= 1")
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    latest = latest_full_month("Asia/Shanghai", now)
    window = service.period_range(service.shift_period(latest, -(months - 1)), latest)
    if export_months is None:
        export_months = export_window_months(session, window, now)
    lines = []
    for spec in SPECS:
        tally = _Tally()
        survey = _build_one(
            session,
            spec,
            editor=editor,
            now=now,
            seed=seed,
            window=window,
            tally=tally,
            progress=progress,
            export_months=export_months,
        )
        panel = service.panel(session, survey)
        capacity = sum((r.capacity for r in panel), Decimal(0))
        lines.append(
            f"demo survey {spec.code}: {len(panel)} respondents in "
            f"{len({r.province for r in panel})} provinces, {capacity:,.0f} t/yr; "
            f"{tally.returns:,} returns added, {tally.releases} releases "
            f"({tally.revisions} revised) for {window[0]}..{latest}"
        )
    return lines


def export_window_months(session: Session, window: Sequence[str], now: dt.datetime) -> set[str]:
    """The months of ``window`` in which the silver export window (AG-EXPORT) opened on at least
    one market day, as published at ``now``."""
    from metalwire.markets import windows

    definition = next((d for d in windows.definitions() if d.kind == "silver-export"), None)
    if definition is None:
        return set()
    first = dt.date(*service.parse_period(window[0]), 1)
    year, month = service.parse_period(window[-1])
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    history = windows.compute(session, definition, as_of=now, start=first, end=last)
    return {row.date.strftime("%Y-%m") for row in history.rows if row.result.open}
