"""The demo's market data, arbitrage inputs and indices, through the real services only.

``build_markets`` (after the demo prices are published) loads:

* the packaged real data (World Bank monthly metals, FRED USD/CNY) through
  ``markets.real_data.write_import_files`` and ``markets.service.import_market``;
* demo settlements as import files, one file per market date and publication time, each loaded
  at that time (``import_market(now=...)``), so a read ``as_of`` an earlier instant sees only
  what had been loaded by then:

  - ``USDCNY-FIX``: the real FRED monthly rate (as the demo's yuan prices use it) with a small
    mean-reverting daily noise, 4 decimals, loaded 09:20 Shanghai;
  - SHFE continuous front months and 4-6 listed contract months (the last ``CONTRACT_DAYS``
    market dates) for Cu, Al, Zn, Ni, Sn, Pb, Ag, loaded 15:05 Shanghai. The front month is the
    published Shanghai spot less its published spot premium (copper, silver) or less a small
    seeded premium walk (the others), rounded to the exchange's tick: spot = SHFE front +
    premium, as the market quotes it (on a day the desk has not published yet, the demo's price
    path stands in: the exchange settles regardless). Later months add a carry per month;
  - LME 3-month and cash for Cu, Zn, Ni (loaded 17:35 London) and the London silver price
    (12:05 London), set so that the import (or export) profit of each arbitrage window follows a
    seeded mean-reverting walk around a small loss: the windows open and close as real ones do,
    while the London prices stay at the level of the real World Bank path the demo's Shanghai
    prices follow;

* the demo indices, defined through ``indices.service.define``: the non-ferrous composite (base
  1000, weights from China's output value in the base period), its base-metals sub-index, the
  new-energy (lithium) index, the real-data World Bank base-metals index, and the 62% Fe iron-ore
  index, which follows the ``FE-ORE-62-CFR-QINGDAO`` assessment.

``iron_ore_evidence`` (before the demo's assessments) adds to that assessment's evidence deals in
58%, 61% and 65% Fe fines, each carrying the value-in-use ``adjustment`` to 62% Fe of
``markets.normalization.adjustment_for``; the engine adds it to the price, so the off-grade
cargoes count at their 62% Fe equivalent.

Deterministic: every draw comes from a ``random.Random`` seeded with the seed and what is drawn
for, never the global generator. Rerunnable: only settlements not yet stored are written (a
second build with the same seed and ``now`` adds nothing and records nothing), definitions are
idempotent, submissions are idempotent on content.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import random
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.models import User
from metalwire.catalog.calendars import CalendarError, get_calendar
from metalwire.catalog.models import PriceSeries
from metalwire.catalog.service import get_series
from metalwire.catalog.units import TROY_OUNCES_PER_KG
from metalwire.demo.anchors import anchor_for, fx_curve
from metalwire.demo.prices import EPOCH, SeriesMarket, contributors, daily_levels
from metalwire.indices import engine
from metalwire.indices import service as indices
from metalwire.markets import arbitrage, windows
from metalwire.markets import service as markets
from metalwire.markets.models import Instrument, MarketPrice
from metalwire.markets.normalization import DEFAULT_COEFFICIENTS, adjustment_for
from metalwire.markets.real_data import write_import_files
from metalwire.markets.service import MARKET_COLUMNS, InstrumentSpec
from metalwire.pricing.engine import SubmissionKind
from metalwire.pricing.methodology import methodology_for
from metalwire.pricing.published import PublishedPrice, published_prices
from metalwire.pricing.release_times import scheduled_release
from metalwire.pricing.schemas import SubmissionIn
from metalwire.pricing.submissions import add_submissions

ACTOR = "demo"
DEFAULT_DAYS = 730
SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
# When each feed is loaded, local time: the fixing after 09:15, SHFE after its 15:00 close, the
# London silver price after noon, LME after the 17:30 closing prices.
FIX_LOADED = (dt.time(9, 20), SHANGHAI)
SHFE_LOADED = (dt.time(15, 5), SHANGHAI)
LBMA_LOADED = (dt.time(12, 5), LONDON)
LME_LOADED = (dt.time(17, 35), LONDON)
# Contract months are generated for the newest market dates only: enough for the curve page.
CONTRACT_DAYS = 40


@dataclass(frozen=True)
class Metal:
    """One SHFE metal: its spot series, the spot premium (a series or a seeded walk), the tick,
    the contract months listed, the carry per month and typical volume and open interest."""

    symbol: str  # CU
    name_en: str
    name_zh: str
    spot: str
    unit: str
    tick: Decimal
    months: int
    carry: float  # fraction per month: + contango, - backwardation
    premium_series: str | None
    premium_level: float  # yuan per unit, when no premium series
    premium_step: float
    volume: int  # lots, front month
    open_interest: int


# fmt: off
SHFE_METALS = (
    Metal("CU", "copper", "铜", "CU-CATHODE-CN-SPOT", "mt", Decimal(10), 6, 0.0015,
          "CU-CATHODE-CN-PREMIUM", 0, 0, 90_000, 190_000),
    Metal("AL", "aluminium", "铝", "AL-A00-CN-SPOT", "mt", Decimal(5), 6, 0.001,
          None, -20, 8, 120_000, 230_000),
    Metal("ZN", "zinc", "锌", "ZN-0-CN-SPOT", "mt", Decimal(5), 6, -0.001,
          None, 40, 10, 70_000, 120_000),
    Metal("NI", "nickel", "镍", "NI-1-CN-SPOT", "mt", Decimal(10), 5, 0.002,
          None, 300, 60, 150_000, 110_000),
    Metal("SN", "tin", "锡", "SN-1-CN-SPOT", "mt", Decimal(10), 4, -0.0005,
          None, 500, 100, 40_000, 30_000),
    Metal("PB", "lead", "铅", "PB-1-CN-SPOT", "mt", Decimal(5), 4, 0.001,
          None, -50, 10, 30_000, 60_000),
    Metal("AG", "silver", "银", "AG-INGOT-CN-SPOT", "kg", Decimal(1), 6, 0.003,
          "AG-INGOT-CN-PREMIUM", 0, 0, 600_000, 700_000),
)
# fmt: on


@dataclass(frozen=True)
class Landed:
    """How an LME (or London) price is set from the Shanghai side: the window whose profit it
    drives, and that profit's mean-reverting walk (yuan per unit of the window)."""

    window: str
    mean: float
    step: float
    reversion: float = 0.08


