"""Import and export arbitrage between Shanghai and London, with the parameters that priced it.

Pure code: no database, no web. Each calculation returns every input, the parameters in effect,
the intermediate values and the profit, so a published arbitrage figure can be explained and
recomputed (METHODS.md, "Arbitrage"):

* Base-metal import (Fastmarkets' published copper formula)::

      domestic    = SHFE front-month + local spot premium                       (yuan/mt)
      import cost = (LME 3-month + CIF Shanghai premium) × (1 + VAT) × (1 + duty) × USD/CNY
                    + port costs + other costs                                   (yuan/mt)
      profit      = domestic − import cost

  SHFE prices include VAT, so both sides are VAT-inclusive. Duty: zinc 1%, nickel 2%, copper
  and aluminium none (``DEFAULT_DUTIES``). The formula's 13% VAT is levied on the duty-paid
  value; the order of the two factors does not change the product.
* Silver export (buy in Shanghai, sell in London)::

      London      = London (USD/oz) × 32.1507466 oz/kg × USD/CNY                 (yuan/kg)
      Shanghai    = Shanghai spot ex-VAT: ÷ (1 + VAT) when the quote includes VAT
      profit      = London − Shanghai − costs

  Exported metal is valued ex-VAT: a cargo leaving China carries no Chinese VAT.
* Silver import (buy in London, sell in Shanghai)::

      domestic    = Shanghai spot VAT-inclusive: × (1 + VAT) when quoted ex-VAT  (yuan/kg)
      import cost = London (USD/oz) × 32.1507466 × USD/CNY × (1 + VAT) × (1 + duty) + costs
      profit      = domestic − import cost

  Imported metal is sold in China with VAT, so both sides are VAT-inclusive. Whether a Shanghai
  silver quote includes VAT differs by source (SHFE does; sources disagree on SGE), so the
  caller passes the flag of the price source.

Choices the methodology documents:

* Parameters are data with an effective date (``ArbitrageParameters``); ``parameters_on``
  picks the set in effect on a day, so a change of duty or costs never rewrites history.
* Rates are fractions (0.13 is 13%). ``port_costs`` are yuan per metric ton; ``other_costs`` are
  yuan per unit of the domestic quote (yuan/mt for base metals, yuan/kg for silver: freight,
  insurance, financing). For silver, port costs are converted to yuan/kg (÷ 1,000) and added to
  the other costs. Costs are not grossed up by VAT or duty.
* Everything is exact decimal arithmetic in a private 50-digit context; each figure shown (the
  intermediates and the profit) is rounded half-up to ``decimals`` once, from its exact value,
  so the shown intermediates may miss the shown profit by a last-digit rounding (a value that
  rounds to zero is shown as 0, never -0). ``open`` is the shown profit above zero: a window
  shown at 0.00 is closed.
* A window (``windows``) opens on the first quoted day with profit above zero and closes on the
  first quoted day after it with profit at or below zero; ``days`` counts the quoted days it
  was open, so weekends and holidays between quotes do not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from metalwire.catalog.units import EXACT, TROY_OUNCES_PER_KG, round_signed
from metalwire.records import JsonRecord

_ZERO = Decimal(0)
_ONE = Decimal(1)
KG_PER_MT = Decimal(1000)

VAT = Decimal("0.13")  # China's VAT on metals since April 2019
PORT_COSTS = Decimal(200)  # yuan/mt, Fastmarkets' copper import formula
FX_SOURCE = "Bank of China selling rate, about 15:00 Shanghai"
# China's import duty on refined metal, as fractions of the CIF value.
DEFAULT_DUTIES: dict[str, Decimal] = {
    "copper": Decimal(0),
    "aluminium": Decimal(0),
    "zinc": Decimal("0.01"),
    "nickel": Decimal("0.02"),
}


class NoParameters(LookupError):
    """No parameter set is in effect on the day asked for."""


@dataclass(frozen=True, slots=True)
class ArbitrageParameters(JsonRecord):
    """The rates and costs of one arbitrage, in effect from ``effective_from`` on."""

    vat: Decimal  # fraction: 0.13 is 13%
    import_duty: Decimal  # fraction of the CIF value
    port_costs: Decimal  # yuan/mt
    other_costs: Decimal  # yuan per unit of the domestic quote (mt or kg)
    fx_source: str  # where the USD/CNY rate comes from; recorded, not used
    effective_from: date

    def __post_init__(self) -> None:
        for name in ("vat", "import_duty"):
            rate = getattr(self, name)
            if not 0 <= rate < 1:
                raise ValueError(
                    f"{name} is a fraction from 0 to below 1 (0.13 for 13%), not {rate}"
                )
        for name in ("port_costs", "other_costs"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if not self.fx_source.strip():
            raise ValueError("fx_source must name the FX rate's source")


def base_metal_parameters(
    metal: str, effective_from: date, *, fx_source: str = FX_SOURCE
) -> ArbitrageParameters:
    """The published formula's parameters for a base metal: 13% VAT, its duty, 200 yuan/t."""
    if metal not in DEFAULT_DUTIES:
        raise KeyError(f"no default duty for {metal!r}; known: {', '.join(DEFAULT_DUTIES)}")
    return ArbitrageParameters(
        vat=VAT,
        import_duty=DEFAULT_DUTIES[metal],
        port_costs=PORT_COSTS,
        other_costs=_ZERO,
        fx_source=fx_source,
        effective_from=effective_from,
    )


