"""The demo surveys' simulated market: each respondent's true month, before it is returned.

Pure: no database. Each respondent runs at its own utilisation of its capacity, moved by the
month's days, a seasonal pattern (the Chinese New Year dip in February, the year-end push in
December), a market factor common to the panel (AR(1)), its own noise, and events — maintenance
(output down 30-80 % for a month, forecast a month ahead), stock-taking, raw-material grade,
environmental inspections, export orders drawing stocks down, new capacity ramping up. Each
month one to three respondents miss the deadline, so the release imputes them. The October
2025 silver month (the latest one, in a window without it) retells the reference report: output
down about 3.55 %, copper-smelter maintenance and stock-taking, lead-zinc smelters in Guangxi,
Gansu and Inner Mongolia cutting next month for raw-material grade, stocks halved by export
orders. What respondents cite follows what they did (``_coherent``): each reason moves output or
stocks the way theirs moved (``moves`` in supply/data/reasons.yaml), and export orders draw
silver stocks down only in months the export window opened in the markets data.

Deterministic: every draw comes from a ``random.Random`` seeded with the seed, the survey and
what is drawn for, so the same seed and window make the same months.
"""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from metalwire.demo.survey_panels import EventKind, Kind, Spec, province_codes
from metalwire.supply import service
from metalwire.supply.reference import provinces, reason_moves

# Months simulated before the first one returned, so the market factor and the stocks start the
# window from a settled state (and a window shifted by a later build continues the same path).
BURN_IN = 12
# Output of a new plant in its first months, as a share of its settled rate.
RAMP_UP = (0.3, 0.55, 0.75, 0.9)
# Persistence of the panel-wide market factor from month to month.
MARKET_PERSISTENCE = 0.7
# The silver month the reference report tells (October 2025) and its change: -3.55 % month on
# month. A window without it tells the story in its latest month.
SILVER = "AG-INGOT-CN-OUTPUT"
SILVER_STORY_PERIOD = "2025-10"
SILVER_LATEST_CHANGE = -0.0355
# The same ore reaches the lead and zinc lines: their smelters in Guangxi, Gansu and Inner
# Mongolia cut next month for raw-material grade in the story month too.
GRADE_STORY = frozenset({"ZN-REFINED-CN-OUTPUT", "PB-REFINED-CN-OUTPUT"})
# Stocks go abroad only in a month the export window opened.
EXPORT_ORDERS = "export-orders"
_FLAT = (1.0,) * 12


@dataclass(frozen=True)
class _Event:
    kind: EventKind
    output: float
    stock: float
    left: int  # months still to run, this one included


@dataclass
class Member:
    code: str
    name: str
    province: str
    kind: Kind
    capacity: int
    utilisation: float
    stock_months: float
    joins: str | None = None
    event: _Event | None = None  # this month's
    pending: _Event | None = None  # planned, starting next month
    stock: float | None = None
    age: int = 0  # months since joining, for the ramp-up


@dataclass
class Row:
    """One respondent's true figures for a month, before rounding."""

    production: float
    stock: float
    forecast: float
    reasons: list[str]
    note: str = ""
    scripted: bool = False  # part of the latest month's story: always returned on time


@dataclass
class Plan:
    members: list[Member]
    rows: dict[str, dict[str, Row]]  # period -> respondent -> row
    silent: dict[str, list[str]] = field(default_factory=dict)  # period -> late respondents
    revised: str | None = None  # the period whose late return comes in with the next release


def _panel(spec: Spec, seed: int) -> list[Member]:
    """Plants split from each province's share with random sizes; the total is exact."""
    rng = random.Random(f"{seed}:{spec.code}:panel")
    kinds = {k.letter: k for k in spec.kinds}
    total_share = sum(site.share for site in spec.sites)
    members: list[Member] = []
    for site in spec.sites:
        weights = [rng.uniform(0.6, 1.4) for _ in site.plants]
        budget = spec.capacity * site.share / total_share
        for number, (letter, weight) in enumerate(zip(site.plants, weights, strict=True), 1):
            kind = kinds[letter]
            raw = budget * weight / sum(weights)
            capacity = max(1, round(raw / spec.capacity_step)) * spec.capacity_step
            members.append(_plant(spec, rng, site.province, kind, number, capacity=capacity))
    # Rounding leaves a few steps over or under: the largest plant takes them up.
    largest = max(members, key=lambda m: (m.capacity, m.code))
    largest.capacity += spec.capacity - sum(m.capacity for m in members)
    return members