LME_METALS = {
    "CU": Landed("CU-IMPORT", -250.0, 110.0),
    "ZN": Landed("ZN-IMPORT", -150.0, 60.0),
    "NI": Landed("NI-IMPORT", -900.0, 350.0),
}
LONDON_SILVER = Landed("AG-EXPORT", -10.0, 11.0, 0.1)
CASH_SPREAD = {"CU": (-40.0, 12.0), "ZN": (-15.0, 6.0), "NI": (-120.0, 30.0)}  # USD, cash - 3M
FX_NOISE = (0.0009, 0.15)  # daily log step, reversion


def _half_up(value: float | Decimal, step: Decimal) -> Decimal:
    """A value rounded half-up to a multiple of ``step`` (a tick, 0.5, 0.0001)."""
    exact = Decimal(repr(value)) if isinstance(value, float) else value
    return (exact / step).quantize(Decimal(1), ROUND_HALF_UP) * step


def _walk(
    key: str, days: Iterable[dt.date], mean: float, step: float, reversion: float
) -> dict[dt.date, float]:
    """A seeded mean-reverting walk, one step per calendar day from EPOCH: a day's value does not
    depend on which days are asked for."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    rng = random.Random(key)
    value, day, out = mean, EPOCH, {}
    end = wanted[-1]
    chosen = set(wanted)
    while day <= end:
        if day in chosen:
            out[day] = value
        value += reversion * (mean - value) + rng.gauss(0.0, step)
        day += dt.timedelta(days=1)
    return out


def trading_days(calendar: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """A calendar's trading days; outside the years its data covers, Monday to Friday."""
    try:
        days = get_calendar(calendar)
    except CalendarError:
        days = None
    out = []
    day = start
    while day <= end:
        try:
            trading = days.is_trading_day(day) if days else day.weekday() < 5
        except CalendarError:
            trading = day.weekday() < 5
        if trading:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def _at(day: dt.date, when: tuple[dt.time, ZoneInfo]) -> dt.datetime:
    return dt.datetime.combine(day, when[0], tzinfo=when[1]).astimezone(dt.UTC)


