"""The index engine: an index definition and its constituents' prices in, index values out.

Pure code: no database, no web. A composite index is computed from its constituents, never
assessed (METHODS.md, "Composite indices"; the World Bank Pink Sheet indices are built the same
way):

    fixed-weight Laspeyres   I_t = base_value × Σ w_i · (p_i,t / p_i,0),   Σ w_i = 1

where p_i,0 is constituent i's average over the base period. When the weights change the index is
chain-linked so that the level does not jump.

Choices the methodology documents:

* Weights are normalized: w_i = weight_i / Σ weight, so a definition may give them in any scale
  (percent, tonnes, USD bn).
* p_i,0 is the mean of the constituent's own prices dated within the base period, both ends
  included, whatever the index dates are; a constituent without one is an error naming it.
* Index dates and missing prices (carry-forward): the index is computed on every date on which at
  least one constituent has a price, provided every other constituent has a price of its own
  within the previous ``carry_forward_days`` calendar days (5 unless the definition says
  otherwise); a constituent missing on the date enters at that last price. Constituents on
  different calendars (Shanghai and London holidays) so still combine, while a constituent that
  has stopped trading for longer stops the index instead of freezing in it: a date on which some
  constituent's last price is older than that (or that comes before its first price) has no
  index value. ``constituents_used`` counts the constituents priced on the date itself,
  ``carried_forward`` names the others with the date of the price used.
* Chain-linking (formula ``chain-laspeyres``): a reweight's weights take effect from its date.
  The link date L is the first index date on or after it; the index on L is still computed with
  the old weights, and from L on

      I_t = I_L × Σ w_new,i · (p_i,t / p_i,L)

  so the index is continuous at L and the move from L to the next date is the first one driven
  by the new weights. This is the chain formula I_t = I_t−1 · Σ w_i,t−1 · (p_i,t / p_i,t−1) of
  METHODS.md with w_i,t−1 read as each constituent's share of the index on t−1 (its weight
  updated by its price since the last link), which is what keeps a fixed basket between links.
  A reweight restates the whole basket (a weight for every constituent) and must fall after the
  base period; the ``laspeyres`` formula takes no reweights. When several reweights fall on or
  before the same index date, the last of them applies.
* Rounding: the value is rounded half-up to the definition's ``decimals`` once, at the end.
  A constituent's contribution is its part of the value in index points, c_i,t = I_t × (its
  share of the index); the exact contributions add up to the exact value, and they are published
  rounded by largest remainder (each rounded down, then the shortfall to the published value
  given one step at a time to the largest remainders, ties to the constituent listed first), so
  the published contributions add up exactly to the published value.
* Arithmetic is decimal in a private 50-digit context, never binary floats. Sums of prices are
  exact; the one division per constituent at the base and at each link, and the products with
  its result, round at the 50th significant digit, some 40 digits below an index point's 0.01.

How it stays fast (20 years of daily values of a 50-constituent index well within a second): the
weight, the base average and the level of the last link fold into one factor per constituent,
f_i = I_L × w_i / p_i,L (at the base I_L = base_value, p_i,L = p_i,0), computed once per segment,
so each date costs one multiplication and one addition per constituent: c_i,t = f_i × p_i,t and
I_t = Σ c_i,t.
"""

from __future__ import annotations

import datetime as dt
import json
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import (
    ROUND_FLOOR,
    Decimal,
    InvalidOperation,
    localcontext,
)
from enum import StrEnum
from importlib import resources
from itertools import compress
from operator import mul, not_, sub
from typing import Annotated, Any, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from metalwire.catalog.codes import CODE_PATTERN
from metalwire.catalog.units import EXACT, round_price
from metalwire.errors import InvalidInput
from metalwire.tabular import Bounded, Window

_ZERO = Decimal(0)