def parameters_on(history: Sequence[ArbitrageParameters], day: date) -> ArbitrageParameters:
    """The parameter set in effect on a day: the latest ``effective_from`` on or before it."""
    in_effect: ArbitrageParameters | None = None
    seen: set[date] = set()
    for parameters in history:
        if parameters.effective_from in seen:
            raise ValueError(f"two parameter sets take effect on {parameters.effective_from}")
        seen.add(parameters.effective_from)
        if parameters.effective_from <= day and (
            in_effect is None or parameters.effective_from > in_effect.effective_from
        ):
            in_effect = parameters
    if in_effect is None:
        first = min(seen, default=None)
        since = f"; the first takes effect on {first}" if first else ""
        raise NoParameters(f"no arbitrage parameters in effect on {day}{since}")
    return in_effect


@dataclass(frozen=True, slots=True)
class _SilverTrade(JsonRecord):
    """What both silver trades record first: the two quotes, the rate, the parameters and the
    London leg in yuan/kg (the fields of ``to_dict`` follow in this order)."""

    london_usd_oz: Decimal
    cny_per_usd: Decimal
    shanghai_yuan_kg: Decimal
    shanghai_vat_inclusive: bool
    parameters: ArbitrageParameters
    london_yuan_kg: Decimal  # London × 32.1507466 × USD/CNY, before VAT and duty


@dataclass(frozen=True, slots=True)
class SilverExport(_SilverTrade):
    """Silver export arbitrage (buy in Shanghai, sell in London), yuan/kg."""

    shanghai_ex_vat: Decimal
    costs: Decimal  # yuan/kg
    profit: Decimal  # yuan/kg
    open: bool
    decimals: int


@dataclass(frozen=True, slots=True)
class SilverImport(_SilverTrade):
    """Silver import arbitrage (buy in London, sell in Shanghai), yuan/kg, VAT-inclusive."""

    domestic: Decimal  # Shanghai spot VAT-inclusive
    import_cost: Decimal  # London in yuan × (1 + VAT) × (1 + duty) + costs
    costs: Decimal  # yuan/kg
    profit: Decimal  # yuan/kg
    open: bool
    decimals: int


@dataclass(frozen=True, slots=True)
class BaseMetalImport(JsonRecord):
    """Base-metal import arbitrage (LME + CIF premium landed in Shanghai vs SHFE), yuan/mt."""

    shfe_front: Decimal  # yuan/mt, VAT-inclusive
    spot_premium: Decimal  # yuan/mt over SHFE front-month (negative: a discount)
    lme_3m_usd_mt: Decimal
    cif_premium_usd_mt: Decimal
    cny_per_usd: Decimal
    parameters: ArbitrageParameters
    domestic: Decimal  # SHFE front + spot premium
    landed_usd_mt: Decimal  # LME 3-month + CIF Shanghai premium
    import_cost: Decimal  # landed × (1 + VAT) × (1 + duty) × USD/CNY + port + other costs
    profit: Decimal  # yuan/mt
    open: bool
    decimals: int


def silver_export(
    london_usd_oz: Decimal,
    cny_per_usd: Decimal,
    shanghai_yuan_kg: Decimal,
    shanghai_vat_inclusive: bool,
    params: ArbitrageParameters,
    *,
    decimals: int = 2,
) -> SilverExport:
    """Profit of buying silver in Shanghai and selling it in London, yuan/kg."""
    with localcontext(EXACT):
        london, costs = _silver_legs(london_usd_oz, cny_per_usd, shanghai_yuan_kg, params)
        shanghai = (
            shanghai_yuan_kg / (_ONE + params.vat) if shanghai_vat_inclusive else shanghai_yuan_kg
        )
        profit = round_signed(london - shanghai - costs, decimals)
        return SilverExport(
            london_usd_oz=london_usd_oz,
            cny_per_usd=cny_per_usd,
            shanghai_yuan_kg=shanghai_yuan_kg,
            shanghai_vat_inclusive=shanghai_vat_inclusive,
            parameters=params,
            london_yuan_kg=round_signed(london, decimals),
            shanghai_ex_vat=round_signed(shanghai, decimals),
            costs=round_signed(costs, decimals),
            profit=profit,
            open=profit > 0,
            decimals=decimals,
        )