# --- settlements ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    instrument: str
    date: dt.date
    settle: Decimal
    currency: str
    unit: str
    loaded_at: dt.datetime
    volume: int | None = None
    open_interest: int | None = None


class _Market:
    """What the demo's settlements are made from: the published prices, read once."""

    def __init__(self, session: Session, now: dt.datetime, start: dt.date) -> None:
        self.session = session
        self.now = now
        self.start = start
        self._prices: dict[str, dict[dt.date, PublishedPrice]] = {}

    def mids(self, code: str) -> dict[dt.date, Decimal]:
        if code not in self._prices:
            series = get_series(self.session, code)
            published = (
                published_prices(self.session, series, as_of=self.now, start=self.start)
                if series is not None
                else []
            )
            self._prices[code] = {p.market_date: p for p in published}
        return {day: p.mid for day, p in self._prices[code].items()}


def fixing(days: Iterable[dt.date], seed: int) -> dict[dt.date, Decimal]:
    """USDCNY-FIX: the FRED monthly rate (interpolated, the last month carried) with noise."""
    step, reversion = FX_NOISE
    noise = _walk(f"{seed}:markets:usdcny", days, 0.0, step, reversion)
    curve = fx_curve()
    return {
        day: _half_up(curve.at(day) * math.exp(wobble), Decimal("0.0001"))
        for day, wobble in noise.items()
    }


def _contract_month(day: dt.date, ahead: int) -> tuple[int, int]:
    """The contract month ``ahead`` months after the front one (SHFE: a month's contract trades
    until the 15th; after it the next month is the front)."""
    index = day.year * 12 + day.month - 1 + (1 if day.day > 15 else 0) + ahead
    return divmod(index, 12)[0], divmod(index, 12)[1] + 1


def contract_code(symbol: str, year: int, month: int) -> str:
    return f"SHFE-{symbol}-{year % 100:02d}{month:02d}"


def contract_spec(metal: Metal, year: int, month: int) -> InstrumentSpec:
    label = dt.date(year, month, 1).strftime("%b %Y")
    return InstrumentSpec(
        code=contract_code(metal.symbol, year, month),
        name_en=f"SHFE {metal.name_en} {label}",
        name_zh=f"沪{metal.name_zh}{year % 100:02d}{month:02d}",
        kind="future",
        exchange="SHFE",
        contract_month=f"{year:04d}-{month:02d}",
        currency="CNY",
        unit=metal.unit,
        vat_inclusive=True,
        source="Shanghai Futures Exchange daily settlement",
    )


def series_market(session: Session, code: str) -> SeriesMarket | None:
    """The demo's market of a series (its level, range and real-data anchor), as build.py sets
    it up for the series' evidence; None for a series the demo does not define."""
    from metalwire.demo.build import demo_series  # build imports this module

    row = session.scalar(select(PriceSeries).where(PriceSeries.code == code))
    spec = next((s for s in demo_series() if s.code == code), None)
    if row is None or spec is None:
        return None
    return SeriesMarket(
        code=row.code,
        kind=row.kind,
        unit=row.unit,
        decimals=row.decimals,
        level=Decimal(spec.level),
        spread=Decimal(spec.spread),
        min_volume=methodology_for(row.methodology).min_volume,
        anchor=anchor_for(spec.commodity, row.kind, row.unit, row.currency, row.vat_inclusive),
    )


