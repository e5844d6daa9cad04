"""Arbitrage windows as derived series: computed when read, from stored and published inputs.

The windows are data (markets/data/arbitrage.yaml): which series or instrument gives each input
of the formula, and the parameter sets with their effective dates. ``compute`` gathers, for each
market date, the inputs as they were published at an instant (series: their released mids via
``pricing.published.published_prices``; instruments: settlements recorded by then via
``markets.service.settlement_history``), applies the pure formulas of ``markets.arbitrage`` with
the parameter set in effect that day, and returns every input (with its source, code, own date,
version), the parameters and the result, plus the stretches the window was open
(``arbitrage.windows``). Nothing computed is stored: a correction of an input moves the result
at once, and an earlier ``as_of`` reproduces exactly what was shown then.

Market dates are the dates of the domestic input (Shanghai spot for silver, SHFE front month for
base metals). Another input missing on such a date (a London holiday, a series not assessed that
day) enters at its last value within ``carry_forward_days`` calendar days, shown with its own
date; older than that, the date has no result.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from metalwire.accounts.gate import Input
from metalwire.catalog.codes import CODE_PATTERN
from metalwire.catalog.models import PriceSeries
from metalwire.catalog.service import series_by_code
from metalwire.catalog.units import plain
from metalwire.errors import ServiceError
from metalwire.markets import arbitrage
from metalwire.markets.models import Instrument
from metalwire.markets.service import get_instrument, settlement_history
from metalwire.pricing.published import published_prices

Kind = Literal["silver-export", "silver-import", "base-metal-import"]
SILVER_ROLES = ("london", "shanghai")
BASE_METAL_ROLES = ("shfe_front", "spot_premium", "lme_3m", "cif_premium")
FX_ROLE = "cny_per_usd"
# What each input must be quoted in: (currency, unit); "*" for the formula's own unit.
EXPECTED: dict[str, tuple[str, str]] = {
    "london": ("USD", "oz"),
    "shanghai": ("CNY", "kg"),
    "shfe_front": ("CNY", "mt"),
    "spot_premium": ("CNY", "mt"),
    "lme_3m": ("USD", "mt"),
    "cif_premium": ("USD", "mt"),
    FX_ROLE: ("CNY", "pt"),
}
# The role whose dates are the window's market dates.
DOMESTIC = {"silver-export": "shanghai", "silver-import": "shanghai"}


class WindowError(ServiceError):
    """A window that cannot be computed (unknown code, an input quoted in the wrong unit)."""


class InputSpec(BaseModel):
    """Where one input comes from: a series, an instrument, or the parameter set (assumed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    series: str | None = Field(default=None, pattern=CODE_PATTERN)
    instrument: str | None = Field(default=None, pattern=CODE_PATTERN)
    assumed: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> InputSpec:
        if sum((self.series is not None, self.instrument is not None, self.assumed)) != 1:
            raise ValueError("give exactly one of series, instrument or assumed: true")
        return self

    @property
    def source(self) -> Literal["series", "instrument", "assumed"]:
        if self.series is not None:
            return "series"
        return "instrument" if self.instrument is not None else "assumed"

    @property
    def code(self) -> str | None:
        return self.series or self.instrument


class ParameterSet(BaseModel):
    """One parameter set as written in the data file (validated by ArbitrageParameters)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    effective_from: dt.date
    vat: Decimal
    import_duty: Decimal
    port_costs: Decimal
    other_costs: Decimal
    fx_source: str = Field(pattern=CODE_PATTERN, description="The USD/CNY instrument")
    assumed_inputs: dict[str, Decimal] = Field(default_factory=dict)

    def parameters(self) -> arbitrage.ArbitrageParameters:
        return arbitrage.ArbitrageParameters(
            vat=self.vat,
            import_duty=self.import_duty,
            port_costs=self.port_costs,
            other_costs=self.other_costs,
            fx_source=self.fx_source,
            effective_from=self.effective_from,
        )


class WindowDefinition(BaseModel):
    """One arbitrage window: its formula, where each input comes from, its parameter sets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=CODE_PATTERN)
    kind: Kind
    metal: str
    name_en: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    unit: Literal["kg", "mt"]
    decimals: int = Field(default=2, ge=0, le=6)
    carry_forward_days: int = Field(default=5, ge=0, le=31)
    tier: Literal["free", "premium"] = "free"
    inputs: dict[str, InputSpec]
    parameters: tuple[ParameterSet, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> WindowDefinition:
        roles = BASE_METAL_ROLES if self.kind == "base-metal-import" else SILVER_ROLES
        if set(self.inputs) != set(roles):
            raise ValueError(f"inputs: a {self.kind} window takes exactly {', '.join(roles)}")
        expected_unit = "mt" if self.kind == "base-metal-import" else "kg"
        if self.unit != expected_unit:
            raise ValueError(f"unit: a {self.kind} window is in yuan/{expected_unit}")
        if self.inputs[self.domestic_role].source == "assumed":
            raise ValueError(f"inputs.{self.domestic_role}: the domestic input must be quoted")
        seen: set[dt.date] = set()
        assumed = {role for role, spec in self.inputs.items() if spec.source == "assumed"}
        for number, item in enumerate(self.parameters):
            if item.effective_from in seen:
                raise ValueError(f"parameters[{number}]: two sets take effect on the same day")
            seen.add(item.effective_from)
            item.parameters()  # the rates and costs validate
            if set(item.assumed_inputs) != assumed:
                raise ValueError(
                    f"parameters[{number}].assumed_inputs: give exactly "
                    f"{', '.join(sorted(assumed)) or 'none'}"
                )
        return self

    @property
    def domestic_role(self) -> str:
        return DOMESTIC.get(self.kind, "shfe_front")

    def parameter_set_on(self, day: dt.date) -> ParameterSet:
        """The parameter set in effect on a day (arbitrage.NoParameters before the first)."""
        chosen = arbitrage.parameters_on([p.parameters() for p in self.parameters], day)
        return next(p for p in self.parameters if p.effective_from == chosen.effective_from)

    def series_codes(self) -> list[str]:
        return [spec.series for spec in self.inputs.values() if spec.series]

    def instrument_codes(self) -> list[str]:
        codes = [spec.instrument for spec in self.inputs.values() if spec.instrument]
        return sorted({*codes, *(p.fx_source for p in self.parameters)})


class _WindowFile(BaseModel):
    windows: list[WindowDefinition]


@lru_cache(maxsize=1)
def definitions() -> tuple[WindowDefinition, ...]:
    """The packaged windows, in file order."""
    text = resources.files("metalwire.markets").joinpath("data/arbitrage.yaml").read_text("utf-8")
    found = _WindowFile.model_validate(yaml.safe_load(text)).windows
    codes = [w.code for w in found]
    if len(set(codes)) != len(codes):
        raise WindowError("arbitrage.yaml: two windows with the same code")
    return tuple(found)


def get_definition(code: str) -> WindowDefinition | None:
    return next((w for w in definitions() if w.code == code), None)


# --- reading the inputs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    """One stored value an input can take: its date, value and where it was published."""

    date: dt.date
    value: Decimal
    version: int
    reference: int | None = None  # the assessment id of a series value
    published_at: dt.datetime | None = None


@dataclass(frozen=True)
class InputValue:
    """An input as it entered a result: its value, source and the date it was quoted for."""

    role: str
    source: Literal["series", "instrument", "assumed"]
    code: str | None
    value: Decimal
    currency: str
    unit: str
    date: dt.date | None = None  # the quote's own date: before the market date if carried
    version: int | None = None
    assessment_id: int | None = None
    published_at: dt.datetime | None = None
    vat_inclusive: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "source": self.source,
            "code": self.code,
            # Settlements are stored to 6 places: shown without the padding zeros.
            "value": plain(self.value) if self.source == "instrument" else str(self.value),
            "currency": self.currency,
            "unit": self.unit,
            "date": self.date.isoformat() if self.date else None,
            "version": self.version,
            "assessment_id": self.assessment_id,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "vat_inclusive": self.vat_inclusive,
        }