# Long enough to bridge a weekend plus a public holiday on one market (UK Easter, CN Qingming);
# Chinese New Year and Golden Week stop a mixed CN/UK index rather than freeze its CN prices.
CARRY_FORWARD_DAYS = 5

# What a definition may hold (docs/api.md, "Markets"): weights in any scale up to a
# price's magnitude, a base value up to a million points, both to the stored scale; base and
# reweight dates in the market-date window; a basket of at most MAX_CONSTITUENTS.
WEIGHT_LIMIT = Decimal("1e12")
BASE_VALUE_LIMIT = Decimal("1e6")
MAX_CONSTITUENTS = 100
MAX_REWEIGHTS = 100
Weight = Annotated[Decimal, Field(gt=0), Bounded(WEIGHT_LIMIT, sign="positive")]
BaseValue = Annotated[Decimal, Field(gt=0), Bounded(BASE_VALUE_LIMIT, sign="positive")]
Day = Annotated[dt.date, Window()]


class DefinitionError(InvalidInput):
    """An index definition that cannot be read or does not validate; names the field."""


class IndexDataError(InvalidInput):
    """Prices that cannot make the index: a constituent without prices, a bad price."""


class Formula(StrEnum):
    LASPEYRES = "laspeyres"
    CHAIN_LASPEYRES = "chain-laspeyres"


class BasePeriod(BaseModel):
    """The period whose average price of each constituent equals the base value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: Day
    end: Day

    @model_validator(mode="after")
    def _ordered(self) -> BasePeriod:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Constituent(BaseModel):
    """One constituent: a metalwire series or an outside instrument, and its weight."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    series: str | None = Field(default=None, pattern=CODE_PATTERN)
    instrument: str | None = Field(default=None, pattern=CODE_PATTERN)
    weight: Weight

    @model_validator(mode="after")
    def _one_code(self) -> Constituent:
        if (self.series is None) == (self.instrument is None):
            raise ValueError("give exactly one of series or instrument")
        return self

    @property
    def code(self) -> str:
        """The code prices are keyed by: the series or the instrument."""
        code = self.series if self.series is not None else self.instrument
        assert code is not None  # the validator insists on one of them
        return code


class Reweight(BaseModel):
    """New weights for every constituent, effective from ``date`` (chain-laspeyres)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: Day
    weights: dict[str, Weight] = Field(max_length=MAX_CONSTITUENTS)

    @field_validator("weights")
    @classmethod
    def _not_empty(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if not value:
            raise ValueError("a reweight needs a weight for every constituent")
        return value


class IndexDefinition(BaseModel):
    """Everything that defines a composite index; the same shape in YAML, JSON and code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=300)
    name_zh: str | None = Field(default=None, max_length=300)
    base_value: BaseValue
    base_period: BasePeriod
    formula: Formula
    constituents: tuple[Constituent, ...] = Field(min_length=1, max_length=MAX_CONSTITUENTS)
    reweights: tuple[Reweight, ...] = Field(default=(), max_length=MAX_REWEIGHTS)
    decimals: int = Field(default=2, ge=0, le=6)
    carry_forward_days: int = Field(default=CARRY_FORWARD_DAYS, ge=0, le=31)
    methodology: str = Field(default="", max_length=20_000)

    @model_validator(mode="after")
    def _consistent(self) -> IndexDefinition:
        codes: set[str] = set()
        for number, constituent in enumerate(self.constituents):
            if constituent.code in codes:
                raise ValueError(
                    f"constituents[{number}]: duplicate constituent {constituent.code!r}"
                )
            codes.add(constituent.code)
        if self.reweights and self.formula is Formula.LASPEYRES:
            raise ValueError(
                "reweights: a fixed-weight laspeyres index is never reweighted; "
                "use formula chain-laspeyres"
            )
        previous: dt.date | None = None
        for number, reweight in enumerate(self.reweights):
            where = f"reweights[{number}]"
            if reweight.date <= self.base_period.end:
                raise ValueError(
                    f"{where}.date: {reweight.date} is not after the base period "
                    f"(ends {self.base_period.end})"
                )
            if previous is not None and reweight.date <= previous:
                raise ValueError(
                    f"{where}.date: {reweight.date} is not after the previous reweight {previous}"
                )
            previous = reweight.date
            unknown = sorted(set(reweight.weights) - codes)
            if unknown:
                names = ", ".join(repr(code) for code in unknown)
                raise ValueError(f"{where}.weights: {names} not among the constituents")
            missing = [c.code for c in self.constituents if c.code not in reweight.weights]
            if missing:
                names = ", ".join(repr(code) for code in missing)
                raise ValueError(f"{where}.weights: no weight for {names}")
        return self

    @property
    def codes(self) -> tuple[str, ...]:
        """Constituent codes in definition order."""
        return tuple(constituent.code for constituent in self.constituents)


