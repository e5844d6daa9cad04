"""Totals, changes and statistics: a survey release's figures from the panel's months.

A release is the method's steps in order (supply/stats/__init__.py states the method): the
months compared, output and its matched change, year on year and year to date, capacity and
operating rates, inventory, the forecast with its movers, the reasons, the variance to last
month's forecast, and the panel's changes (imputed, new and dropped respondents). Each step
rounds its own figures once, at its end, in the private decimal context of ``compute_all``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal, localcontext
from typing import Any, NamedTuple

from metalwire.catalog.units import EXACT, round_price
from metalwire.records import json_value
from metalwire.supply.stats.model import (
    ZERO,
    Bridge,
    DroppedRespondent,
    ForecastMovers,
    GroupLine,
    Imputation,
    NewRespondent,
    OperatingRate,
    Respondent,
    Return,
    SurveyStats,
    days_in,
    month_number,
)
from metalwire.supply.stats.panel import Month, Panel, Sweep, only_in
from metalwire.supply.stats.reasons import forecast_movers, reasons_for_change
from metalwire.supply.stats.reconcile import StockSplit, output_bridge

_HUNDRED = Decimal(100)
_YEAR_DAYS = Decimal(365)
_PCT_DECIMALS = 2
_LINK_DECIMALS = 6


# --- the steps of a release ----------------------------------------------------------------------


# Returns carry a few decimals (6 at most through the API), so a base this small is the residue
# of subtracting 50-digit imputed values from their cell sums, not output: no percentage on it.
_RESIDUE = Decimal("1e-20")


def _pct(change: Decimal, base: Decimal) -> Decimal | None:
    return change * _HUNDRED / base if abs(base) > _RESIDUE else None


class _Matched:
    """Month-on-month matched sample: sums per cell of the respondents with a value in both.

    ``new`` have a value this month only (panel additions); ``gone`` last month only: members
    that left the panel, and active members that could not be imputed (listed as missing).
    """

    __slots__ = ("before_cells", "count", "gone", "new", "now_cells", "sizes")

    def __init__(self, panel: Panel, month: Month, previous: Month | None) -> None:
        values = month.values
        before = previous.values if previous is not None else {}
        self.new = only_in(values, before)
        self.gone = only_in(before, values)
        self.count = len(values) - len(self.new)
        self.now_cells = list(month.volume_cells)
        self.before_cells = (
            list(previous.volume_cells) if previous is not None else [ZERO] * len(panel.cell_ids)
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
        now = sum(self.now_cells, ZERO)
        then = sum(self.before_cells, ZERO)
        return now - then, _pct(now - then, then)

    def cell_sizes(self, panel: Panel, month: Month) -> list[int]:
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
        self.volume = ZERO
        self.now = ZERO  # matched respondents' output this month
        self.before = ZERO  # and last month
        self.matched = 0


def _groups(
    names: list[str],
    month: Month,
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


class _Compared(NamedTuple):
    """The months a release compares: the period's, the one before, the same one last year."""

    panel: Panel
    number: int
    month: Month
    previous: Month | None
    last_year: Month | None

    @property
    def has_data(self) -> bool:
        return bool(self.month.values)


class _Change(NamedTuple):
    """A published change: volume in the survey's unit and percent, ``None`` when not computable."""

    volume: Decimal | None
    pct: Decimal | None


class _Output(NamedTuple):
    production: Decimal | None
    mom: _Change
    main_provinces: tuple[str, ...]
    by_province: tuple[GroupLine, ...]
    by_producer_type: tuple[GroupLine, ...]


class _Capacity(NamedTuple):
    days: int
    capacity: Decimal
    coverage: Decimal | None
    operating_rate: Decimal | None
    by_producer_type: tuple[OperatingRate, ...]


class _Inventory(NamedTuple):
    inventory: Decimal | None
    change: _Change
    bridge: Bridge | None