def _joiners(spec: Spec, seed: int, members: list[Member], first: str, latest: str) -> None:
    rng = random.Random(f"{seed}:{spec.code}:joiners")
    kinds = {k.letter: k for k in spec.kinds}
    for joiner in spec.joiners:
        kind = kinds[joiner.kind]
        number = 1 + sum(1 for m in members if m.province == joiner.province)
        # Part-way through the window whatever its length: never in its first month, which
        # has nothing before it to show the addition against.
        joins = max(service.shift_period(latest, -joiner.months_before), first)
        if joins == first and first != latest:
            joins = service.shift_period(first, 1)
        members.append(
            _plant(spec, rng, joiner.province, kind, number, capacity=joiner.capacity, joins=joins)
        )


def _plant(
    spec: Spec,
    rng: random.Random,
    province: str,
    kind: Kind,
    number: int,
    *,
    capacity: int,
    joins: str | None = None,
) -> Member:
    """The ``number``-th plant of a province, its utilisation and stock cover drawn (in that
    order: the seeded panel depends on it) from its kind's and the survey's ranges."""
    return Member(
        code=f"{spec.prefix}-{province_codes()[province]}-{number:02d}",
        name=f"{provinces()[province].name_en} {kind.label} {number}",
        province=province,
        kind=kind,
        capacity=capacity,
        utilisation=rng.uniform(*kind.utilisation),
        stock_months=rng.uniform(*spec.stock_months),
        joins=joins,
    )


def _months_between(start: str, end: str) -> int:
    a, b = service.parse_period(start), service.parse_period(end)
    return (b[0] - a[0]) * 12 + b[1] - a[1]


def _days(period: str) -> int:
    year, month = service.parse_period(period)
    return calendar.monthrange(year, month)[1]


def _rate(spec: Spec, member: Member, period: str, latest: str, market: float, age: int) -> float:
    """The output a respondent is set to make in ``period``, before noise and events."""
    month = service.parse_period(period)[1]
    season = spec.season[month - 1] * (member.kind.season or _FLAT)[month - 1]
    # Levels are pinned at the latest month, so the demo's newest figures are today's market.
    trend = math.pow(1 + spec.growth, _months_between(latest, period) / 12)
    ramp = RAMP_UP[age] if member.joins is not None and age < len(RAMP_UP) else 1.0
    rate = member.capacity * member.utilisation * _days(period) / 365
    return rate * season * trend * math.exp(market) * ramp


def _full(member: Member, period: str) -> float:
    """Output at 100 % of capacity: nothing runs above it."""
    return member.capacity * _days(period) / 365


def _draw(
    spec: Spec,
    member: Member,
    period: str,
    rng: random.Random,
    *,
    planned: bool,
    exports: bool = False,
) -> _Event | None:
    month = service.parse_period(period)[1]
    for kind in spec.events:
        if kind.planned != planned:
            continue
        if kind.reason == EXPORT_ORDERS and not exports:
            continue
        if kind.calendar_months is not None and month not in kind.calendar_months:
            continue
        if kind.provinces is not None and member.province not in kind.provinces:
            continue
        if kind.kinds is not None and member.kind.code not in kind.kinds:
            continue
        if rng.random() < kind.probability:
            return _Event(
                kind,
                output=rng.uniform(*kind.output),
                stock=rng.uniform(*kind.stock),
                left=rng.randint(*kind.months),
            )
    return None