def _with_levels(
    market: _Market, code: str, days: list[dt.date], seed: int
) -> dict[dt.date, Decimal]:
    """A series' published mids, and on a day without one (the desk late today) the level of
    the demo's price path: the exchange settles whether or not the desk has published."""
    published = market.mids(code)
    missing = [day for day in days if day not in published]
    path = series_market(market.session, code) if missing else None
    levels = daily_levels(path, missing, seed) if path else []
    out = dict(published)
    for day, level in zip(missing, levels, strict=True):
        out[day] = Decimal(repr(level))
    return out


def _shfe_rows(
    market: _Market, metal: Metal, seed: int, days: list[dt.date], contract_days: set[dt.date]
) -> tuple[list[Row], list[InstrumentSpec]]:
    spot = _with_levels(market, metal.spot, days, seed)
    premium: dict[dt.date, Decimal] | dict[dt.date, float]
    if metal.premium_series:
        premium = _with_levels(market, metal.premium_series, days, seed)
    else:
        premium = _walk(
            f"{seed}:markets:premium:{metal.symbol}",
            days,
            metal.premium_level,
            metal.premium_step,
            0.1,
        )
    rows: list[Row] = []
    specs: dict[str, InstrumentSpec] = {}
    for day in days:
        if day not in spot or day not in premium:
            continue
        loaded = _at(day, SHFE_LOADED)
        if loaded > market.now:
            continue
        over = premium[day]
        front = _half_up(
            spot[day] - (over if isinstance(over, Decimal) else Decimal(repr(over))), metal.tick
        )
        if front <= 0:
            continue
        rng = random.Random(f"{seed}:markets:shfe:{metal.symbol}:{day.isoformat()}")
        volume = int(metal.volume * math.exp(rng.gauss(0.0, 0.25)))
        interest = int(metal.open_interest * math.exp(rng.gauss(0.0, 0.05)))
        common = ("CNY", metal.unit, loaded)
        rows.append(Row(f"SHFE-{metal.symbol}-FRONT", day, front, *common, volume, interest))
        if day not in contract_days:
            continue
        for ahead in range(metal.months):
            year, month = _contract_month(day, ahead)
            spec = contract_spec(metal, year, month)
            specs[spec.code] = spec
            carry = 1.0 + metal.carry * ahead + rng.gauss(0.0, 0.0003) * (ahead > 0)
            settle = front if ahead == 0 else _half_up(float(front) * carry, metal.tick)
            share = 1.0 if ahead == 0 else 0.55**ahead
            rows.append(
                Row(
                    spec.code,
                    day,
                    settle,
                    *common,
                    max(1, int(volume * share)),
                    max(1, int(interest * (1.0 if ahead == 0 else 0.7**ahead))),
                )
            )
    return rows, list(specs.values())


def _last_on_or_before(
    table: dict[dt.date, Decimal], day: dt.date, days: int = 7
) -> Decimal | None:
    for back in range(days + 1):
        value = table.get(day - dt.timedelta(days=back))
        if value is not None:
            return value
    return None


