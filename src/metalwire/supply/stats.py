"""Production-survey statistics: a panel's monthly returns in, a release's figures out.

Pure code: no database, no web. A survey panel of smelters files one return a month (output,
end-of-month inventory, next month's forecast, reason codes for the change). From the returns
of the period, the previous period, the same month last year and this year's months, ``compute``
derives what a survey release publishes (METHODS.md, "Production surveys"): output and its
change month on month, year on year and year to date, the breakdown by province and producer
type, the main supply provinces, operating rates, capacity and coverage, smelter inventory, the
forecast with its movers and their reasons, the variance to last month's forecast, and the
provenance of every figure.

Choices the methodology documents:

* Periods are calendar months ('YYYY-MM'). A panel member is *active* in a month when its
  ``active_from``..``active_to`` dates (inclusive, either open) overlap any day of the month;
  its whole capacity then counts for the month (no pro-rating of part months).
* Non-response (ONS / US Census practice): an active member without a return is imputed as its
  previous-month value x the link of its class, link = Σ y_t / Σ y_t−1 (ratio of means) over
  the members of the same producer type that *returned* in both months. A class without such
  members, or whose members produced nothing last month, takes the link of the whole matched
  sample (class ``"all"``). The previous-month value may itself be imputed (chained imputation,
  as ONS does): a member that stops reporting is carried forward by the links until the panel
  register closes it with ``active_to``. A member with no previous value, or in a month where
  nobody returned in both months (no link at all), cannot be imputed: it is listed as
  ``missing`` and contributes nothing. The chain starts at the earliest return handed in, so the
  caller decides how far back imputation may reach.
* A return is never thrown away: a return from a member outside its active dates counts in
  production (it is real output), but not in the capacity or the operating rate, which cover
  the active members' output and capacity only. A return from a respondent not in the panel,
  or two returns of one respondent for one month, are refused (ValueError).
* Changes month on month are computed on the *matched sample*, the respondents with a value
  (reported or imputed) in both months; panel additions (``new_respondents``: a return now, no
  value last month) and departures (``dropped_respondents``: a value last month, none now
  because the member left the panel) are listed with their volumes instead, so a panel change
  is never read as a market change. Group changes (province, producer type) are matched within
  the group; a group with no matched respondent has no change (``None``). Year on year is the
  same against the same month last year; ``None`` when no respondent has a value in both.
* Year to date is the sum of the monthly totals (imputation included) from January to the
  period, unadjusted; its change is against the same months of last year and is ``None`` unless
  every one of those months, in both years, has survey data.
* Main supply provinces: provinces by volume, largest first (ties by name), up to and including
  the first whose cumulative volume reaches ``main_share`` of the total.
* Operating rate = output / (capacity x days in month / 365) x 100, whole panel and per
  producer type; the year is 365 days as the method states, leap years included.
* Inventory is the sum of the inventories reported this month (never imputed); its change is
  matched on the respondents reporting an inventory in both months, so a smelter starting or
  stopping to report stocks does not move it.
* The forecast total sums each respondent's forecast, or its current output (reported or
  imputed) when it gave none: no forecast is read as "no change". Movers are the provinces and
  producer types whose forecast differs from their output, ranked by that difference, largest
  cut or increase first; each lists the reason codes of the respondents moving the same way,
  ordered by the volume behind them, and only those reasons that move output that way
  (``moves`` in supply/data/reasons.yaml): a smelter back from maintenance that forecasts more
  explains its increase with none of the maintenance it cites for this month.
* A reason code cited twice in one return counts once.
* Reasons: each reason code is attributed the whole month-on-month change of every matched
  respondent citing it, ranked by absolute volume. A respondent citing two codes counts in
  both, so reason volumes do not add up to the MoM change; they say how much output each
  explanation covers.
* Forecast variance = this month's output minus last month's published forecast total
  (recomputed from last month's returns as they stand, so it equals the published figure
  unless those returns were revised), unadjusted for panel changes.
* Everything is exact decimal arithmetic in a private 50-digit context; published volumes are
  rounded half-up to ``decimals``, percentages to 2 decimals, imputation links to 6, once, at
  the end. Rounded parts (provinces, shares) may therefore miss their rounded total by the
  rounding. ``production`` and the figures derived from it are ``None`` for a month without
  any value (no returns and nobody imputable).

How it stays fast (5,000 respondents x 120 months in about a second): the returns are indexed by
month once; months are built in order, each from the one before, and shared by every period
asked of ``compute_all`` or ``history``; respondents are grouped in (province, producer type)
cells so the total, the breakdowns and the imputation links are all sums of the same per-cell
sums; matched sums are totals less the few respondents present in one month only, rather than
sums over everyone present in both.
"""

from __future__ import annotations

import calendar
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from itertools import accumulate, compress, filterfalse, islice, repeat
from operator import attrgetter, is_not, le
from typing import Any

from metalwire.catalog.units import round_price
from metalwire.supply.reference import reason_moves