class _Forecast(NamedTuple):
    forecast_next: Decimal | None
    change: _Change
    movers: ForecastMovers


class _Variance(NamedTuple):
    previous_forecast: Decimal | None
    variance: _Change


class _PanelChanges(NamedTuple):
    imputed: tuple[Imputation, ...]
    imputed_volume: Decimal
    imputed_share: Decimal | None
    new_respondents: tuple[NewRespondent, ...]
    dropped_respondents: tuple[DroppedRespondent, ...]
    bridge: Bridge | None


def _published(change: Decimal | None, pct: Decimal | None, decimals: int) -> _Change:
    return _Change(_round(change, decimals), _round_pct(pct))


def _statistics(
    sweep: Sweep,
    period: str,
    number: int,
    national_capacity: Decimal | None,
    main_share: Decimal,
    decimals: int,
) -> SurveyStats:
    """One period's release: the method's steps in order, each figure rounded once."""
    compared = months_compared(sweep, number)
    matched = _Matched(compared.panel, compared.month, compared.previous)
    output = aggregate_output(compared, matched, main_share, decimals)
    yoy = year_on_year(compared, decimals)
    ytd, ytd_change = year_to_date(sweep, number, compared.has_data, decimals)
    rates = operating_rates(compared, national_capacity, decimals)
    stocks = inventory_change(compared, decimals)
    outlook = forecast_outlook(compared, decimals)
    variance = forecast_variance(compared, decimals)
    changes = panel_changes(compared, matched, decimals)
    return SurveyStats(
        period=period,
        days=rates.days,
        production=output.production,
        mom_abs=output.mom.volume,
        mom_pct=output.mom.pct,
        yoy_abs=yoy.volume,
        yoy_pct=yoy.pct,
        ytd=ytd,
        ytd_change_pct=ytd_change,
        main_provinces=output.main_provinces,
        by_province=output.by_province,
        by_producer_type=output.by_producer_type,
        operating_rate=rates.operating_rate,
        operating_rate_by_producer_type=rates.by_producer_type,
        capacity=rates.capacity,
        coverage=rates.coverage,
        inventory=stocks.inventory,
        inventory_change_abs=stocks.change.volume,
        inventory_change_pct=stocks.change.pct,
        forecast_next=outlook.forecast_next,
        forecast_change_abs=outlook.change.volume,
        forecast_change_pct=outlook.change.pct,
        forecast_movers=outlook.movers,
        reasons=reasons_for_change(compared.month, compared.previous, decimals),
        previous_forecast=variance.previous_forecast,
        forecast_variance_abs=variance.variance.volume,
        forecast_variance_pct=variance.variance.pct,
        imputed=changes.imputed,
        imputed_count=len(compared.month.imputed),
        imputed_volume=changes.imputed_volume,
        imputed_share=changes.imputed_share,
        new_respondents=changes.new_respondents,
        dropped_respondents=changes.dropped_respondents,
        missing=compared.month.missing,
        reported=tuple(sorted(compared.month.production)),
        respondents_reporting=len(compared.month.production),
        matched_count=matched.count,
        output_bridge=changes.bridge,
        inventory_bridge=stocks.bridge,
    )


def months_compared(sweep: Sweep, number: int) -> _Compared:
    """The period's month with the one before and the same one last year (None before the data)."""
    month = sweep.month(number)
    assert month is not None  # the sweep starts at the earliest period asked for
    return _Compared(sweep.panel, number, month, sweep.month(number - 1), sweep.month(number - 12))