def _lme_rows(
    market: _Market,
    symbol: str,
    shfe: dict[dt.date, Decimal],
    fx: dict[dt.date, Decimal],
    uk_days: list[dt.date],
    seed: int,
) -> list[Row]:
    """LME 3-month (and cash) so that the window's import profit follows its seeded walk."""
    landed = LME_METALS[symbol]
    definition = windows.get_definition(landed.window)
    assert definition is not None
    spot_premium = definition.inputs["spot_premium"]
    cif_premium = definition.inputs["cif_premium"]
    premiums = market.mids(spot_premium.series) if spot_premium.series else {}
    cifs = market.mids(cif_premium.series) if cif_premium.series else {}
    target = _walk(
        f"{seed}:markets:lme:{symbol}", uk_days, landed.mean, landed.step, landed.reversion
    )
    spread_mean, spread_step = CASH_SPREAD[symbol]
    spread = _walk(f"{seed}:markets:cash:{symbol}", uk_days, spread_mean, spread_step, 0.1)
    rows = []
    for day in uk_days:
        loaded = _at(day, LME_LOADED)
        if loaded > market.now:
            continue
        try:
            chosen = definition.parameter_set_on(day)
        except arbitrage.NoParameters:
            continue
        front = _last_on_or_before(shfe, day)
        rate = _last_on_or_before(fx, day)
        premium = (
            _last_on_or_before(premiums, day)
            if spot_premium.series
            else chosen.assumed_inputs["spot_premium"]
        )
        cif = (
            _last_on_or_before(cifs, day)
            if cif_premium.series
            else chosen.assumed_inputs["cif_premium"]
        )
        if front is None or rate is None or premium is None or cif is None:
            continue
        domestic = float(front + premium)
        costs = float(chosen.port_costs + chosen.other_costs)
        gross = float((1 + chosen.vat) * (1 + chosen.import_duty) * rate)
        three = _half_up((domestic - costs - target[day]) / gross - float(cif), Decimal("0.5"))
        if three <= 0:
            continue
        cash = _half_up(float(three) + spread[day], Decimal("0.5"))
        rows.append(Row(f"LME-{symbol}-3M", day, three, "USD", "mt", loaded))
        rows.append(Row(f"LME-{symbol}-CASH", day, cash, "USD", "mt", loaded))
    return rows


def _london_silver_rows(
    market: _Market, fx: dict[dt.date, Decimal], uk_days: list[dt.date], seed: int
) -> list[Row]:
    """The London silver price so that the export profit follows its seeded walk."""
    definition = windows.get_definition(LONDON_SILVER.window)
    assert definition is not None and definition.inputs["shanghai"].series
    series = get_series(market.session, definition.inputs["shanghai"].series)
    if series is None:
        return []
    shanghai = market.mids(series.code)
    target = _walk(
        f"{seed}:markets:london-silver",
        uk_days,
        LONDON_SILVER.mean,
        LONDON_SILVER.step,
        LONDON_SILVER.reversion,
    )
    rows = []
    for day in uk_days:
        loaded = _at(day, LBMA_LOADED)
        if loaded > market.now:
            continue
        try:
            chosen = definition.parameter_set_on(day)
        except arbitrage.NoParameters:
            continue
        price = _last_on_or_before(shanghai, day)
        rate = _last_on_or_before(fx, day)
        if price is None or rate is None:
            continue
        ex_vat = float(price / (1 + chosen.vat)) if series.vat_inclusive else float(price)
        costs = float(chosen.other_costs + chosen.port_costs / 1000)
        london = (ex_vat + costs + target[day]) / (float(TROY_OUNCES_PER_KG) * float(rate))
        rows.append(Row("LBMA-AG", day, _half_up(london, Decimal("0.001")), "USD", "oz", loaded))
    return rows


def _stored(session: Session, codes: list[str], start: dt.date) -> set[tuple[str, dt.date]]:
    query = (
        select(Instrument.code, MarketPrice.date)
        .join(Instrument, MarketPrice.instrument_id == Instrument.id)
        .where(Instrument.code.in_(codes), MarketPrice.date >= start)
    )
    return {(code, day) for code, day in session.execute(query)}


def _load(session: Session, rows: list[Row], folder: Path, actor: str) -> int:
    """Write the rows as import files, one per load time, and import each at its time."""
    batches: dict[dt.datetime, list[Row]] = {}
    for row in rows:
        batches.setdefault(row.loaded_at, []).append(row)
    added = 0
    for loaded_at in sorted(batches):
        path = folder / f"market-{loaded_at.strftime('%Y%m%dT%H%M')}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(MARKET_COLUMNS)
            for row in sorted(batches[loaded_at], key=lambda r: r.instrument):
                writer.writerow(
                    [
                        row.instrument,
                        row.date.isoformat(),
                        row.settle,
                        "" if row.volume is None else row.volume,
                        "" if row.open_interest is None else row.open_interest,
                        row.currency,
                        row.unit,
                    ]
                )
        count, _, _ = markets.import_market(session, path, actor=actor, now=loaded_at)
        added += count
    return added