# Volumes stay exact through sums; only links and percentages divide, and 50 significant digits
# keep their last digit far below any published decimal. Our own context, so a caller's decimal
# settings cannot change a published figure.
_CONTEXT = Context(prec=50, traps=[InvalidOperation, DivisionByZero, Overflow])
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_YEAR_DAYS = Decimal(365)
_PCT_DECIMALS = 2
_LINK_DECIMALS = 6
WHOLE_SAMPLE = "all"  # the imputation class of a link taken from the whole matched sample

_PERIOD = attrgetter("period")
_RESPONDENT = attrgetter("respondent")
_PRODUCTION = attrgetter("production")
_FORECAST = attrgetter("forecast_next")
_INVENTORY = attrgetter("inventory")
_REASONS = attrgetter("reasons")
_NONES = repeat(None)


# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Respondent:
    """A smelter of the survey panel; ``capacity`` in t/yr."""

    id: str
    name: str
    province: str
    producer_type: str
    capacity: Decimal
    active_from: date | None = None
    active_to: date | None = None

    def __post_init__(self) -> None:
        if not self.capacity.is_finite() or self.capacity < 0:
            raise ValueError(f"respondent {self.id}: capacity must be >= 0, got {self.capacity}")
        if (
            self.active_from is not None
            and self.active_to is not None
            and self.active_from > self.active_to
        ):
            raise ValueError(f"respondent {self.id}: active_from is after active_to")


@dataclass(frozen=True, slots=True)
class Return:
    """One respondent's monthly return; ``period`` is 'YYYY-MM', volumes in the survey's unit."""

    respondent: str
    period: str
    production: Decimal
    inventory: Decimal | None = None
    forecast_next: Decimal | None = None
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, value in (
            ("production", self.production),
            ("inventory", self.inventory),
            ("forecast_next", self.forecast_next),
        ):
            if value is not None and (not value.is_finite() or value < 0):
                raise ValueError(
                    f"return {self.respondent} {self.period}: {name} must be >= 0, got {value}"
                )
        if not isinstance(self.reasons, tuple) or len(set(self.reasons)) < len(self.reasons):
            # Reasons are a set of codes, kept in the order cited: a code cited twice counts
            # once, and a list from a form or a JSON body would make the return unhashable.
            object.__setattr__(self, "reasons", tuple(dict.fromkeys(self.reasons)))


# --- outputs ------------------------------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    return value


def _as_dict(line: Any) -> dict[str, Any]:
    return {field.name: _json_safe(getattr(line, field.name)) for field in fields(line)}


@dataclass(frozen=True, slots=True)
class GroupLine:
    """A province's or producer type's output, its share (%), and its matched change."""

    name: str
    volume: Decimal
    share: Decimal | None
    change_abs: Decimal | None
    change_pct: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True, slots=True)
class OperatingRate:
    """A producer type's active capacity (t/yr), output and operating rate (%)."""

    producer_type: str
    capacity: Decimal
    production: Decimal
    operating_rate: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True, slots=True)
class Mover:
    """A province or producer type expecting a change next month (forecast − current)."""

    kind: str  # "province" | "producer_type"
    name: str
    change: Decimal
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True, slots=True)
class ForecastMovers:
    cuts: tuple[Mover, ...]
    increases: tuple[Mover, ...]

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True, slots=True)
class ReasonLine:
    """The MoM change of the matched respondents citing a reason code."""

    code: str
    volume: Decimal
    respondents: int

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True, slots=True)
class Imputation:
    """An imputed return: previous value x ``link`` of ``imputation_class`` (published 'class')."""

    respondent: str
    volume: Decimal
    link: Decimal
    imputation_class: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "respondent": self.respondent,
            "volume": str(self.volume),
            "link": str(self.link),
            "class": self.imputation_class,
        }