def _simulate(
    spec: Spec,
    seed: int,
    members: list[Member],
    window: Sequence[str],
    quiet: set[str],
    *,
    export_months: Collection[str] = (),
    story: tuple[str, Callable[[dict[str, dict[str, Row]]], None]] | None = None,
) -> dict[str, dict[str, Row]]:
    """Every respondent's month, in order, from the burn-in to the latest period. Each month has
    its own random stream, so a month's draws never depend on how many came before it."""
    latest = window[-1]
    rows: dict[str, dict[str, Row]] = {}
    market = 0.0
    in_window = set(window)
    last_rows: dict[str, Row] = {}
    for period in service.period_range(service.shift_period(window[0], -BURN_IN), latest):
        rng = random.Random(f"{seed}:{spec.code}:{period}")
        market = MARKET_PERSISTENCE * market + rng.gauss(0, spec.market_sd)
        month = _Month(period, latest, market, quiet, exports=period in export_months)
        month_rows = {
            member.code: _member_month(spec, member, month, rng)
            for member in members
            if member.joins is None or period >= member.joins
        }
        if period in in_window:
            rows[period] = month_rows
        if story is not None and period == story[0]:
            story[1](rows)
            for member in members:  # the next month goes on from the story's stocks
                if member.code in month_rows:
                    member.stock = month_rows[member.code].stock
        for code, row in month_rows.items():
            row.reasons = _coherent(row, last_rows.get(code))
        last_rows = month_rows
    return rows


@dataclass(frozen=True)
class _Month:
    """What every respondent's month shares: the period, the market factor, whether random
    events are held back (a story month), whether stocks may go abroad."""

    period: str
    latest: str
    market: float
    quiet: set[str]
    # Stocks go abroad only in a month the export window opened (the markets say when).
    exports: bool

    @property
    def upcoming(self) -> str:
        return service.shift_period(self.period, 1)


def _advance_events(
    spec: Spec, member: Member, month: _Month, rng: random.Random
) -> tuple[bool, bool]:
    """This month's event (one running on, the one planned last month, or a new draw) and next
    month's planned one; returns whether output resumes after a cut and whether the event goes
    on into next month."""
    # Back to normal after a month that cut output (not after a stock-only event).
    was = member.event
    resumes = was is not None and was.left == 1 and was.output < 1
    if member.event is not None and member.event.left > 1:
        member.event = _Event(member.event.kind, member.event.output, 1.0, member.event.left - 1)
    else:
        member.event, member.pending = member.pending, None
    if member.event is None and month.period not in month.quiet:
        member.event = _draw(spec, member, month.period, rng, planned=False, exports=month.exports)
    goes_on = member.event is not None and member.event.left > 1
    if not goes_on and member.pending is None and month.upcoming not in month.quiet:
        member.pending = _draw(spec, member, month.upcoming, rng, planned=True)
    return resumes, goes_on


def _member_month(spec: Spec, member: Member, month: _Month, rng: random.Random) -> Row:
    """A respondent's true output, stocks and forecast for the month, and what it cites."""
    period, upcoming, latest = month.period, month.upcoming, month.latest
    resumes, goes_on = _advance_events(spec, member, month, rng)
    event = member.event
    production = _rate(spec, member, period, latest, month.market, member.age)
    production *= 1 + rng.gauss(0, spec.noise)
    production *= event.output if event is not None else 1.0
    production = max(0.0, min(production, _full(member, period)))
    # The forecast: this month's market carried on, the planned event or the running one
    # applied, and a little noise of its own (plans are rough).
    factor = 1.0
    if goes_on and event is not None:
        factor = event.output
    elif member.pending is not None:
        factor = member.pending.output
    forecast = _rate(
        spec, member, upcoming, latest, month.market * MARKET_PERSISTENCE, member.age + 1
    )
    forecast *= factor * (1 + rng.gauss(0, spec.noise / 3))
    forecast = max(0.0, min(forecast, _full(member, upcoming)))
    target = production * member.stock_months
    previous = target if member.stock is None else member.stock
    stock = (0.6 * previous + 0.4 * target) * (1 + rng.gauss(0, 0.08))
    stock *= event.stock if event is not None else 1.0
    member.stock = max(0.0, stock)
    reasons: list[str] = []
    if event is not None:
        reasons.append(event.kind.reason)
    if member.pending is not None and member.pending.kind.reason not in reasons:
        reasons.append(member.pending.kind.reason)
    if resumes and event is None:
        reasons.append("production-resumption")
    if member.joins is not None and member.age < len(RAMP_UP):
        reasons.append("new-capacity")
    note = "first return" if member.joins == period else ""
    member.age += 1
    return Row(production, member.stock, forecast, reasons, note)