Result = arbitrage.SilverExport | arbitrage.SilverImport | arbitrage.BaseMetalImport


@dataclass(frozen=True)
class WindowRow:
    """One market date: every input, the parameters in effect and the result."""

    date: dt.date
    inputs: dict[str, InputValue]
    parameters: ParameterSet
    result: Result

    @property
    def profit(self) -> Decimal:
        return self.result.profit

    @property
    def open(self) -> bool:
        return self.result.open

    def to_dict(self) -> dict[str, Any]:
        result = self.result.to_dict()
        result.pop("parameters")
        # The inputs are listed once, with their provenance, under "inputs".
        for name in (
            "london_usd_oz",
            "cny_per_usd",
            "shanghai_yuan_kg",
            "shanghai_vat_inclusive",
            "shfe_front",
            "spot_premium",
            "lme_3m_usd_mt",
            "cif_premium_usd_mt",
        ):
            result.pop(name, None)
        return {
            "date": self.date.isoformat(),
            "profit": str(self.profit),
            "open": self.open,
            "inputs": {role: value.to_dict() for role, value in self.inputs.items()},
            "parameters": parameters_dict(self.parameters),
            "result": result,
        }


def parameters_dict(item: ParameterSet) -> dict[str, Any]:
    return {
        "effective_from": item.effective_from.isoformat(),
        "vat": str(item.vat),
        "import_duty": str(item.import_duty),
        "port_costs": str(item.port_costs),
        "other_costs": str(item.other_costs),
        "fx_source": item.fx_source,
        "assumed_inputs": {role: str(value) for role, value in item.assumed_inputs.items()},
    }