@dataclass(frozen=True, slots=True)
class NewRespondent:
    respondent: str
    volume: Decimal

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True, slots=True)
class DroppedRespondent:
    respondent: str
    previous_volume: Decimal

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True, slots=True)
class SurveyStats:
    """One month's published survey figures, rounded once; ``None`` where not computable."""

    period: str
    days: int
    production: Decimal | None
    mom_abs: Decimal | None
    mom_pct: Decimal | None
    yoy_abs: Decimal | None
    yoy_pct: Decimal | None
    ytd: Decimal | None
    ytd_change_pct: Decimal | None
    main_provinces: tuple[str, ...]
    by_province: tuple[GroupLine, ...]
    by_producer_type: tuple[GroupLine, ...]
    operating_rate: Decimal | None
    operating_rate_by_producer_type: tuple[OperatingRate, ...]
    capacity: Decimal
    coverage: Decimal | None
    inventory: Decimal | None
    inventory_change_abs: Decimal | None
    inventory_change_pct: Decimal | None
    forecast_next: Decimal | None
    forecast_change_abs: Decimal | None
    forecast_change_pct: Decimal | None
    forecast_movers: ForecastMovers
    reasons: tuple[ReasonLine, ...]
    previous_forecast: Decimal | None
    forecast_variance_abs: Decimal | None
    forecast_variance_pct: Decimal | None
    imputed: tuple[Imputation, ...]
    imputed_count: int
    imputed_volume: Decimal
    imputed_share: Decimal | None
    new_respondents: tuple[NewRespondent, ...]
    dropped_respondents: tuple[DroppedRespondent, ...]
    missing: tuple[str, ...]
    reported: tuple[str, ...]
    respondents_reporting: int
    matched_count: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: decimals as strings (never floats), lines as dicts, tuples as lists."""
        return _as_dict(self)


# --- periods ------------------------------------------------------------------------------------


def _month_number(period: str) -> int:
    """'2025-10' -> months since year 0, so t − 1 and t − 12 are plain subtraction."""
    if (
        len(period) != 7
        or period[4] != "-"
        or not period.isascii()
        or not period[:4].isdigit()
        or not period[5:].isdigit()
        or not 1 <= int(period[5:]) <= 12
    ):
        raise ValueError(f"period must be a month YYYY-MM, got {period!r}")
    return int(period[:4]) * 12 + int(period[5:]) - 1


def _month_of(day: date) -> int:
    return day.year * 12 + day.month - 1


def _days_in(number: int) -> int:
    year, month = divmod(number, 12)
    return calendar.monthrange(year, month + 1)[1]


# --- the panel and the monthly sweep ------------------------------------------------------------


class _Panel:
    """The panel arranged for monthly sums: members grouped in cells, one per (province,
    producer type), so the total and every breakdown are sums of the same cell sums."""

    __slots__ = (
        "_active",
        "_always",
        "_bounded",
        "_capacity",
        "_fixed_capacity",
        "bounds",
        "by_id",
        "cell_ids",
        "cell_of",
        "cell_province",
        "cell_type",
        "dated",
        "order",
    )

    def __init__(self, respondents: Sequence[Respondent]) -> None:
        by_id: dict[str, Respondent] = {}
        cells: dict[tuple[str, str], int] = {}
        members: list[list[str]] = []
        always: list[str] = []
        bounded: dict[str, tuple[int | None, int | None]] = {}
        for respondent in respondents:
            if respondent.id in by_id:
                raise ValueError(f"respondent {respondent.id!r} is in the panel twice")
            by_id[respondent.id] = respondent
            cell = cells.setdefault((respondent.province, respondent.producer_type), len(cells))
            if cell == len(members):
                members.append([])
            members[cell].append(respondent.id)
            first, last = respondent.active_from, respondent.active_to
            if first is None and last is None:
                always.append(respondent.id)
            else:
                bounded[respondent.id] = (
                    None if first is None else _month_of(first),
                    None if last is None else _month_of(last),
                )
        self.by_id = by_id
        self.cell_ids = [tuple(ids) for ids in members]
        # Every member, cell after cell: a cell's members are the slice bounds[cell] of it.
        self.order = [rid for ids in members for rid in ids]
        ends = list(accumulate(map(len, members)))
        self.bounds = list(zip([0, *ends], ends, strict=False))
        self.cell_of = {rid: cell for cell, ids in enumerate(members) for rid in ids}
        self.cell_province = [province for province, _ in cells]
        self.cell_type = [kind for _, kind in cells]
        self._always = frozenset(always)
        self._bounded = bounded
        self.dated = frozenset(bounded)
        fixed = [_ZERO] * len(members)
        for rid in always:
            fixed[self.cell_of[rid]] += by_id[rid].capacity
        self._fixed_capacity = fixed
        self._active: dict[int, frozenset[str]] = {}
        self._capacity: dict[int, list[Decimal]] = {}

    def dated_active(self, number: int) -> frozenset[str]:
        """The members with active dates that are active in the month (the others always are)."""
        active = self._active.get(number)
        if active is None:
            active = frozenset(
                rid
                for rid, (first, last) in self._bounded.items()
                if (first is None or first <= number) and (last is None or number <= last)
            )
            self._active[number] = active
        return active

    def silent(self, number: int, reported: dict[str, Decimal]) -> frozenset[str]:
        """Active members without a return in the month."""
        return self._always.difference(reported) | self.dated_active(number).difference(reported)

    def outside(self, number: int, reported: dict[str, Decimal]) -> frozenset[str]:
        """Respondents reporting in a month outside their active dates."""
        return self.dated.intersection(reported).difference(self.dated_active(number))

    def capacity(self, number: int) -> list[Decimal]:
        """Active capacity (t/yr) per cell."""
        capacity = self._capacity.get(number)
        if capacity is None:
            capacity = list(self._fixed_capacity)
            for rid in self.dated_active(number):
                capacity[self.cell_of[rid]] += self.by_id[rid].capacity
            self._capacity[number] = capacity
        return capacity


class _Month:
    """One month's values (reported + imputed) with their sums per cell, and, when the month
    may be published, what its statistics read: forecasts, inventories, reasons."""

    __slots__ = (
        "_counts",
        "forecast_cells",
        "imputed",
        "missing",
        "number",
        "production",
        "reasoned",
        "reported_cells",
        "stocks",
        "stocks_total",
        "total",
        "values",
        "volume_cells",
    )

    def __init__(
        self,
        number: int,
        production: dict[str, Decimal],
        values: dict[str, Decimal],
        reported_cells: list[Decimal],
        volume_cells: list[Decimal],
        imputed: list[tuple[str, Decimal, Decimal, str]],
        missing: tuple[str, ...],
    ) -> None:
        self.number = number
        self.production = production  # reported output only, by respondent
        self.values = values  # reported and imputed output: the month's data
        self.reported_cells = reported_cells
        self.volume_cells = volume_cells
        self.total = sum(volume_cells, _ZERO)
        self.imputed = imputed  # (respondent, value, link, class)
        self.missing = missing
        # Filled by _details: Σ (forecast − output) per cell, reported inventories, the returns
        # citing reasons.
        self.forecast_cells: list[Decimal] = []
        self.stocks: dict[str, Decimal] = {}
        self.stocks_total = _ZERO
        self.reasoned: list[Return] = []
        self._counts: list[int] | None = None

    def counts(self, panel: _Panel) -> list[int]:
        """Respondents with a value, per cell."""
        if self._counts is None:
            contains = self.values.__contains__
            self._counts = [sum(map(contains, ids)) for ids in panel.cell_ids]
        return self._counts

    def forecast_total(self) -> Decimal:
        return self.total + sum(self.forecast_cells, _ZERO)


def _details(panel: _Panel, month: _Month, ids: list[str], group: list[Return]) -> None:
    # Fields read as columns and combined at C speed; the columns are dropped afterwards, so the
    # months kept for later comparisons hold only what those comparisons need.
    forecasts = list(map(_FORECAST, group))
    given = list(map(is_not, forecasts, _NONES))
    # Forecast, or current output when none is given: "no forecast" reads "no change".
    if all(given):
        expected = dict(zip(ids, forecasts, strict=True))
    else:
        expected = dict(month.production)
        expected.update(zip(compress(ids, given), compress(forecasts, given), strict=False))
    month.forecast_cells = [
        forecast - current
        for forecast, current in zip(_cell_sums(panel, expected), month.reported_cells, strict=True)
    ]
    stocks = list(map(_INVENTORY, group))
    given = list(map(is_not, stocks, _NONES))
    month.stocks = dict(zip(compress(ids, given), compress(stocks, given), strict=False))
    month.stocks_total = sum(month.stocks.values(), _ZERO)
    month.reasoned = list(filter(_REASONS, group))


def _only_in(these: dict[str, Decimal], those: dict[str, Decimal]) -> list[str]:
    """The keys of ``these`` not in ``those``: one C-level pass, without the set of all keys
    that ``these.keys() - those.keys()`` builds first (the result is mostly a few ids)."""
    return list(filterfalse(those.__contains__, these))


def _cell_sums(panel: _Panel, volumes: dict[str, Decimal]) -> list[Decimal]:
    # The hot path of a whole history: one C-level pass of look-ups in cell order, then one sum
    # per cell over its slice (measured faster than summing look-ups cell by cell).
    column = list(map(volumes.get, panel.order, repeat(_ZERO)))
    return [sum(column[start:end], _ZERO) for start, end in panel.bounds]


def _by_month(returns: Iterable[Return]) -> dict[int, list[Return]]:
    ordered = list(returns)
    periods = list(map(_PERIOD, ordered))
    if not all(map(le, periods, islice(periods, 1, None))):
        # A stable sort: each month keeps the order its returns were handed in.
        order = sorted(range(len(periods)), key=periods.__getitem__)
        ordered = list(map(ordered.__getitem__, order))
        periods = list(map(periods.__getitem__, order))
    # In period order (as a database hands them over) a month is one slice, found by bisection.
    grouped: dict[int, list[Return]] = {}
    start = 0
    while start < len(periods):
        end = bisect_right(periods, periods[start], start)
        grouped[_month_number(periods[start])] = ordered[start:end]
        start = end
    return grouped


class _Sweep:
    """Months built in order from the earliest return, each from the one before (imputation
    chains), so any number of periods share one pass over the returns. Forecasts, inventories
    and reasons are read only from month ``details_from`` on (a release reads them for its
    month and the one before); ``None`` builds the output series only (``history``)."""

    __slots__ = ("_details_from", "_grouped", "_months", "_next", "panel", "start")

    def __init__(
        self,
        respondents: Sequence[Respondent],
        returns: Iterable[Return],
        earliest: int,
        *,
        details_from: int | None,
    ) -> None:
        self.panel = _Panel(respondents)
        self._grouped = _by_month(returns)
        self.start = min(min(self._grouped, default=earliest), earliest)
        self._months: dict[int, _Month] = {}
        self._next = self.start
        self._details_from = details_from

    def month(self, number: int) -> _Month | None:
        """The month, or None before the survey's data begin."""
        if number < self.start:
            return None
        while self._next <= number:
            previous = self._months.get(self._next - 1)
            group = self._grouped.get(self._next, [])
            ids = list(map(_RESPONDENT, group))
            month = _build(self.panel, self._next, ids, group, previous)
            if self._details_from is not None and self._next >= self._details_from:
                _details(self.panel, month, ids, group)
            self._months[self._next] = month
            self._next += 1
        return self._months[number]