def aggregate_output(
    compared: _Compared, matched: _Matched, main_share: Decimal, decimals: int
) -> _Output:
    """Output (imputation included), its change on the matched sample, by province and producer
    type with changes matched within each group, and the main supply provinces."""
    panel, month, previous = compared.panel, compared.month, compared.previous
    sizes = matched.cell_sizes(panel, month)
    counts = month.counts(panel)
    previous_counts = previous.counts(panel) if previous is not None else [0] * len(counts)
    present = [now > 0 or then > 0 for now, then in zip(counts, previous_counts, strict=True)]
    provinces = _groups(panel.cell_province, month, matched, sizes, present)
    kinds = _groups(panel.cell_type, month, matched, sizes, present)
    return _Output(
        production=_round(month.total, decimals) if compared.has_data else None,
        mom=_published(*matched.change(), decimals),
        main_provinces=main_supply_provinces(provinces, month.total, main_share),
        by_province=_group_lines(provinces, month.total, decimals),
        by_producer_type=_group_lines(kinds, month.total, decimals),
    )


def main_supply_provinces(
    provinces: list[tuple[str, _Group]], total: Decimal, main_share: Decimal
) -> tuple[str, ...]:
    """Largest first, up to and including the first whose cumulative volume reaches
    ``main_share`` of the total."""
    main: list[str] = []
    if total:
        enough = main_share * total
        running = ZERO
        for name, group in provinces:
            main.append(name)
            running += group.volume
            if running >= enough:
                break
    return tuple(main)


def year_on_year(compared: _Compared, decimals: int) -> _Change:
    """Against the same month last year, matched on the respondents with a value in both."""
    month, last_year = compared.month, compared.last_year
    values = month.values
    if last_year is None or not values or not last_year.values:
        return _Change(None, None)
    then_values = last_year.values
    only_now = only_in(values, then_values)
    if len(only_now) == len(values):
        return _Change(None, None)
    now_sum = month.total - sum(map(values.__getitem__, only_now), ZERO)
    only_then = only_in(then_values, values)
    then_sum = last_year.total - sum(map(then_values.__getitem__, only_then), ZERO)
    return _published(now_sum - then_sum, _pct(now_sum - then_sum, then_sum), decimals)


def year_to_date(
    sweep: Sweep, number: int, has_data: bool, decimals: int
) -> tuple[Decimal | None, Decimal | None]:
    """Plain monthly totals from January; the change only when every month of both years has
    survey data."""
    january = number - number % 12
    this_year = [sweep.month(m) for m in range(january, number + 1)]
    earlier = [sweep.month(m - 12) for m in range(january, number + 1)]
    ytd = sum((m.total for m in this_year if m is not None), ZERO) if has_data else None
    ytd_change_pct = None
    if ytd is not None and all(m is not None and m.values for m in (*this_year, *earlier)):
        last_ytd = sum((m.total for m in earlier if m is not None), ZERO)
        ytd_change_pct = _pct(ytd - last_ytd, last_ytd)
    return _round(ytd, decimals), _round_pct(ytd_change_pct)


def operating_rates(
    compared: _Compared, national_capacity: Decimal | None, decimals: int
) -> _Capacity:
    """Active capacity, coverage and operating rates: active members' output and capacity only."""
    panel, month, number = compared.panel, compared.month, compared.number
    capacity_cells = panel.capacity(number)
    running_cells = list(month.volume_cells)
    for rid in panel.outside(number, month.production):
        running_cells[panel.cell_of[rid]] -= month.values[rid]
    days = days_in(number)
    capacity = sum(capacity_cells, ZERO)
    by_kind: dict[str, list[Decimal]] = {}
    for cell, kind in enumerate(panel.cell_type):
        pair = by_kind.setdefault(kind, [ZERO, ZERO])
        pair[0] += capacity_cells[cell]
        pair[1] += running_cells[cell]

    def rate(output: Decimal, capacity: Decimal) -> Decimal | None:
        if not capacity:
            return None
        return output * _YEAR_DAYS * _HUNDRED / (capacity * days)

    operating_rate = rate(sum(running_cells, ZERO), capacity) if compared.has_data else None
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
    return _Capacity(
        days,
        round_price(capacity, decimals),
        _round_pct(coverage),
        _round_pct(operating_rate),
        rates,
    )


