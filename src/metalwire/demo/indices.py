"""The demo's index definitions, as the data ``indices.service.define`` reads.

The non-ferrous composite (base 1000, weights from China's output value in the base period), its
base-metals sub-index, the new-energy (lithium) index, and the 62% Fe iron-ore index, which
follows the ``FE-ORE-62-CFR-QINGDAO`` assessment; weights and bases come from the published
prices, read at the build's ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from metalwire.catalog.service import get_series
from metalwire.demo.iron_ore import IRON_ORE_SERIES
from metalwire.demo.prices import EPOCH
from metalwire.demo.settlements import SHANGHAI, PublishedMids

# China's output, approximate and illustrative (t; silver: mine output): the quantities the
# production-value weights multiply by base-period prices. Sources: NBS and industry estimates
# for 2024 (refined metals), USGS Mineral Commodity Summaries 2025 (silver mine output).
OUTPUT_T = {
    "CU-CATHODE-CN-SPOT": 13_640_000,
    "AL-A00-CN-SPOT": 44_000_000,
    "ZN-0-CN-SPOT": 6_900_000,
    "PB-1-CN-SPOT": 7_200_000,
    "NI-1-CN-SPOT": 330_000,
    "SN-1-CN-SPOT": 180_000,
    "AG-INGOT-CN-SPOT": 3_400,
    "LI2CO3-BATTERY-CN-SPOT": 680_000,
    "LIOH-BATTERY-CN-SPOT": 280_000,
    "NI-SULPHATE-CN-SPOT": 1_700_000,
    "CO-SULPHATE-CN-SPOT": 290_000,
}
KG_PER_T = {"mt": Decimal(1), "kg": Decimal(1000)}
BASE_METALS = (
    "CU-CATHODE-CN-SPOT",
    "AL-A00-CN-SPOT",
    "ZN-0-CN-SPOT",
    "PB-1-CN-SPOT",
    "NI-1-CN-SPOT",
    "SN-1-CN-SPOT",
)
NEW_ENERGY = (
    "LI2CO3-BATTERY-CN-SPOT",
    "LIOH-BATTERY-CN-SPOT",
    "NI-SULPHATE-CN-SPOT",
    "CO-SULPHATE-CN-SPOT",
)
IRON_ORE_INDEX = "FE-ORE-62-INDEX"


@dataclass(frozen=True)
class DemoIndex:
    code: str
    name: str
    name_zh: str
    constituents: tuple[str, ...]
    methodology: str


DEMO_INDICES = (
    DemoIndex(
        "MW-NONFERROUS-INDEX",
        "metalwire non-ferrous metals composite index",
        "metalwire有色金属综合指数",
        (*BASE_METALS, "AG-INGOT-CN-SPOT"),
        "Fixed-weight Laspeyres over the published mids of the Shanghai spot prices of copper, "
        "aluminium, zinc, lead, nickel, tin and silver: I_t = 1000 × Σ w_i · p_i,t / p_i,0. "
        "Weights are production values: China's output of each metal (approximate, "
        "illustrative) × its average published mid over the base period, in yuan bn, so the "
        "index is the value of a fixed basket of China's output at today's prices against the "
        "base period. Methodology document: indices.",
    ),
    DemoIndex(
        "MW-BASE-METALS-INDEX",
        "metalwire base metals sub-index",
        "metalwire基本金属分类指数",
        BASE_METALS,
        "The base metals of the non-ferrous composite (copper, aluminium, zinc, lead, nickel, "
        "tin) with the same production-value weights, base 1000. Methodology document: indices.",
    ),
    DemoIndex(
        "MW-NEW-ENERGY-INDEX",
        "metalwire new-energy metals index",
        "metalwire新能源金属指数",
        NEW_ENERGY,
        "Fixed-weight Laspeyres over the published mids of battery-grade lithium carbonate and "
        "lithium hydroxide, nickel sulphate and cobalt sulphate in China, base 1000, weights from "
        "production value (output × base-period average price). Methodology document: indices.",
    ),
)


def base_period(
    market: PublishedMids, codes: Iterable[str], today: dt.date
) -> tuple[dt.date, dt.date] | None:
    """The first full calendar month of the range with every constituent published in it (a
    stable base across daily rebuilds); for a range shorter than that, the first date on which
    every constituent is published."""
    tables = [market.mids(code) for code in codes]
    common = sorted(set.intersection(*(set(t) for t in tables))) if tables else []
    if not common:
        return None
    first = common[0]
    start = (
        first if first.day == 1 else (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    )
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    if end < today and all(any(start <= d <= end for d in t) for t in tables):
        return start, end
    return first, first


def _weights(
    market: PublishedMids, codes: Iterable[str], start: dt.date, end: dt.date
) -> dict[str, Decimal]:
    """Production value in yuan bn: output (t, in the series' unit) × base-period average mid."""
    out = {}
    for code in codes:
        series = get_series(market.session, code)
        assert series is not None
        prices = [p for day, p in market.mids(code).items() if start <= day <= end]
        average = sum(prices, Decimal(0)) / len(prices)
        value = Decimal(OUTPUT_T[code]) * KG_PER_T[series.unit] * average / Decimal(10) ** 9
        out[code] = value.quantize(Decimal("0.01"), ROUND_HALF_UP)
    return out


def index_definitions(session: Session, now: dt.datetime, days: int) -> list[dict[str, object]]:
    """The demo's index definitions as data (the mapping ``indices.service.define`` reads)."""
    today = now.astimezone(SHANGHAI).date()
    market = PublishedMids(session, now, max(today - dt.timedelta(days=days), EPOCH))
    out: list[dict[str, object]] = []
    for index in DEMO_INDICES:
        period = base_period(market, index.constituents, today)
        if period is None:
            continue
        weights = _weights(market, index.constituents, *period)
        out.append(
            {
                "code": index.code,
                "name": index.name,
                "name_zh": index.name_zh,
                "base_value": "1000",
                "base_period": {"start": period[0].isoformat(), "end": period[1].isoformat()},
                "formula": "laspeyres",
                "decimals": 2,
                "constituents": [
                    {"series": code, "weight": str(weights[code])} for code in index.constituents
                ],
                "methodology": index.methodology,
            }
        )
    ore = market.mids(IRON_ORE_SERIES)
    if ore:
        day = min(ore)
        out.append(
            {
                "code": IRON_ORE_INDEX,
                "name": "Iron ore 62% Fe fines index, CFR Qingdao",
                "name_zh": "62%铁矿石指数(CFR青岛)",
                # One constituent with the base value its own mid on the base day: the index
                # equals the published 62% Fe assessment, USD/dmt.
                "base_value": str(ore[day]),
                "base_period": {"start": day.isoformat(), "end": day.isoformat()},
                "formula": "laspeyres",
                "decimals": 2,
                "constituents": [{"series": IRON_ORE_SERIES, "weight": "1"}],
                "methodology": "The daily 62% Fe CFR Qingdao assessment, in USD/dmt, made from "
                "62% Fe deals and from deals in other grades (58%, 61%, 65% Fe fines) normalized "
                "to 62% Fe by value in use. Methodology document: iron-ore.",
            }
        )
    return out