def _build(
    panel: _Panel, number: int, ids: list[str], group: list[Return], previous: _Month | None
) -> _Month:
    production = dict(zip(ids, map(_PRODUCTION, group), strict=True))
    if len(production) != len(ids):
        seen: set[str] = set()
        twice: set[str] = set()
        for rid in ids:
            (twice if rid in seen else seen).add(rid)
        raise ValueError(
            f"more than one return for {', '.join(sorted(twice))} in {group[0].period}"
        )
    if not production.keys() <= panel.by_id.keys():
        unknown = ", ".join(sorted(production.keys() - panel.by_id.keys()))
        raise ValueError(f"returns from respondents not in the panel: {unknown}")
    reported_cells = _cell_sums(panel, production)
    before = previous.values if previous is not None else {}
    silent = panel.silent(number, production)
    missing = sorted(silent.difference(before))
    carried = silent.intersection(before)
    if not carried or previous is None:
        return _Month(
            number, production, production, reported_cells, reported_cells, [], tuple(missing)
        )

    links = _links(panel, production, reported_cells, previous)
    values = dict(production)
    volume_cells = list(reported_cells)
    imputed: list[tuple[str, Decimal, Decimal, str]] = []
    for rid in sorted(carried):
        link = links.get(panel.by_id[rid].producer_type)
        if link is None:
            missing.append(rid)
            continue
        factor, label = link
        value = before[rid] * factor
        values[rid] = value
        volume_cells[panel.cell_of[rid]] += value
        imputed.append((rid, value, factor, label))
    missing.sort()
    return _Month(number, production, values, reported_cells, volume_cells, imputed, tuple(missing))