def _real_data(session: Session, folder: Path, now: dt.datetime, actor: str) -> int:
    added = 0
    for path in write_import_files(folder / "real"):
        count, _, _ = markets.import_market(session, path, actor=actor, now=now)
        added += count
    return added


def demo_settlements(
    session: Session, *, now: dt.datetime, seed: int, days: int
) -> tuple[list[Row], list[InstrumentSpec]]:
    """Every demo settlement up to ``now`` (stored or not) and the contract months listed."""
    today = now.astimezone(SHANGHAI).date()
    start = max(today - dt.timedelta(days=days), EPOCH)
    market = _Market(session, now, start)
    cn_days = trading_days("CN", start, today)
    uk_days = trading_days("UK", start, now.astimezone(LONDON).date())
    fx = fixing(cn_days, seed)
    rows = [
        Row("USDCNY-FIX", day, rate, "CNY", "pt", _at(day, FIX_LOADED))
        for day, rate in fx.items()
        if _at(day, FIX_LOADED) <= now
    ]
    published_fx = {r.date: r.settle for r in rows}
    shfe_days = set(cn_days[-CONTRACT_DAYS:])
    specs: list[InstrumentSpec] = []
    fronts: dict[str, dict[dt.date, Decimal]] = {}
    for metal in SHFE_METALS:
        metal_rows, metal_specs = _shfe_rows(market, metal, seed, cn_days, shfe_days)
        rows.extend(metal_rows)
        specs.extend(metal_specs)
        fronts[metal.symbol] = {
            r.date: r.settle for r in metal_rows if r.instrument.endswith("-FRONT")
        }
    for symbol in LME_METALS:
        rows.extend(_lme_rows(market, symbol, fronts[symbol], published_fx, uk_days, seed))
    rows.extend(_london_silver_rows(market, published_fx, uk_days, seed))
    return rows, specs


# --- indices -------------------------------------------------------------------------------------

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
IRON_ORE_SERIES = "FE-ORE-62-CFR-QINGDAO"
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
    market: _Market, codes: Iterable[str], today: dt.date
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
    market: _Market, codes: Iterable[str], start: dt.date, end: dt.date
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
    market = _Market(session, now, max(today - dt.timedelta(days=days), EPOCH))
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


# --- the two entry points ------------------------------------------------------------------------