def parse_definition(text: str) -> IndexDefinition:
    """An index definition from YAML or JSON text; DefinitionError names what is wrong."""
    try:
        return IndexDefinition.model_validate(definition_fields(text))
    except ValidationError as error:
        raise DefinitionError(_describe(error)) from error


def definition_fields(text: str) -> dict[str, Any]:
    """The fields of a definition as written in YAML or JSON, not yet validated;
    DefinitionError when the text is no mapping of fields."""
    raw: Any = None
    parsed = False
    if text.lstrip().startswith("{"):
        try:
            # Decimals straight from the JSON text: a float would round 0.1 before we see it.
            raw = json.loads(text, parse_float=Decimal)
            parsed = True
        except json.JSONDecodeError:
            pass  # perhaps YAML in flow style: {code: MW-X, ...}
    if not parsed:
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise DefinitionError(f"not a valid YAML or JSON index definition: {error}") from error
    if not isinstance(raw, dict):
        raise DefinitionError("an index definition is a mapping of fields (code, name, ...)")
    return raw


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def packaged_definition(name: str) -> IndexDefinition:
    """An index definition shipped with metalwire, by file name without ``.yaml``."""
    source = resources.files("metalwire.indices").joinpath(f"data/{name}.yaml")
    if not source.is_file():
        raise DefinitionError(f"no packaged index definition {name!r}")
    return parse_definition(source.read_text("utf-8"))


def weights_on(definition: IndexDefinition, day: dt.date) -> dict[str, Decimal]:
    """The normalized weights (summing to 1) in effect on a day, by constituent code."""
    raw = {constituent.code: constituent.weight for constituent in definition.constituents}
    for reweight in definition.reweights:
        if reweight.date <= day:
            raw = dict(reweight.weights)
    with localcontext(EXACT):
        total = sum(raw.values(), _ZERO)
        return {code: raw[code] / total for code in definition.codes}


def base_sums(
    definition: IndexDefinition, prices: Mapping[str, Sequence[tuple[dt.date, Decimal]]]
) -> dict[str, tuple[Decimal, int]]:
    """Each constituent's (sum, count) of its prices dated in the base period, both ends
    included: p_i,0 = sum / count, exactly the base average ``compute`` divides by."""
    base = definition.base_period
    out: dict[str, tuple[Decimal, int]] = {}
    with localcontext(EXACT):
        for code in definition.codes:
            inside = [p for day, p in prices.get(code, ()) if base.start <= day <= base.end]
            out[code] = (sum(inside, _ZERO), len(inside))
    return out