def _links(
    panel: _Panel,
    production: dict[str, Decimal],
    reported_cells: list[Decimal],
    previous: _Month,
) -> dict[str, tuple[Decimal, str]]:
    """Ratio-of-means link per producer type, over the respondents returning in both months."""
    now: defaultdict[str, Decimal] = defaultdict(Decimal)
    then: defaultdict[str, Decimal] = defaultdict(Decimal)
    # Reported sums per class less the few who reported in only one of the two months: the same
    # figure as summing the matched respondents, without a pass over all of them.
    for cell, kind in enumerate(panel.cell_type):
        now[kind] += reported_cells[cell]
        then[kind] += previous.reported_cells[cell]
    before = previous.production
    for rid in _only_in(production, before):
        now[panel.by_id[rid].producer_type] -= production[rid]
    for rid in _only_in(before, production):
        then[panel.by_id[rid].producer_type] -= before[rid]
    whole_now = sum(now.values(), _ZERO)
    whole_then = sum(then.values(), _ZERO)
    whole = (whole_now / whole_then, WHOLE_SAMPLE) if whole_then else None
    links: dict[str, tuple[Decimal, str]] = {}
    for kind in then:
        if then[kind]:
            links[kind] = (now[kind] / then[kind], kind)
        elif whole is not None:
            links[kind] = whole
    return links


# --- statistics ---------------------------------------------------------------------------------


def _pct(change: Decimal, base: Decimal) -> Decimal | None:
    return change * _HUNDRED / base if base else None


class _Matched:
    """Month-on-month matched sample: sums per cell of the respondents with a value in both.

    ``new`` have a value this month only (panel additions); ``gone`` last month only: members
    that left the panel, and active members that could not be imputed (listed as missing).
    """

    __slots__ = ("before_cells", "count", "gone", "new", "now_cells", "sizes")

    def __init__(self, panel: _Panel, month: _Month, previous: _Month | None) -> None:
        values = month.values
        before = previous.values if previous is not None else {}
        self.new = _only_in(values, before)
        self.gone = _only_in(before, values)
        self.count = len(values) - len(self.new)
        self.now_cells = list(month.volume_cells)
        self.before_cells = (
            list(previous.volume_cells) if previous is not None else [_ZERO] * len(panel.cell_ids)
        )
        self.sizes: list[int] | None = None
        # Totals less panel additions and departures: few respondents instead of all of them.
        cell_of = panel.cell_of
        for rid in self.new:
            self.now_cells[cell_of[rid]] -= values[rid]
        for rid in self.gone:
            self.before_cells[cell_of[rid]] -= before[rid]

    def change(self) -> tuple[Decimal | None, Decimal | None]:
        if not self.count:
            return None, None
        now = sum(self.now_cells, _ZERO)
        then = sum(self.before_cells, _ZERO)
        return now - then, _pct(now - then, then)

    def cell_sizes(self, panel: _Panel, month: _Month) -> list[int]:
        """Matched respondents per cell."""
        if self.sizes is None:
            sizes = list(month.counts(panel))
            for rid in self.new:
                sizes[panel.cell_of[rid]] -= 1
            self.sizes = sizes
        return self.sizes


class _Group:
    __slots__ = ("before", "matched", "now", "volume")

    def __init__(self) -> None:
        self.volume = _ZERO
        self.now = _ZERO  # matched respondents' output this month
        self.before = _ZERO  # and last month
        self.matched = 0