def build_markets(
    session: Session,
    *,
    now: dt.datetime,
    analyst: User,
    editor: User,
    seed: int = 7,
    days: int = DEFAULT_DAYS,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Market data, settlements and indices for the demo, in the caller's transaction; call it
    after the demo's prices are published. Returns summary lines."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if days < 0:
        raise ValueError("days must be >= 0")
    defined = markets.sync_instruments(session, actor=ACTOR)
    with tempfile.TemporaryDirectory(prefix="metalwire-markets-") as scratch:
        folder = Path(scratch)
        real = _real_data(session, folder, now, analyst.email)
        if progress:
            progress("market data: real World Bank and FRED data loaded")
        rows, specs = demo_settlements(session, now=now, seed=seed, days=days)
        for spec in specs:
            defined += markets.define_instrument(session, spec, actor=ACTOR)
        codes = sorted({row.instrument for row in rows})
        first = min((row.date for row in rows), default=now.date())
        stored = _stored(session, codes, first)
        new = [row for row in rows if (row.instrument, row.date) not in stored]
        added = _load(session, new, folder, analyst.email)
    if progress:
        progress("market data: demo settlements loaded")
    changed = 0
    for definition in index_definitions(session, now, days):
        _, new_index = indices.define(
            session, json.dumps(definition, ensure_ascii=False), actor=editor.email
        )
        changed += new_index
    real_index = engine.packaged_definition("real_metals_index")
    indices.define(session, real_index.model_dump_json(), actor=editor.email)
    count = len(indices.definitions(session))
    return [
        f"demo markets: {defined} instruments defined or updated, {real:,} real settlements "
        f"and {added:,} demo settlements added",
        f"demo indices: {count} defined ({changed} new); arbitrage windows: "
        f"{', '.join(w.code for w in windows.definitions())}",
    ]


# Off-grade fines for the 62% Fe assessment: (Fe, SiO2, Al2O3), % dry basis.
OFF_GRADES: tuple[tuple[str, Decimal, Decimal, Decimal], ...] = (
    ("58% Fe fines (Yandi-type)", Decimal("58.0"), Decimal("5.5"), Decimal("2.6")),
    ("61% Fe fines (Pilbara Blend-type)", Decimal("61.0"), Decimal("3.8"), Decimal("2.3")),
    ("65% Fe fines (Carajás-type)", Decimal("65.0"), Decimal("2.0"), Decimal("1.1")),
)
CARGOES = (60_000, 80_000, 90_000, 110_000, 170_000)  # dmt, at or above the 50,000 t minimum


def iron_ore_evidence(
    session: Session,
    *,
    now: dt.datetime,
    analyst: User,
    seed: int = 7,
    days: int = DEFAULT_DAYS,
) -> list[str]:
    """Deals in 58%, 61% and 65% Fe fines for the 62% Fe CFR Qingdao assessment, each with its
    value-in-use ``adjustment`` to 62% Fe; call it before the demo's assessments run."""
    row = session.scalar(select(PriceSeries).where(PriceSeries.code == IRON_ORE_SERIES))
    market = series_market(session, IRON_ORE_SERIES)
    if row is None or market is None:
        return [f"iron ore: no {IRON_ORE_SERIES} series defined"]
    family = methodology_for(row.methodology)
    today = now.astimezone(ZoneInfo(row.timezone)).date()
    dates = trading_days(row.calendar, max(today - dt.timedelta(days=days), EPOCH), today)
    names = contributors(row.code, seed)
    items: list[SubmissionIn] = []
    coefficients = (
        f"VIU Fe {DEFAULT_COEFFICIENTS.fe_viu}, SiO2 {DEFAULT_COEFFICIENTS.sio2_penalty}, "
        f"Al2O3 {DEFAULT_COEFFICIENTS.al2o3_penalty} USD/dmt per point"
    )
    for day, level in zip(dates, daily_levels(market, dates, seed), strict=True):
        rng = random.Random(f"{seed}:markets:iron-ore:{day.isoformat()}")
        cutoff = family.cutoff(scheduled_release(row, day))
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            grade, fe, sio2, al2o3 = rng.choice(OFF_GRADES)
            adjustment = adjustment_for(fe, sio2, al2o3)
            value62 = level + rng.gauss(0.0, 0.4 * float(market.spread))
            received = cutoff - dt.timedelta(seconds=rng.randint(5 * 60, 150 * 60))
            if received > now:
                continue
            items.append(
                SubmissionIn(
                    series=row.code,
                    date=day,
                    kind=SubmissionKind.DEAL,
                    price=_half_up(Decimal(repr(value62)) - adjustment, Decimal("0.01")),
                    volume=Decimal(rng.choice(CARGOES)),
                    contributor=rng.choice(names),
                    received_at=received,
                    adjustment=adjustment,
                    note=f"{grade}: Fe {fe}%, SiO2 {sio2}%, Al2O3 {al2o3}%; {coefficients}; "
                    f"adjustment to 62% Fe {adjustment:+}",
                )
            )
    ids, present = (
        add_submissions(session, items, actor=analyst.email, source="demo", now=now)
        if items
        else ([], 0)
    )
    return [
        f"iron ore: {len(ids):,} off-grade fines deals normalized to 62% Fe added "
        f"({present:,} already present)"
    ]