def inventory_change(compared: _Compared, decimals: int) -> _Inventory:
    """Stocks reported this month (never imputed), their change matched on the respondents
    reporting stocks in both months, and the bridge from last month's total."""
    month, previous = compared.month, compared.previous
    inventory = _round(month.stocks_total if month.stocks else None, decimals)
    if not month.stocks or previous is None:
        return _Inventory(inventory, _Change(None, None), None)
    split = StockSplit(month, previous)
    change = split.change()
    if change is None:
        published = _Change(None, None)
    else:
        published = _published(change, _pct(change, split.matched_then), decimals)
    return _Inventory(inventory, published, split.bridge(month, previous, decimals))


def forecast_outlook(compared: _Compared, decimals: int) -> _Forecast:
    """Next month's total (a forecast, or no change when none is given) and its movers."""
    if not compared.has_data:
        return _Forecast(None, _Change(None, None), ForecastMovers((), ()))
    month = compared.month
    change_cells = month.forecast_cells
    change = sum(change_cells, ZERO)
    return _Forecast(
        _round(month.total + change, decimals),
        _published(change, _pct(change, month.total), decimals),
        forecast_movers(compared.panel, month, change_cells, decimals),
    )


def forecast_variance(compared: _Compared, decimals: int) -> _Variance:
    """This month's output against last month's forecast total, as its returns stand now."""
    month, previous = compared.month, compared.previous
    previous_forecast = (
        previous.forecast_total() if previous is not None and previous.values else None
    )
    if previous_forecast is None or not compared.has_data:
        return _Variance(_round(previous_forecast, decimals), _Change(None, None))
    variance = month.total - previous_forecast
    return _Variance(
        _round(previous_forecast, decimals),
        _published(variance, _pct(variance, previous_forecast), decimals),
    )


def panel_changes(compared: _Compared, matched: _Matched, decimals: int) -> _PanelChanges:
    """Imputed returns, panel additions and departures, listed with their volumes, and the
    bridge from last month's total."""
    month, previous = compared.month, compared.previous
    values = month.values
    before = previous.values if previous is not None else {}
    imputed_volume = sum((value for _, value, _, _ in month.imputed), ZERO)
    new = sorted(((values[rid], rid) for rid in matched.new), key=lambda x: (-x[0], x[1]))
    # Dropped: out of the panel this month; an active member without a value is missing instead.
    unimputed = set(month.missing)
    dropped = sorted(
        ((before[rid], rid) for rid in matched.gone if rid not in unimputed),
        key=lambda x: (-x[0], x[1]),
    )
    return _PanelChanges(
        imputed=tuple(
            Imputation(rid, round_price(value, decimals), round_price(link, _LINK_DECIMALS), kind)
            for rid, value, link, kind in month.imputed
        ),
        imputed_volume=round_price(imputed_volume, decimals),
        imputed_share=_round_pct(_pct(imputed_volume, month.total)),
        new_respondents=tuple(
            NewRespondent(rid, round_price(value, decimals)) for value, rid in new
        ),
        dropped_respondents=tuple(
            DroppedRespondent(rid, round_price(value, decimals)) for value, rid in dropped
        ),
        bridge=output_bridge(
            month, previous, matched.new, matched.gone, matched.change()[0], decimals
        ),
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
    numbers = [month_number(period) for period in periods]
    if not numbers:
        return []
    with localcontext(EXACT):
        sweep = Sweep(respondents, returns, min(numbers), details_from=min(numbers) - 1)
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
    numbers = [month_number(period) for period in periods]
    if not numbers:
        return []
    rows: list[dict[str, Any]] = []
    with localcontext(EXACT):
        sweep = Sweep(respondents, returns, min(numbers), details_from=None)
        for period, number in zip(periods, numbers, strict=True):
            month = sweep.month(number)
            assert month is not None
            mom_abs, mom_pct = _Matched(sweep.panel, month, sweep.month(number - 1)).change()
            rows.append(
                json_value(
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