def _coherent(row: Row, before: Row | None) -> list[str]:
    """The reasons a respondent may cite: each moves output or stocks the way they moved this
    month, or (a planned stop, a ramp-up) the way its forecast moves. A plant cutting output
    does not cite high production enthusiasm, nor one raising it maintenance."""
    directions = reason_moves()
    kept = []
    for code in row.reasons:
        moves = directions[code]
        if moves.measure == "stock":
            ok = before is not None and moves.agrees(row.stock - before.stock)
        else:
            ok = moves.agrees(row.forecast - row.production) or (
                before is not None and moves.agrees(row.production - before.production)
            )
        if ok:
            kept.append(code)
    return kept


def _add_reason(row: Row, reason: str) -> None:
    if reason not in row.reasons:
        row.reasons.append(reason)


def _silver_story(
    members: list[Member],
    rows: dict[str, dict[str, Row]],
    latest: str,
    seed: int,
    *,
    exports: bool,
) -> None:
    """The story month as the reference report tells it (its random events were held back):
    ``latest`` is that month, ``exports`` whether the export window opened in it."""
    previous = service.shift_period(latest, -1)
    now, before = rows[latest], rows.get(previous, {})
    rng = random.Random(f"{seed}:{SILVER}:story:{latest}")
    by_code = {m.code: m for m in members}
    servicing, stops = _story_stops(by_code, now, before, latest, rng)
    _story_change(by_code, now, before, servicing, latest, rng)
    # Lead-zinc smelters in Guangxi, Gansu and Inner Mongolia cut next month: ore grade.
    _grade_cuts(members, now, "lead-smelter by-product", rng)
    # Only when the export window opened: nobody ships at a loss.
    if exports:
        _story_exports(now, before, {*servicing, *stops}, rng)


def _story_stops(
    by_code: dict[str, Member],
    now: dict[str, Row],
    before: dict[str, Row],
    latest: str,
    rng: random.Random,
) -> tuple[list[str], tuple[str, str]]:
    """Who stops and who runs hard in the story month: the copper smelters going into
    maintenance (their cut is sized by ``_story_change``), and the stock-taking smelter and the
    Henan lead smelter whose own stops are told here."""
    main = {"henan", "yunnan", "shandong", "zhejiang"}
    # Kept clear of this month's stops so each of them forecasts a net cut (a stopped smelter
    # forecasts its recovery).
    grade = {"guangxi", "gansu", "inner-mongolia"}
    # Copper smelters' maintenance, away from the main provinces, makes most of the fall.
    copper = sorted(
        c
        for c, m in by_code.items()
        if m.kind.code == "copper-smelter by-product" and m.province not in main | grade
    )
    servicing = rng.sample(copper, k=min(5, len(copper)))
    # Stock-taking at an individual smelter.
    others = sorted(
        c for c, m in by_code.items() if m.province not in main | grade and c not in servicing
    )
    counting = rng.choice(others)
    now[counting].production *= rng.uniform(0.8, 0.9)
    _add_reason(now[counting], "inventory-count")
    # A Henan lead smelter's maintenance barely showed.
    lead = sorted(c for c, m in by_code.items() if m.kind.code == "lead-smelter by-product")
    henan = rng.choice([c for c in lead if by_code[c].province == "henan"])
    now[henan].production *= rng.uniform(0.88, 0.93)
    _add_reason(now[henan], "maintenance")
    # The others ran hard for the precious metals: lead smelters beyond Henan, whose share the
    # cuts elsewhere already lift.
    keen = rng.sample([c for c in lead if by_code[c].province != "henan"], k=3)
    for code in keen:
        ran = max(now[code].production, before[code].production if code in before else 0.0)
        now[code].production = min(ran * 1.03, _full(by_code[code], latest))
        _add_reason(now[code], "high-profit")
    for code in (*servicing, counting, henan, *keen):
        now[code].scripted = True
    return servicing, (counting, henan)