def _groups(
    names: list[str],
    month: _Month,
    matched: _Matched,
    sizes: list[int],
    present: list[bool],
) -> list[tuple[str, _Group]]:
    """Cells summed by province or producer type, largest volume first (ties by name)."""
    groups: defaultdict[str, _Group] = defaultdict(_Group)
    for cell, name in enumerate(names):
        if not present[cell]:
            continue
        group = groups[name]
        group.volume += month.volume_cells[cell]
        group.now += matched.now_cells[cell]
        group.before += matched.before_cells[cell]
        group.matched += sizes[cell]
    return sorted(groups.items(), key=lambda item: (-item[1].volume, item[0]))


def _group_lines(
    groups: list[tuple[str, _Group]], total: Decimal, decimals: int
) -> tuple[GroupLine, ...]:
    lines = []
    for name, group in groups:
        change = group.now - group.before if group.matched else None
        lines.append(
            GroupLine(
                name=name,
                volume=round_price(group.volume, decimals),
                share=_round_pct(_pct(group.volume, total)),
                change_abs=_round(change, decimals),
                change_pct=_round_pct(None if change is None else _pct(change, group.before)),
            )
        )
    return tuple(lines)


def _round(value: Decimal | None, decimals: int) -> Decimal | None:
    return None if value is None else round_price(value, decimals)


def _round_pct(value: Decimal | None) -> Decimal | None:
    return None if value is None else round_price(value, _PCT_DECIMALS)