@dataclass(frozen=True, slots=True)
class IndexPoint:
    """One index value with its constituents' contributions, both in index points."""

    date: dt.date
    value: Decimal
    contributions: dict[str, Decimal]  # by constituent code; they add up to ``value``
    constituents_used: int  # constituents priced on ``date`` itself
    carried_forward: dict[str, dt.date] = field(default_factory=dict)  # code -> date of price

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: decimals as strings (never floats), dates in ISO form."""
        return {
            "date": self.date.isoformat(),
            "value": str(self.value),
            "contributions": {code: str(part) for code, part in self.contributions.items()},
            "constituents_used": self.constituents_used,
            "carried_forward": {
                code: day.isoformat() for code, day in self.carried_forward.items()
            },
        }


def compute(
    definition: IndexDefinition,
    prices: Mapping[str, Sequence[tuple[dt.date, Decimal]]],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[IndexPoint]:
    """The index on every index date from ``start`` to ``end`` (both included, open if None).

    ``prices`` maps each constituent's code to its (date, price) pairs in any order; codes that
    are not constituents are ignored. Prices before ``start`` still count: they make the base
    average, the links and the prices carried forward into the first dates.
    """
    if start is not None and end is not None and end < start:
        raise ValueError(f"end {end} is before start {start}")
    with localcontext(EXACT):
        return _compute(definition, prices, start, end)


def _compute(
    definition: IndexDefinition,
    prices: Mapping[str, Sequence[tuple[dt.date, Decimal]]],
    start: dt.date | None,
    end: dt.date | None,
) -> list[IndexPoint]:
    codes = definition.codes
    count = len(codes)
    tables = [_table(code, prices) for code in codes]

    days = sorted(set().union(*tables))
    factors = _base_factors(definition, tables, days)
    links = [
        (reweight.date, [reweight.weights[code] for code in codes])
        for reweight in definition.reweights
    ]
    next_link = 0
    decimals = definition.decimals
    step = Decimal(1).scaleb(-decimals)
    carry_days = definition.carry_forward_days

    if end is not None:
        days = days[: bisect_right(days, end)]
    # Aligned columns, transposed to one row of prices per date, all at C speed.
    columns = [list(map(table.get, days)) for table in tables]
    points: list[IndexPoint] = []
    for position, (day, quoted) in enumerate(zip(days, zip(*columns, strict=True), strict=True)):
        carried: dict[str, dt.date] = {}
        # Prices are positive, so only a missing one is falsy; `None in` would compare every
        # Decimal with None, which is slow.
        if not all(quoted):
            filled = _carry_forward(quoted, position, days, columns, carry_days, codes, carried)
            if filled is None:
                continue
            row: Sequence[Decimal] = filled
        else:
            row = cast(tuple[Decimal, ...], quoted)

        link_level: Decimal | None = None
        if next_link < len(links) and day >= links[next_link][0]:
            factors, link_level, next_link = _chain_link(factors, row, links, next_link, day)
        if start is not None and day < start:
            continue

        parts = list(map(mul, factors, row))
        # On a link date the published level is the old basket's: continuous by construction.
        value = round_price(sum(parts, _ZERO) if link_level is None else link_level, decimals)
        points.append(
            IndexPoint(
                date=day,
                value=value,
                contributions=dict(zip(codes, _apportion(parts, value, step), strict=True)),
                constituents_used=count - len(carried),
                carried_forward=carried,
            )
        )
    return points


def _base_factors(
    definition: IndexDefinition, tables: Sequence[Mapping[dt.date, Decimal]], days: list[dt.date]
) -> list[Decimal]:
    """Each constituent's factor at the base: its weight's share of the base value over its
    average price in the base period."""
    base = definition.base_period
    in_base = days[bisect_left(days, base.start) : bisect_right(days, base.end)]
    weights = [constituent.weight for constituent in definition.constituents]
    total_weight = sum(weights, _ZERO)
    factors: list[Decimal] = []
    for code, table, weight in zip(definition.codes, tables, weights, strict=True):
        base_prices = list(filter(None, map(table.get, in_base)))
        if not base_prices:
            raise IndexDataError(
                f"constituent {code!r} has no prices in the base period {base.start}..{base.end}"
            )
        # base_value × (weight / Σ weight) / (Σ base prices / n): one division, one rounding.
        factors.append(
            definition.base_value
            * weight
            * len(base_prices)
            / (total_weight * sum(base_prices, _ZERO))
        )
    return factors


def _chain_link(
    factors: list[Decimal],
    row: Sequence[Decimal],
    links: list[tuple[dt.date, list[Decimal]]],
    next_link: int,
    day: dt.date,
) -> tuple[list[Decimal], Decimal, int]:
    """A reweight due on ``day``: the new basket's factors, the level the old basket gives today
    (the level the new one starts from) and the next reweight's position."""
    link_level = sum(map(mul, factors, row), _ZERO)
    new_weights = links[next_link][1]
    next_link += 1
    while next_link < len(links) and day >= links[next_link][0]:
        new_weights = links[next_link][1]  # a later reweight before the same date wins
        next_link += 1
    new_total = sum(new_weights, _ZERO)
    factors = [
        link_level * weight / (new_total * price)
        for weight, price in zip(new_weights, row, strict=True)
    ]
    return factors, link_level, next_link


