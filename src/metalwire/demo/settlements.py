"""The demo's settlements: the exchanges' and the fixing's daily prices, as import rows.

``demo_settlements`` makes, for every market date up to ``now``, the rows the demo loads at their
publication time:

* ``USDCNY-FIX``: the real FRED monthly rate (as the demo's yuan prices use it) with a small
  mean-reverting daily noise, 4 decimals, loaded 09:20 Shanghai;
* SHFE continuous front months and 4-6 listed contract months (the last ``CONTRACT_DAYS`` market
  dates) for Cu, Al, Zn, Ni, Sn, Pb, Ag, loaded 15:05 Shanghai. The front month is the published
  Shanghai spot less its published spot premium (copper, silver) or less a small seeded premium
  walk (the others), rounded to the exchange's tick: spot = SHFE front + premium, as the market
  quotes it (on a day the desk has not published yet, the demo's price path stands in: the
  exchange settles regardless). Later months add a carry per month;
* LME 3-month and cash for Cu, Zn, Ni (loaded 17:35 London) and the London silver price (12:05
  London), set so that the import (or export) profit of each arbitrage window follows a seeded
  mean-reverting walk around a small loss: the windows open and close as real ones do, while
  the London prices stay at the level of the real World Bank path the demo's Shanghai prices
  follow.

Deterministic: every draw comes from a ``random.Random`` seeded with the seed and what is drawn
for, never the global generator.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from metalwire.catalog.calendars import CalendarError, get_calendar
from metalwire.catalog.service import get_series
from metalwire.catalog.units import TROY_OUNCES_PER_KG
from metalwire.demo.anchors import fx_curve
from metalwire.demo.prices import EPOCH, daily_levels
from metalwire.demo.series import series_market
from metalwire.markets import arbitrage, windows
from metalwire.markets.service import InstrumentSpec
from metalwire.pricing.published import PublishedPrice, published_prices

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


def half_up(value: float | Decimal, step: Decimal) -> Decimal:
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
    """A calendar's trading days; outside the years its data covers, Monday to Friday (as
    release_state reads it)."""
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


class PublishedMids:
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
        day: half_up(curve.at(day) * math.exp(wobble), Decimal("0.0001"))
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


def _with_levels(
    market: PublishedMids, code: str, days: list[dt.date], seed: int
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
    market: PublishedMids, metal: Metal, seed: int, days: list[dt.date], contract_days: set[dt.date]
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
        front = half_up(
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
            settle = front if ahead == 0 else half_up(float(front) * carry, metal.tick)
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


def _window_days(
    market: PublishedMids,
    definition: windows.WindowDefinition,
    days: list[dt.date],
    loaded_at: tuple[dt.time, ZoneInfo],
) -> Iterator[tuple[dt.date, dt.datetime, windows.ParameterSet]]:
    """The days whose settlement is loaded by ``market.now``, with the window's parameters in
    force that day: a day before the window's first parameter set has no profit to follow."""
    for day in days:
        loaded = _at(day, loaded_at)
        if loaded > market.now:
            continue
        try:
            chosen = definition.parameter_set_on(day)
        except arbitrage.NoParameters:
            continue
        yield day, loaded, chosen


def _lme_rows(
    market: PublishedMids,
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
    for day, loaded, chosen in _window_days(market, definition, uk_days, LME_LOADED):
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
        three = half_up((domestic - costs - target[day]) / gross - float(cif), Decimal("0.5"))
        if three <= 0:
            continue
        cash = half_up(float(three) + spread[day], Decimal("0.5"))
        rows.append(Row(f"LME-{symbol}-3M", day, three, "USD", "mt", loaded))
        rows.append(Row(f"LME-{symbol}-CASH", day, cash, "USD", "mt", loaded))
    return rows


def _london_silver_rows(
    market: PublishedMids, fx: dict[dt.date, Decimal], uk_days: list[dt.date], seed: int
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
    for day, loaded, chosen in _window_days(market, definition, uk_days, LBMA_LOADED):
        price = _last_on_or_before(shanghai, day)
        rate = _last_on_or_before(fx, day)
        if price is None or rate is None:
            continue
        ex_vat = float(price / (1 + chosen.vat)) if series.vat_inclusive else float(price)
        costs = float(chosen.other_costs + chosen.port_costs / 1000)
        london = (ex_vat + costs + target[day]) / (float(TROY_OUNCES_PER_KG) * float(rate))
        rows.append(Row("LBMA-AG", day, half_up(london, Decimal("0.001")), "USD", "oz", loaded))
    return rows


def demo_settlements(
    session: Session, *, now: dt.datetime, seed: int, days: int
) -> tuple[list[Row], list[InstrumentSpec]]:
    """Every demo settlement up to ``now`` (stored or not) and the contract months listed."""
    today = now.astimezone(SHANGHAI).date()
    start = max(today - dt.timedelta(days=days), EPOCH)
    market = PublishedMids(session, now, start)
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
