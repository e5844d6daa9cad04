"""Time the survey statistics over 5,000 respondents x 120 months: every period's release.

Run: .venv/bin/python benchmarks/bench_survey_stats.py [--respondents N] [--months M] [--runs R]
     [--scattered]

The panel and its returns are seeded, so every run computes the same survey: smelters across 17
provinces and 4 producer types, about 2% non-response a month (imputed), panel additions and
closures (``active_from``/``active_to``), inventories, forecasts and reason codes on part of the
returns. The returns are created month by month, as a survey collects them and as the database
hands them over; ``--scattered`` re-creates them respondent by respondent, the worst memory
locality, to show what layout costs. Building the returns is not timed (nor collecting the
build's garbage); ``compute_all`` for all months is, indexing the returns included. The
requirement is <= 2 s for the whole history on the reference machine. For scale, ``compute`` of
the last month alone is timed too: it walks the same chain of months, so computing the periods
one by one would cost about months x that; ``history`` builds the output series only.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from metalwire.supply.stats import Respondent, Return, SurveyStats, compute, compute_all, history

SEED = 20251031
FIRST_YEAR = 2016
PROVINCES = (
    "henan", "yunnan", "shandong", "zhejiang", "hunan", "guangxi", "gansu", "inner-mongolia",
    "jiangxi", "anhui", "hubei", "guangdong", "sichuan", "shaanxi", "qinghai", "fujian", "jiangsu",
)  # fmt: skip
TYPES = ("lead-smelter", "copper-smelter", "zinc-smelter", "primary")
REASONS = (
    "maintenance", "inventory-count", "raw-material-grade", "raw-material-shortage",
    "export-orders", "environmental-inspection", "production-resumption", "high-profit",
)  # fmt: skip


def _period(month: int) -> str:
    return f"{FIRST_YEAR + month // 12:04d}-{month % 12 + 1:02d}"


def _day(month: int, day: int) -> date:
    return date(FIRST_YEAR + month // 12, 1 + month % 12, day)


def _tonnes(value: float) -> Decimal:
    return Decimal(round(value * 100)).scaleb(-2)


def build(respondents: int, months: int, seed: int = SEED) -> tuple[list[Respondent], list[Return]]:
    """The panel, then its returns month by month, as a survey collects them and as the
    database hands them over (``ORDER BY period``)."""
    rng = random.Random(seed)
    panel: list[Respondent] = []
    spans: list[tuple[int, int]] = []
    weights = [1 / (rank + 1) for rank in range(len(PROVINCES))]  # a few provinces dominate
    for number in range(respondents):
        capacity = rng.choice((60, 120, 240, 480, 960, 1200))
        first, last = 0, months - 1
        regime = rng.random()
        if regime < 0.03:
            first = rng.randrange(1, months)  # joins the panel later
        elif regime < 0.06:
            last = rng.randrange(0, months - 1)  # closes
        panel.append(
            Respondent(
                id=f"R{number:05d}",
                name=f"Smelter {number}",
                province=rng.choices(PROVINCES, weights)[0],
                producer_type=rng.choice(TYPES),
                capacity=Decimal(capacity),
                active_from=_day(first, 1) if first else None,
                active_to=None if last == months - 1 else _day(last, 28),
            )
        )
        spans.append((first, last))
    levels = [float(r.capacity) / 12 * rng.uniform(0.6, 0.95) for r in panel]
    stocks = [level * rng.uniform(0.1, 0.5) for level in levels]
    returns: list[Return] = []
    for month in range(months):
        period = _period(month)
        for number, (first, last) in enumerate(spans):
            if not first <= month <= last:
                continue
            levels[number] *= rng.gauss(1.0, 0.03)
            stocks[number] *= rng.gauss(1.0, 0.1)
            if rng.random() < 0.02:
                continue  # a late or missing return: imputed
            level = levels[number]
            cited = tuple(rng.sample(REASONS, rng.randint(1, 2))) if rng.random() < 0.15 else ()
            returns.append(
                Return(
                    respondent=panel[number].id,
                    period=period,
                    production=_tonnes(level),
                    inventory=_tonnes(stocks[number]) if rng.random() < 0.8 else None,
                    forecast_next=_tonnes(level * rng.gauss(1, 0.02))
                    if rng.random() < 0.9
                    else None,
                    reasons=cited,
                )
            )
    return panel, returns


def scattered(returns: list[Return]) -> list[Return]:
    """The same returns re-created respondent by respondent (handed over in period order): each
    month's objects spread over the heap, the worst memory locality a loader could produce."""
    copies = {}
    for item in sorted(returns, key=lambda item: item.respondent):
        copies[id(item)] = Return(
            respondent=item.respondent,
            period=item.period,
            production=Decimal(str(item.production)),
            inventory=None if item.inventory is None else Decimal(str(item.inventory)),
            forecast_next=None if item.forecast_next is None else Decimal(str(item.forecast_next)),
            reasons=item.reasons,
        )
    return [copies[id(item)] for item in returns]


def _best_of(runs: int, work: Callable[[], object]) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--respondents", type=int, default=5_000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--scattered", action="store_true", help="allocate the returns respondent by respondent"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    panel, returns = build(args.respondents, args.months)
    if args.scattered:
        returns = scattered(returns)
    built = time.perf_counter() - started
    periods = [_period(month) for month in range(args.months)]
    national = Decimal(sum(r.capacity for r in panel)) * Decimal("1.01")
    results: list[SurveyStats] = []

    def run_all() -> None:
        results[:] = compute_all(periods, panel, returns, national_capacity=national)

    gc.collect()  # the build's garbage is the build's cost

    best, times = _best_of(args.runs, run_all)
    single, _ = _best_of(args.runs, lambda: compute(periods[-1], panel, returns))
    series, _ = _best_of(args.runs, lambda: history(periods, panel, returns))
    last = results[-1]
    imputed = sum(item.imputed_count for item in results)
    print(
        f"panel: {len(panel):,} respondents x {args.months} months = {len(returns):,} returns "
        f"(built in {built:.1f} s, not timed{'; scattered in memory' if args.scattered else ''})"
    )
    print(f"imputed returns over all months: {imputed:,}; last month {last.period}:")
    print(
        f"  production {last.production} t, MoM {last.mom_pct}%, YoY {last.yoy_pct}%, "
        f"{last.imputed_count} imputed, {len(last.new_respondents)} new, "
        f"{len(last.dropped_respondents)} dropped, main provinces {', '.join(last.main_provinces)}"
    )
    print(
        f"compute_all, {args.months} periods: best {best:.3f} s of {args.runs} runs "
        f"(median {statistics.median(times):.3f} s); {best / args.months * 1e3:.1f} ms per period"
    )
    print(f"compute, last period alone: best {single:.3f} s")
    print(f"history, {args.months} periods (totals and MoM only): best {series:.3f} s")
    verdict = "within" if best <= 2.0 else "OVER"
    print(f"requirement <= 2 s: {verdict}")


if __name__ == "__main__":
    main()