@dataclass(frozen=True)
class WindowHistory:
    definition: WindowDefinition
    rows: list[WindowRow]
    windows: list[arbitrage.Window]  # stretches open, overlapping the rows' range
    missing: list[dt.date] = field(default_factory=list)  # domestic dates without a result


@dataclass(frozen=True)
class _Source:
    """One input's stored history, oldest first, with what it is quoted in."""

    spec_code: str
    source: Literal["series", "instrument"]
    currency: str
    unit: str
    vat_inclusive: bool
    quotes: list[Quote]
    dates: list[dt.date]

    def on(self, day: dt.date, carry_days: int) -> Quote | None:
        """The quote of the day, or the last one within ``carry_days`` calendar days before."""
        position = bisect_right(self.dates, day) - 1
        if position < 0:
            return None
        quote = self.quotes[position]
        if (day - quote.date).days > carry_days:
            return None
        return quote


def series_inputs(session: Session, definition: WindowDefinition) -> list[PriceSeries]:
    """The catalog series a window reads (their tiers decide who may see it). A series not
    defined (yet) has no prices: the window has no result until it is."""
    codes = definition.series_codes()
    found = series_by_code(session, codes)  # one read for all of them, groups included
    return [found[code] for code in codes if code in found]


def gate_inputs(session: Session, definition: WindowDefinition) -> list[Input]:
    """The window's series inputs as the gate weighs them: (tier, catalog group) each."""
    return [
        (series.tier.value, series.commodity.entry.group.code)
        for series in series_inputs(session, definition)
    ]


def tier_of(session: Session, definition: WindowDefinition) -> str:
    """premium when the definition says so or any series input is premium; free otherwise."""
    if definition.tier == "premium":
        return "premium"
    tiers = {s.tier.value for s in series_inputs(session, definition)}
    return "premium" if "premium" in tiers else "free"


def _check_quote(definition: WindowDefinition, role: str, currency: str, unit: str) -> None:
    want = EXPECTED[role]
    if (currency, unit) != want:
        raise WindowError(
            f"{definition.code}: input {role} must be quoted in {want[0]}/{want[1]}, "
            f"not {currency}/{unit}"
        )


def _sources(
    session: Session, definition: WindowDefinition, as_of: dt.datetime
) -> dict[str, _Source]:
    """Every series and instrument the window reads, keyed by code."""
    out: dict[str, _Source] = {}
    for series in series_inputs(session, definition):
        quotes = [
            Quote(p.market_date, p.mid, p.version, p.assessment_id, p.release_at)
            for p in published_prices(session, series, as_of=as_of)
        ]
        out[series.code] = _Source(
            series.code,
            "series",
            series.currency,
            series.unit,
            series.vat_inclusive,
            quotes,
            [q.date for q in quotes],
        )
    codes = definition.instrument_codes()
    known: dict[str, Instrument] = {}
    for code in codes:
        instrument = get_instrument(session, code)
        if instrument is not None:
            known[code] = instrument
    history = settlement_history(session, list(known), as_of=as_of)
    for code, instrument in known.items():
        quotes = [Quote(s.date, s.settle, s.version, None, s.recorded_at) for s in history[code]]
        out[code] = _Source(
            code,
            "instrument",
            instrument.currency,
            instrument.unit,
            instrument.vat_inclusive,
            quotes,
            [q.date for q in quotes],
        )
    for role, spec in definition.inputs.items():
        if spec.code is not None and spec.code in out:
            source = out[spec.code]
            _check_quote(definition, role, source.currency, source.unit)
    for item in definition.parameters:
        if item.fx_source in out:
            source = out[item.fx_source]
            _check_quote(definition, FX_ROLE, source.currency, source.unit)
    return out