def _statistics(
    sweep: _Sweep,
    period: str,
    number: int,
    national_capacity: Decimal | None,
    main_share: Decimal,
    decimals: int,
) -> SurveyStats:
    panel = sweep.panel
    month = sweep.month(number)
    assert month is not None  # the sweep starts at the earliest period asked for
    previous = sweep.month(number - 1)
    last_year = sweep.month(number - 12)
    values = month.values
    has_data = bool(values)
    total = month.total
    before = previous.values if previous is not None else {}

    def vol(value: Decimal | None) -> Decimal | None:
        return _round(value, decimals)

    # Month on month, matched.
    matched = _Matched(panel, month, previous)
    mom_abs, mom_pct = matched.change()
    sizes = matched.cell_sizes(panel, month)
    counts = month.counts(panel)
    previous_counts = previous.counts(panel) if previous is not None else [0] * len(counts)
    present = [now > 0 or then > 0 for now, then in zip(counts, previous_counts, strict=True)]
    provinces = _groups(panel.cell_province, month, matched, sizes, present)
    kinds = _groups(panel.cell_type, month, matched, sizes, present)

    main: list[str] = []
    if total:
        enough = main_share * total
        running = _ZERO
        for name, group in provinces:
            main.append(name)
            running += group.volume
            if running >= enough:
                break

    # Year on year, matched against the same month last year.
    yoy_abs = yoy_pct = None
    if last_year is not None and has_data and last_year.values:
        then_values = last_year.values
        only_now = _only_in(values, then_values)
        if len(only_now) < len(values):
            now_sum = total - sum(map(values.__getitem__, only_now), _ZERO)
            only_then = _only_in(then_values, values)
            then_sum = last_year.total - sum(map(then_values.__getitem__, only_then), _ZERO)
            yoy_abs = now_sum - then_sum
            yoy_pct = _pct(yoy_abs, then_sum)

    # Year to date, plain totals.
    january = number - number % 12
    this_year = [sweep.month(m) for m in range(january, number + 1)]
    earlier = [sweep.month(m - 12) for m in range(january, number + 1)]
    ytd = sum((m.total for m in this_year if m is not None), _ZERO) if has_data else None
    ytd_change_pct = None
    if ytd is not None and all(m is not None and m.values for m in (*this_year, *earlier)):
        last_ytd = sum((m.total for m in earlier if m is not None), _ZERO)
        ytd_change_pct = _pct(ytd - last_ytd, last_ytd)

    # Capacity and operating rates: active members only.
    capacity_cells = panel.capacity(number)
    running_cells = list(month.volume_cells)
    for rid in panel.outside(number, month.production):
        running_cells[panel.cell_of[rid]] -= values[rid]
    days = _days_in(number)
    capacity = sum(capacity_cells, _ZERO)
    by_kind: dict[str, list[Decimal]] = {}
    for cell, kind in enumerate(panel.cell_type):
        pair = by_kind.setdefault(kind, [_ZERO, _ZERO])
        pair[0] += capacity_cells[cell]
        pair[1] += running_cells[cell]

    def rate(output: Decimal, capacity: Decimal) -> Decimal | None:
        if not capacity:
            return None
        return output * _YEAR_DAYS * _HUNDRED / (capacity * days)

    operating_rate = rate(sum(running_cells, _ZERO), capacity) if has_data else None
    rates = tuple(
        OperatingRate(
            producer_type=kind,
            capacity=round_price(cap, decimals),
            production=round_price(output, decimals),
            operating_rate=_round_pct(rate(output, cap)),
        )
        for kind, (cap, output) in sorted(by_kind.items())
        if cap or output
    )
    coverage = _pct(capacity, national_capacity) if national_capacity else None

    # Inventory, matched on the respondents reporting stocks in both months.
    stocks, stocks_total = month.stocks, month.stocks_total
    inventory = stocks_total if stocks else None
    inventory_change_abs = inventory_change_pct = None
    if stocks and previous is not None:
        previous_stocks, previous_total = previous.stocks, previous.stocks_total
        only_now = _only_in(stocks, previous_stocks)
        if len(only_now) < len(stocks):
            # Totals less the few reporting stocks in one month only, as for output.
            stock_now = stocks_total - sum(map(stocks.__getitem__, only_now), _ZERO)
            only_then = _only_in(previous_stocks, stocks)
            stock_then = previous_total - sum(map(previous_stocks.__getitem__, only_then), _ZERO)
            inventory_change_abs = stock_now - stock_then
            inventory_change_pct = _pct(inventory_change_abs, stock_then)

    # Forecast, movers and reasons.
    forecast_next = forecast_change_abs = forecast_change_pct = None
    movers = ForecastMovers((), ())
    if has_data:
        change_cells = month.forecast_cells
        forecast_change_abs = sum(change_cells, _ZERO)
        forecast_next = total + forecast_change_abs
        forecast_change_pct = _pct(forecast_change_abs, total)
        movers = _movers(panel, month, change_cells, decimals)
    reasons = _reasons(month, before, decimals)

    previous_forecast = (
        previous.forecast_total() if previous is not None and previous.values else None
    )
    variance_abs = variance_pct = None
    if previous_forecast is not None and has_data:
        variance_abs = total - previous_forecast
        variance_pct = _pct(variance_abs, previous_forecast)

    imputed_volume = sum((value for _, value, _, _ in month.imputed), _ZERO)
    new = sorted(((values[rid], rid) for rid in matched.new), key=lambda x: (-x[0], x[1]))
    # Dropped: out of the panel this month; an active member without a value is missing instead.
    unimputed = set(month.missing)
    dropped = sorted(
        ((before[rid], rid) for rid in matched.gone if rid not in unimputed),
        key=lambda x: (-x[0], x[1]),
    )
    return SurveyStats(
        period=period,
        days=days,
        production=vol(total) if has_data else None,
        mom_abs=vol(mom_abs),
        mom_pct=_round_pct(mom_pct),
        yoy_abs=vol(yoy_abs),
        yoy_pct=_round_pct(yoy_pct),
        ytd=vol(ytd),
        ytd_change_pct=_round_pct(ytd_change_pct),
        main_provinces=tuple(main),
        by_province=_group_lines(provinces, total, decimals),
        by_producer_type=_group_lines(kinds, total, decimals),
        operating_rate=_round_pct(operating_rate),
        operating_rate_by_producer_type=rates,
        capacity=round_price(capacity, decimals),
        coverage=_round_pct(coverage),
        inventory=vol(inventory),
        inventory_change_abs=vol(inventory_change_abs),
        inventory_change_pct=_round_pct(inventory_change_pct),
        forecast_next=vol(forecast_next),
        forecast_change_abs=vol(forecast_change_abs),
        forecast_change_pct=_round_pct(forecast_change_pct),
        forecast_movers=movers,
        reasons=reasons,
        previous_forecast=vol(previous_forecast),
        forecast_variance_abs=vol(variance_abs),
        forecast_variance_pct=_round_pct(variance_pct),
        imputed=tuple(
            Imputation(rid, round_price(value, decimals), round_price(link, _LINK_DECIMALS), kind)
            for rid, value, link, kind in month.imputed
        ),
        imputed_count=len(month.imputed),
        imputed_volume=round_price(imputed_volume, decimals),
        imputed_share=_round_pct(_pct(imputed_volume, total)),
        new_respondents=tuple(
            NewRespondent(rid, round_price(value, decimals)) for value, rid in new
        ),
        dropped_respondents=tuple(
            DroppedRespondent(rid, round_price(value, decimals)) for value, rid in dropped
        ),
        missing=month.missing,
        reported=tuple(sorted(month.production)),
        respondents_reporting=len(month.production),
        matched_count=matched.count,
    )