def _story_change(
    by_code: dict[str, Member],
    now: dict[str, Row],
    before: dict[str, Row],
    servicing: list[str],
    latest: str,
    rng: random.Random,
) -> None:
    """The month comes out at the reported change: the copper smelters' cut is what it takes,
    within a maintenance month's 30-80 %; the other smelters' output absorbs any remainder (a
    few per cent at most, as their noise would)."""
    matched = [c for c in now if c in before]
    target = sum(before[c].production for c in matched) * (1 + SILVER_LATEST_CHANGE)
    total = sum(now[c].production for c in matched)
    down = sum(now[c].production for c in servicing)
    keep = 1 - (total - target) / down if down else 1.0
    for code in servicing:
        now[code].production *= min(0.7, max(0.2, keep + rng.uniform(-0.05, 0.05)))
        _add_reason(now[code], "maintenance")
    free = [c for c in matched if not now[c].scripted]
    free_sum = sum(now[c].production for c in free)
    fixed = sum(now[c].production for c in matched if now[c].scripted)
    if free_sum:
        scale = min(1.04, max(0.96, (target - fixed) / free_sum))
        for code in free:
            now[code].production = min(now[code].production * scale, _full(by_code[code], latest))


def _story_exports(
    now: dict[str, Row], before: dict[str, Row], told: set[str], rng: random.Random
) -> None:
    """This month most smelters sold abroad, leaving stocks nearly sold out. Not those whose
    output story is told (``told``): a reason is credited with the whole output change of
    whoever cites it, and the fall belongs to maintenance and stock-taking."""
    sellers = sorted(c for c in now if c not in told)
    exporters = set(rng.sample(sellers, k=min(len(sellers), round(len(now) * 0.8))))
    for code in sorted(now):
        if code in exporters:
            base = before[code].stock if code in before else now[code].stock
            now[code].stock = base * rng.uniform(0.3, 0.5)
            _add_reason(now[code], "export-orders")
            now[code].scripted = True
        elif code in before:
            now[code].stock = before[code].stock * rng.uniform(0.85, 1.0)


def _grade_cuts(members: list[Member], now: dict[str, Row], kind: str, rng: random.Random) -> None:
    for member in members:
        row = now.get(member.code)
        if row is None or member.kind.code != kind:
            continue
        if member.province in {"guangxi", "gansu", "inner-mongolia"}:
            row.forecast = min(row.forecast, row.production) * rng.uniform(0.75, 0.88)
            _add_reason(row, "raw-material-grade")
            row.scripted = True


def survey_plan(
    spec: Spec, seed: int, window: Sequence[str], export_months: Collection[str] = ()
) -> Plan:
    latest = window[-1]
    members = _panel(spec, seed)
    _joiners(spec, seed, members, window[0], latest)
    members.sort(key=lambda m: m.code)
    told = story_period(window)
    quiet = {told} if spec.code == SILVER else set()

    def story(rows: dict[str, dict[str, Row]]) -> None:
        if spec.code == SILVER:
            _silver_story(members, rows, told, seed, exports=told in export_months)
        elif spec.code in GRADE_STORY:
            # The same ore reaches the lead and zinc lines of those smelters.
            _grade_cuts(members, rows[told], "primary", random.Random(f"{seed}:{spec.code}:story"))

    rows = _simulate(
        spec, seed, members, window, quiet, export_months=export_months, story=(told, story)
    )
    plan = Plan(members, rows)
    # One to three respondents miss each deadline; the release imputes them. Never two months
    # running, so each imputation rests on a reported figure; never a plant's first month (it
    # would have no figure to carry forward).
    joined = {m.code: m.joins for m in members}
    for previous, period in pairwise(window):
        rng = random.Random(f"{seed}:{spec.code}:{period}:late")
        if spec.code == SILVER and period in (told, service.shift_period(told, -1)):
            # The story month and the one before are complete, so the released change is the
            # reported one (-3.55 %), not one moved by estimates.
            plan.silent[period] = []
            continue
        eligible = [
            code
            for code, row in sorted(rows[period].items())
            if code in rows[previous]
            and not row.scripted
            and joined[code] != period
            and code not in plan.silent.get(previous, [])
        ]
        plan.silent[period] = sorted(rng.sample(eligible, k=min(len(eligible), rng.randint(1, 3))))
    if spec.revision_months_before is not None and len(window) >= 3:
        revised = service.shift_period(latest, -spec.revision_months_before)
        # Inside the window, after its first month (which has no late return) and before the
        # latest (the revision comes out with the following month).
        revised = min(max(revised, window[1]), window[-2])
        if plan.silent.get(revised):
            plan.revised = revised
    return plan


def story_period(window: Sequence[str]) -> str:
    """The month that retells the reference report: October 2025, or the latest of a window
    without it."""
    return SILVER_STORY_PERIOD if SILVER_STORY_PERIOD in window else window[-1]
