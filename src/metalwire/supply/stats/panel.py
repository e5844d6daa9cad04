"""The panel month by month: who is active, who returned, and the imputation of missing returns.

A member active in a month without a return is imputed as its previous-month value x the link
of its producer type (ratio of means over the members returning in both months), or the link of
the whole matched sample (``WHOLE_SAMPLE``) when its class has none; values carry forward along
the chain until the register closes the member. A member with no previous value, or in a month
without any link, is listed as missing (supply/stats/__init__.py states the method in full).

How it stays fast (5,000 respondents x 120 months in about a second): the returns are indexed by
month once; months are built in order, each from the one before, and shared by every period
asked of ``compute_all`` or ``history``; respondents are grouped in (province, producer type)
cells so the total, the breakdowns and the imputation links are all sums of the same per-cell
sums; matched sums are totals less the few respondents present in one month only, rather than
sums over everyone present in both.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import accumulate, compress, filterfalse, islice, repeat
from operator import attrgetter, is_not, le

from metalwire.supply.stats.model import ZERO, Respondent, Return, month_number, month_of

WHOLE_SAMPLE = "all"  # the imputation class of a link taken from the whole matched sample

_PERIOD = attrgetter("period")
_RESPONDENT = attrgetter("respondent")
_PRODUCTION = attrgetter("production")
_FORECAST = attrgetter("forecast_next")
_INVENTORY = attrgetter("inventory")
_REASONS = attrgetter("reasons")
_NONES = repeat(None)


# --- the panel and the monthly sweep ------------------------------------------------------------


class Panel:
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
                    None if first is None else month_of(first),
                    None if last is None else month_of(last),
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
        fixed = [ZERO] * len(members)
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


class Month:
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
        self.total = sum(volume_cells, ZERO)
        self.imputed = imputed  # (respondent, value, link, class)
        self.missing = missing
        # Filled by _details: Σ (forecast − output) per cell, reported inventories, the returns
        # citing reasons.
        self.forecast_cells: list[Decimal] = []
        self.stocks: dict[str, Decimal] = {}
        self.stocks_total = ZERO
        self.reasoned: list[Return] = []
        self._counts: list[int] | None = None

    def counts(self, panel: Panel) -> list[int]:
        """Respondents with a value, per cell."""
        if self._counts is None:
            contains = self.values.__contains__
            self._counts = [sum(map(contains, ids)) for ids in panel.cell_ids]
        return self._counts

    def forecast_total(self) -> Decimal:
        return self.total + sum(self.forecast_cells, ZERO)


def _details(panel: Panel, month: Month, ids: list[str], group: list[Return]) -> None:
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
    month.stocks_total = sum(month.stocks.values(), ZERO)
    month.reasoned = list(filter(_REASONS, group))


def only_in(these: dict[str, Decimal], those: dict[str, Decimal]) -> list[str]:
    """The keys of ``these`` not in ``those``: one C-level pass, without the set of all keys
    that ``these.keys() - those.keys()`` builds first (the result is mostly a few ids)."""
    return list(filterfalse(those.__contains__, these))


def _cell_sums(panel: Panel, volumes: dict[str, Decimal]) -> list[Decimal]:
    # The hot path of a whole history: one C-level pass of look-ups in cell order, then one sum
    # per cell over its slice (measured faster than summing look-ups cell by cell).
    column = list(map(volumes.get, panel.order, repeat(ZERO)))
    return [sum(column[start:end], ZERO) for start, end in panel.bounds]


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
        grouped[month_number(periods[start])] = ordered[start:end]
        start = end
    return grouped


class Sweep:
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
        self.panel = Panel(respondents)
        self._grouped = _by_month(returns)
        self.start = min(min(self._grouped, default=earliest), earliest)
        self._months: dict[int, Month] = {}
        self._next = self.start
        self._details_from = details_from

    def month(self, number: int) -> Month | None:
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
    panel: Panel, number: int, ids: list[str], group: list[Return], previous: Month | None
) -> Month:
    production = respondents_of_period(panel, ids, group)
    reported_cells = _cell_sums(panel, production)
    before = previous.values if previous is not None else {}
    silent = panel.silent(number, production)
    missing = sorted(silent.difference(before))
    carried = silent.intersection(before)
    if not carried or previous is None:
        return Month(
            number, production, production, reported_cells, reported_cells, [], tuple(missing)
        )
    return impute_missing_returns(
        panel, number, production, reported_cells, previous, sorted(carried), missing
    )


def respondents_of_period(panel: Panel, ids: list[str], group: list[Return]) -> dict[str, Decimal]:
    """The month's reported output by respondent: one return each, from panel members only."""
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
    return production


def impute_missing_returns(
    panel: Panel,
    number: int,
    production: dict[str, Decimal],
    reported_cells: list[Decimal],
    previous: Month,
    carried: list[str],
    missing: list[str],
) -> Month:
    """The month with each silent member that had a value last month carried forward by the
    link of its class; a member whose class has no link joins ``missing``."""
    links = imputation_links(panel, production, reported_cells, previous)
    before = previous.values
    values = dict(production)
    volume_cells = list(reported_cells)
    imputed: list[tuple[str, Decimal, Decimal, str]] = []
    for rid in carried:
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
    return Month(number, production, values, reported_cells, volume_cells, imputed, tuple(missing))


def imputation_links(
    panel: Panel,
    production: dict[str, Decimal],
    reported_cells: list[Decimal],
    previous: Month,
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
    for rid in only_in(production, before):
        now[panel.by_id[rid].producer_type] -= production[rid]
    for rid in only_in(before, production):
        then[panel.by_id[rid].producer_type] -= before[rid]
    whole_now = sum(now.values(), ZERO)
    whole_then = sum(then.values(), ZERO)
    whole = (whole_now / whole_then, WHOLE_SAMPLE) if whole_then else None
    links: dict[str, tuple[Decimal, str]] = {}
    for kind in then:
        if then[kind]:
            links[kind] = (now[kind] / then[kind], kind)
        elif whole is not None:
            links[kind] = whole
    return links