def silver_import(
    london_usd_oz: Decimal,
    cny_per_usd: Decimal,
    shanghai_yuan_kg: Decimal,
    shanghai_vat_inclusive: bool,
    params: ArbitrageParameters,
    *,
    decimals: int = 2,
) -> SilverImport:
    """Profit of buying silver in London and selling it in Shanghai, yuan/kg VAT-inclusive."""
    with localcontext(EXACT):
        london, costs = _silver_legs(london_usd_oz, cny_per_usd, shanghai_yuan_kg, params)
        domestic = (
            shanghai_yuan_kg if shanghai_vat_inclusive else shanghai_yuan_kg * (_ONE + params.vat)
        )
        import_cost = _duty_paid(london, params) + costs
        profit = round_signed(domestic - import_cost, decimals)
        return SilverImport(
            london_usd_oz=london_usd_oz,
            cny_per_usd=cny_per_usd,
            shanghai_yuan_kg=shanghai_yuan_kg,
            shanghai_vat_inclusive=shanghai_vat_inclusive,
            parameters=params,
            london_yuan_kg=round_signed(london, decimals),
            domestic=round_signed(domestic, decimals),
            import_cost=round_signed(import_cost, decimals),
            costs=round_signed(costs, decimals),
            profit=profit,
            open=profit > 0,
            decimals=decimals,
        )


def base_metal_import(
    shfe_front: Decimal,
    spot_premium: Decimal,
    lme_3m_usd_mt: Decimal,
    cif_premium_usd_mt: Decimal,
    cny_per_usd: Decimal,
    params: ArbitrageParameters,
    *,
    decimals: int = 2,
) -> BaseMetalImport:
    """Import profit of a base metal, yuan/mt: SHFE + spot premium vs LME + CIF landed."""
    _positive(shfe_front=shfe_front, lme_3m_usd_mt=lme_3m_usd_mt, cny_per_usd=cny_per_usd)
    with localcontext(EXACT):
        domestic = shfe_front + spot_premium
        landed = lme_3m_usd_mt + cif_premium_usd_mt
        import_cost = (
            _duty_paid(landed, params) * cny_per_usd + params.port_costs + params.other_costs
        )
        profit = round_signed(domestic - import_cost, decimals)
        return BaseMetalImport(
            shfe_front=shfe_front,
            spot_premium=spot_premium,
            lme_3m_usd_mt=lme_3m_usd_mt,
            cif_premium_usd_mt=cif_premium_usd_mt,
            cny_per_usd=cny_per_usd,
            parameters=params,
            domestic=round_signed(domestic, decimals),
            landed_usd_mt=round_signed(landed, decimals),
            import_cost=round_signed(import_cost, decimals),
            profit=profit,
            open=profit > 0,
            decimals=decimals,
        )


@dataclass(frozen=True, slots=True)
class Window(JsonRecord):
    """A stretch of quoted days with the arbitrage profitable."""

    opened: date  # first quoted day with profit > 0
    closed: date | None  # first quoted day after it with profit <= 0; None while still open
    days: int  # quoted days open
    peak_profit: Decimal
    peak_on: date  # first day of the peak


def windows(series: Sequence[tuple[date, Decimal]]) -> list[Window]:
    """When the window opened and closed, from a series of (day, profit) in any order."""
    ordered = sorted(series, key=lambda quote: quote[0])
    found: list[Window] = []
    opened: date | None = None
    days = 0
    peak = _ZERO
    peak_on: date | None = None
    previous: date | None = None
    for day, profit in ordered:
        if day == previous:
            raise ValueError(f"two profits on {day}")
        previous = day
        if profit > 0:
            if opened is None:
                opened, days, peak, peak_on = day, 0, profit, day
            days += 1
            if profit > peak:
                peak, peak_on = profit, day
        elif opened is not None:
            assert peak_on is not None
            found.append(Window(opened, day, days, peak, peak_on))
            opened = None
    if opened is not None:
        assert peak_on is not None
        found.append(Window(opened, None, days, peak, peak_on))
    return found


def _silver_legs(
    london_usd_oz: Decimal,
    cny_per_usd: Decimal,
    shanghai_yuan_kg: Decimal,
    params: ArbitrageParameters,
) -> tuple[Decimal, Decimal]:
    """What both silver trades price alike, exact: London in yuan/kg before VAT and duty, and
    the costs per kg. Refuses a quote or rate that is not positive."""
    _positive(london_usd_oz=london_usd_oz, cny_per_usd=cny_per_usd, shanghai=shanghai_yuan_kg)
    london = london_usd_oz * TROY_OUNCES_PER_KG * cny_per_usd
    return london, params.other_costs + params.port_costs / KG_PER_MT


def _duty_paid(landed: Decimal, params: ArbitrageParameters) -> Decimal:
    """An imported cargo's value with VAT and duty, in the currency it was landed in."""
    return landed * (_ONE + params.vat) * (_ONE + params.import_duty)


def _positive(**values: Decimal) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be positive, not {value}")