def _input(role: str, source: _Source, quote: Quote) -> InputValue:
    return InputValue(
        role=role,
        source=source.source,
        code=source.spec_code,
        value=quote.value,
        currency=source.currency,
        unit=source.unit,
        date=quote.date,
        version=quote.version,
        assessment_id=quote.reference,
        published_at=quote.published_at,
        vat_inclusive=source.vat_inclusive,
    )


def _result(
    definition: WindowDefinition,
    inputs: dict[str, InputValue],
    params: arbitrage.ArbitrageParameters,
) -> Result:
    fx = inputs[FX_ROLE].value
    decimals = definition.decimals
    if definition.kind == "base-metal-import":
        return arbitrage.base_metal_import(
            inputs["shfe_front"].value,
            inputs["spot_premium"].value,
            inputs["lme_3m"].value,
            inputs["cif_premium"].value,
            fx,
            params,
            decimals=decimals,
        )
    london, shanghai = inputs["london"], inputs["shanghai"]
    formula = (
        arbitrage.silver_export if definition.kind == "silver-export" else arbitrage.silver_import
    )
    return formula(
        london.value, fx, shanghai.value, bool(shanghai.vat_inclusive), params, decimals=decimals
    )


def compute(
    session: Session,
    definition: WindowDefinition,
    *,
    as_of: dt.datetime,
    start: dt.date | None = None,
    end: dt.date | None = None,
    floor: dt.date | None = None,
) -> WindowHistory:
    """The window on every domestic market date from ``start`` to ``end`` (both included).

    ``floor`` is the earliest date the reader may see: nothing before it is computed, and the
    open/closed stretches are found from it on (so none reaches back before it). Stretches are
    listed when they overlap ``start``..``end``.
    """
    sources = _sources(session, definition, as_of)
    domestic = definition.inputs[definition.domestic_role].code
    assert domestic is not None  # the definition refuses an assumed domestic input
    if domestic not in sources:
        return WindowHistory(definition, [], [])
    carry = definition.carry_forward_days
    rows: list[WindowRow] = []
    missing: list[dt.date] = []
    for day in sources[domestic].dates:
        if floor is not None and day < floor:
            continue
        if end is not None and day > end:
            break
        try:
            chosen = definition.parameter_set_on(day)
        except arbitrage.NoParameters:
            continue
        inputs = _inputs_on(definition, sources, chosen, day, carry)
        if inputs is None:
            missing.append(day)
            continue
        try:
            result = _result(definition, inputs, chosen.parameters())
        except ValueError:  # a non-positive price: no result that day
            missing.append(day)
            continue
        rows.append(WindowRow(day, inputs, chosen, result))
    stretches = arbitrage.windows([(row.date, row.profit) for row in rows])
    if start is not None:
        rows = [row for row in rows if row.date >= start]
        stretches = [w for w in stretches if w.closed is None or w.closed >= start]
        missing = [day for day in missing if day >= start]
    if end is not None:
        stretches = [w for w in stretches if w.opened <= end]
    return WindowHistory(definition, rows, stretches, missing)


def _inputs_on(
    definition: WindowDefinition,
    sources: dict[str, _Source],
    chosen: ParameterSet,
    day: dt.date,
    carry: int,
) -> dict[str, InputValue] | None:
    """Every input of the window on ``day`` (a quote carried forward up to ``carry`` days, an
    assumed input from the parameter set in force) and the exchange rate, or None when any is
    missing."""
    inputs: dict[str, InputValue] = {}
    for role, spec in definition.inputs.items():
        if spec.assumed:
            currency, unit = EXPECTED[role]
            inputs[role] = InputValue(
                role, "assumed", None, chosen.assumed_inputs[role], currency, unit
            )
            continue
        source = sources.get(spec.code or "")
        quote = source.on(day, carry) if source else None
        if source is None or quote is None:
            return None
        inputs[role] = _input(role, source, quote)
    fx_source = sources.get(chosen.fx_source)
    fx_quote = fx_source.on(day, carry) if fx_source else None
    if fx_source is None or fx_quote is None:
        return None
    inputs[FX_ROLE] = _input(FX_ROLE, fx_source, fx_quote)
    return inputs


def latest(
    session: Session,
    definition: WindowDefinition,
    *,
    as_of: dt.datetime,
    floor: dt.date | None = None,
) -> tuple[WindowRow | None, arbitrage.Window | None]:
    """The newest result and, while the window is open, the stretch it belongs to."""
    history = compute(session, definition, as_of=as_of, floor=floor)
    if not history.rows:
        return None, None
    last = history.windows[-1] if history.windows else None
    return history.rows[-1], last if last is not None and last.closed is None else None
