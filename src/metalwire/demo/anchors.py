"""Real-market anchors for the demo: World Bank monthly metal prices and FRED USD/CNY.

The demo's prices for refined metals follow what the market really did: each day's level is the
World Bank monthly average (USD) interpolated linearly between month midpoints, converted to the
series' unit and currency at the FRED monthly USD/CNY rate (interpolated the same way), with 13%
VAT added for a VAT-inclusive yuan price. Past the last real month the level goes on as a small
seeded random walk from the last real value, one step per calendar day, so the same seed gives
the same prices however many days a build asks for. The rate is carried forward unchanged.

Which series are anchored is decided by the commodity they price, so a new outright series of
copper cathode in USD/mt is anchored like the Shanghai spot without a code change here.

Sources and licences: data/real/SOURCES.md.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources

from metalwire.catalog.models import SeriesKind
from metalwire.catalog.units import convert_price

# Value-added tax on metals in China since April 2019; a "VAT inclusive" yuan price carries it.
CN_VAT = Decimal("1.13")
# Daily log-step of the walk past the last real month: metals move ~1-2% a day; a quieter walk
# keeps the months after the data believable without inventing a rally or a crash.
EXTENSION_DAILY_SD = 0.007


@dataclass(frozen=True)
class Metal:
    """One World Bank column: its name in the CSV and the unit its USD price is quoted per."""

    column: str
    unit: str


COPPER = Metal("copper_usd_per_mt", "mt")
ALUMINIUM = Metal("aluminum_usd_per_mt", "mt")
ZINC = Metal("zinc_usd_per_mt", "mt")
LEAD = Metal("lead_usd_per_mt", "mt")
NICKEL = Metal("nickel_usd_per_mt", "mt")
TIN = Metal("tin_usd_per_mt", "mt")
SILVER = Metal("silver_usd_per_troy_oz", "oz")
GOLD = Metal("gold_usd_per_troy_oz", "oz")
PLATINUM = Metal("platinum_usd_per_troy_oz", "oz")
# The World Bank labels the column $/dmtu, but its values (~100) are the 62% Fe fines price per
# dry metric tonne, as the trade quotes it (a dmtu price would be ~1.6).
IRON_ORE = Metal("iron_ore_cfr_china_usd_per_dmtu", "dmt")

# Commodity code (catalog.yaml) -> the World Bank series its outright prices follow.
ANCHORED_COMMODITIES: dict[str, Metal] = {
    "CU-1": COPPER,
    "AL-A00": ALUMINIUM,
    "ZN-0": ZINC,
    "PB-1": LEAD,
    "NI-1": NICKEL,
    "SN-1": TIN,
    "AG-1": SILVER,
    "AG-LONDON": SILVER,
    "AU-9999": GOLD,
    "AU-LONDON": GOLD,
    "PT-9995": PLATINUM,
    "FE-ORE-62": IRON_ORE,
}


class AnchorError(ValueError):
    """A series that cannot be expressed in its metal's real price (unit or currency)."""


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("metalwire.demo").joinpath(f"data/real/{name}").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def month_midpoint(year: int, month: int) -> float:
    """The middle of a month as a proleptic ordinal (June: noon on the 15th)."""
    days = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1).toordinal() + (days - 1) / 2


@dataclass(frozen=True)
class MonthlyCurve:
    """Monthly averages placed at their month midpoints, read as a piecewise-linear curve."""

    points: tuple[tuple[float, float], ...]  # (midpoint ordinal, value), oldest first

    @property
    def last_day(self) -> dt.date:
        return dt.date.fromordinal(math.floor(self.points[-1][0]))

    def at(self, day: dt.date) -> float:
        """The interpolated value on a day; flat before the first and after the last midpoint."""
        x = float(day.toordinal())
        points = self.points
        if x <= points[0][0]:
            return points[0][1]
        if x >= points[-1][0]:
            return points[-1][1]
        low, high = 0, len(points) - 1
        while high - low > 1:  # bisect: the segment holding x
            middle = (low + high) // 2
            if points[middle][0] <= x:
                low = middle
            else:
                high = middle
        (x0, y0), (x1, y1) = points[low], points[high]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _curve(rows: list[dict[str, str]], column: str) -> MonthlyCurve:
    points = []
    for row in rows:
        if not row.get(column):
            continue
        year, month = (int(part) for part in row["month"].split("-"))
        points.append((month_midpoint(year, month), float(row[column])))
    if not points:
        raise AnchorError(f"no values in column {column!r}")
    return MonthlyCurve(tuple(points))


@lru_cache(maxsize=16)
def metal_curve(metal: Metal) -> MonthlyCurve:
    """The World Bank monthly USD price of a metal."""
    return _curve(_read_csv("worldbank_pinksheet_metals_monthly_usd.csv"), metal.column)


@lru_cache(maxsize=1)
def fx_curve() -> MonthlyCurve:
    """FRED monthly average USD/CNY (CNY per 1 USD); the last month is carried forward."""
    return _curve(_read_csv("usd_cny_monthly_fred.csv"), "cny_per_usd")


@dataclass(frozen=True)
class Anchor:
    """How one series follows its metal: the factor from the USD price to the series' price."""

    metal: Metal
    unit_factor: Decimal  # USD per metal unit -> USD per series unit
    in_yuan: bool
    vat: Decimal

    def factor(self, cny_per_usd: float) -> float:
        rate = cny_per_usd if self.in_yuan else 1.0
        return float(self.unit_factor * self.vat) * rate


def anchor_for(
    commodity: str, kind: SeriesKind, unit: str, currency: str, vat: bool
) -> Anchor | None:
    """The real-data anchor of an outright series, or None when its commodity has none.

    Premiums price a spread, not the metal, and are never anchored.
    """
    metal = ANCHORED_COMMODITIES.get(commodity)
    if metal is None or kind is not SeriesKind.OUTRIGHT:
        return None
    if currency not in ("USD", "CNY"):
        raise AnchorError(f"{commodity}: cannot anchor a price in {currency!r}")
    unit_factor = convert_price(Decimal(1), metal.unit, unit)
    in_yuan = currency == "CNY"
    return Anchor(metal, unit_factor, in_yuan, CN_VAT if vat and in_yuan else Decimal(1))


def metal_usd_path(metal: Metal, days: Sequence[dt.date], seed: int) -> list[float]:
    """The metal's USD price on each day (any order): real data, then the seeded walk."""
    curve = metal_curve(metal)
    last_day = curve.last_day
    walk: dict[dt.date, float] = {}
    later = [day for day in days if day > last_day]
    if later:
        # One rng per metal, stepped over every calendar day from the last real midpoint: the
        # Shanghai and London series of a metal share the walk, and a day's value does not
        # depend on which days were asked for.
        rng = random.Random(f"{seed}:anchor:{metal.column}")
        value = math.log(curve.points[-1][1])
        day = last_day
        end = max(later)
        while day < end:
            day += dt.timedelta(days=1)
            value += rng.gauss(0.0, EXTENSION_DAILY_SD)
            walk[day] = math.exp(value)
    return [walk[day] if day > last_day else curve.at(day) for day in days]


def cny_per_usd(day: dt.date) -> float:
    return fx_curve().at(day)


def anchored_levels(anchor: Anchor, days: Sequence[dt.date], seed: int) -> list[float]:
    """The anchored series' level (its own currency and unit, VAT as quoted) on each day."""
    usd = metal_usd_path(anchor.metal, days, seed)
    return [value * anchor.factor(cny_per_usd(day)) for value, day in zip(usd, days, strict=True)]