def _movers(
    panel: _Panel, month: _Month, change_cells: list[Decimal], decimals: int
) -> ForecastMovers:
    change: dict[tuple[str, str], Decimal] = {}
    for cell, delta in enumerate(change_cells):
        for group in (
            ("province", panel.cell_province[cell]),
            ("producer_type", panel.cell_type[cell]),
        ):
            change[group] = change.get(group, _ZERO) + delta
    # The reasons behind each group's cuts and increases, weighted by the volume moving.
    behind: dict[tuple[str, str, bool], dict[str, Decimal]] = {}
    directions = reason_moves()
    by_id = panel.by_id
    for item in month.reasoned:
        forecast = item.forecast_next
        if forecast is None or forecast == item.production:
            continue
        delta = forecast - item.production
        cut = delta < 0
        weight = -delta if cut else delta
        member = by_id[item.respondent]
        province = behind.setdefault(("province", member.province, cut), {})
        kind = behind.setdefault(("producer_type", member.producer_type, cut), {})
        for code in item.reasons:
            # A cut is explained by reasons that cut output, an increase by those that raise it:
            # "expected to raise output, citing maintenance" would read the return backwards.
            moves = directions.get(code)
            if moves is not None and (moves.measure != "output" or not moves.agrees(float(delta))):
                continue
            province[code] = province.get(code, _ZERO) + weight
            kind[code] = kind.get(code, _ZERO) + weight

    def mover(kind: str, name: str, delta: Decimal) -> Mover:
        codes = behind.get((kind, name, delta < 0), {})
        ranked = sorted(codes, key=lambda code: (-codes[code], code))
        return Mover(kind, name, round_price(delta, decimals), tuple(ranked))

    # Largest move first; at equal moves provinces before producer types, then by name.
    order = {"province": 0, "producer_type": 1}
    cuts = sorted(
        (delta, order[kind], kind, name) for (kind, name), delta in change.items() if delta < 0
    )
    increases = sorted(
        (-delta, order[kind], kind, name) for (kind, name), delta in change.items() if delta > 0
    )
    return ForecastMovers(
        cuts=tuple(mover(kind, name, delta) for delta, _, kind, name in cuts),
        increases=tuple(mover(kind, name, -delta) for delta, _, kind, name in increases),
    )


def _reasons(month: _Month, before: dict[str, Decimal], decimals: int) -> tuple[ReasonLine, ...]:
    volume: dict[str, Decimal] = {}
    count: dict[str, int] = {}
    for item in month.reasoned:
        then = before.get(item.respondent)
        if then is None:  # a panel addition has no change to explain
            continue
        change = item.production - then
        for code in item.reasons:
            volume[code] = volume.get(code, _ZERO) + change
            count[code] = count.get(code, 0) + 1
    ranked = sorted(volume, key=lambda code: (-abs(volume[code]), code))
    return tuple(
        ReasonLine(code, round_price(volume[code], decimals), count[code]) for code in ranked
    )


# --- entry points -------------------------------------------------------------------------------


def _check_options(main_share: Decimal, decimals: int, national_capacity: Decimal | None) -> None:
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    if not 0 < main_share <= 1:
        raise ValueError(f"main_share must be in (0, 1], got {main_share}")
    if national_capacity is not None and national_capacity <= 0:
        raise ValueError(f"national_capacity must be positive, got {national_capacity}")


def compute_all(
    periods: Sequence[str],
    respondents: Sequence[Respondent],
    returns: Iterable[Return],
    *,
    national_capacity: Decimal | None = None,
    main_share: Decimal = Decimal("0.6"),
    decimals: int = 2,
) -> list[SurveyStats]:
    """Statistics for each of ``periods`` (in the order given), sharing one pass over the
    returns: months are built once, each from the one before."""
    _check_options(main_share, decimals, national_capacity)
    numbers = [_month_number(period) for period in periods]
    if not numbers:
        return []
    with localcontext(_CONTEXT):
        sweep = _Sweep(respondents, returns, min(numbers), details_from=min(numbers) - 1)
        return [
            _statistics(sweep, period, number, national_capacity, main_share, decimals)
            for period, number in zip(periods, numbers, strict=True)
        ]


def compute(
    period: str,
    respondents: Sequence[Respondent],
    returns: Iterable[Return],
    *,
    national_capacity: Decimal | None = None,
    main_share: Decimal = Decimal("0.6"),
    decimals: int = 2,
) -> SurveyStats:
    """One month's statistics from the panel and its returns (any periods; those after
    ``period`` are not read). ``main_share`` is a fraction (0.6 = 60 %)."""
    [stats] = compute_all(
        [period],
        respondents,
        returns,
        national_capacity=national_capacity,
        main_share=main_share,
        decimals=decimals,
    )
    return stats


def history(
    periods: Sequence[str],
    respondents: Sequence[Respondent],
    returns: Iterable[Return],
    *,
    decimals: int = 2,
) -> list[dict[str, Any]]:
    """Output per period as a JSON-safe time series: production (imputation included), the
    matched MoM change, and the count of imputed returns; one pass over the returns."""
    _check_options(Decimal(1), decimals, None)
    numbers = [_month_number(period) for period in periods]
    if not numbers:
        return []
    rows: list[dict[str, Any]] = []
    with localcontext(_CONTEXT):
        sweep = _Sweep(respondents, returns, min(numbers), details_from=None)
        for period, number in zip(periods, numbers, strict=True):
            month = sweep.month(number)
            assert month is not None
            mom_abs, mom_pct = _Matched(sweep.panel, month, sweep.month(number - 1)).change()
            rows.append(
                _json_safe(
                    {
                        "period": period,
                        "production": round_price(month.total, decimals) if month.values else None,
                        "mom_abs": _round(mom_abs, decimals),
                        "mom_pct": _round_pct(mom_pct),
                        "imputed_count": len(month.imputed),
                    }
                )
            )
    return rows