def _carry_forward(
    quoted: tuple[Decimal | None, ...],
    position: int,
    days: list[dt.date],
    columns: list[list[Decimal | None]],
    carry_days: int,
    codes: tuple[str, ...],
    carried: dict[str, dt.date],
) -> list[Decimal] | None:
    """The date's prices with each missing one carried forward, or None if one is too old.

    Fills ``carried`` with the code and date of every price carried forward.
    """
    day = days[position]
    oldest = day - dt.timedelta(days=carry_days)
    row = list(quoted)
    for missing in compress(range(len(quoted)), map(not_, quoted)):
        # Walk back through this constituent's column: a price carried over several dates is
        # found at its own date, so the window counts from when it was quoted.
        back = position - 1
        column = columns[missing]
        while back >= 0 and days[back] >= oldest and column[back] is None:
            back -= 1
        if back < 0 or days[back] < oldest:
            return None
        row[missing] = column[back]
        carried[codes[missing]] = days[back]
    return cast(list[Decimal], row)


def _table(
    code: str, prices: Mapping[str, Sequence[tuple[dt.date, Decimal]]]
) -> dict[dt.date, Decimal]:
    if code not in prices:
        raise IndexDataError(f"no prices given for constituent {code!r}")
    quotes = prices[code]
    table = dict(quotes)
    if len(table) != len(quotes):
        seen: set[dt.date] = set()
        for day, _ in quotes:
            if day in seen:
                raise IndexDataError(f"constituent {code!r} has two prices on {day}")
            seen.add(day)
    if not table:
        return table
    # Type, sign and finiteness checked at C speed; only a bad price sends us to find its date.
    good = set(map(type, table.values())) == {Decimal}
    if good:
        try:
            good = min(table.values()) > 0 and max(table.values()).is_finite()
        except InvalidOperation:  # a NaN
            good = False
    if not good:
        for day, price in sorted(table.items()):
            if not isinstance(price, Decimal):
                raise IndexDataError(
                    f"constituent {code!r} has a {type(price).__name__} price on {day}; "
                    "prices are Decimal"
                )
            if not price.is_finite() or not price > 0:
                # A price ratio needs a positive price; a zero would divide the base by zero.
                raise IndexDataError(f"constituent {code!r} has a price of {price} on {day}")
    return table


def _apportion(parts: list[Decimal], value: Decimal, step: Decimal) -> list[Decimal]:
    """Round parts to ``step`` so that they add up to ``value`` (largest remainder)."""
    rounded = [part.quantize(step, ROUND_FLOOR) for part in parts]
    short = int((value - sum(rounded, _ZERO)) / step)
    if short > 0:
        remainders = list(map(sub, parts, rounded))
        # A stable sort: equal remainders go to the constituent listed first.
        order = sorted(range(len(parts)), key=remainders.__getitem__, reverse=True)
        for i in order[:short]:
            rounded[i] += step
    return rounded
