"""Time the assessment engine over 10,000 series x 50 submissions against a numpy lower bound.

Run: .venv/bin/python benchmarks/bench_engine.py [--series N] [--runs R]

The data are seeded, so every run assesses the same market. The engine is timed alone (building
the submissions is not); the requirement is <= 2 s for the whole day on the reference machine.
The numpy figure is a floor no exact-decimal engine can reach: one sort and a few reductions per
series over float arrays, without exclusions, explanations or audit fields.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from metalwire.pricing.engine import (
    AssessmentResult,
    Evidence,
    Previous,
    Rule,
    SubmissionKind,
    assess,
)

SEED = 20250106
SUBMISSIONS = 50
CUTOFF = datetime(2025, 1, 6, 3, 0, tzinfo=UTC)  # 11:00 Beijing, release at 11:30
KINDS = (SubmissionKind.DEAL, SubmissionKind.BID, SubmissionKind.OFFER, SubmissionKind.INDICATION)


class Series:
    __slots__ = ("decimals", "evidence", "previous", "prices", "volumes")

    def __init__(
        self,
        evidence: list[Evidence],
        previous: Previous,
        decimals: int,
        prices: list[float],
        volumes: list[float],
    ) -> None:
        self.evidence = evidence
        self.previous = previous
        self.decimals = decimals
        self.prices = prices
        self.volumes = volumes


def _market(rng: random.Random, number: int) -> Series:
    """One series' day: most are liquid, some thin (spread-based), some quoted only."""
    decimals = rng.choice((0, 0, 2))
    scale = 10**decimals
    base = rng.uniform(100, 80_000)
    regime = rng.random()
    if regime < 0.7:
        weights = (0.5, 0.2, 0.2, 0.1)
    elif regime < 0.9:
        weights = (0.0, 0.45, 0.45, 0.1)
    else:
        weights = (0.0, 0.0, 0.0, 1.0)
    kinds = rng.choices(KINDS, weights=weights, k=SUBMISSIONS)
    if regime >= 0.7 and regime < 0.9:
        kinds[0] = kinds[1] = SubmissionKind.DEAL  # too few deals: falls back to the spread
    evidence: list[Evidence] = []
    prices: list[float] = []
    volumes: list[float] = []
    for index, kind in enumerate(kinds):
        value = base * rng.gauss(1, 0.004)
        if kind is SubmissionKind.DEAL and rng.random() < 0.02:
            value *= rng.choice((0.8, 1.25))  # a fat finger or an off-market deal
        price = Decimal(round(value * scale)).scaleb(-decimals)
        volume = Decimal(20 if rng.random() < 0.02 else rng.choice((50, 100, 200, 500, 1000)))
        adjustment = Decimal(rng.choice((-15, 10))) if rng.random() < 0.1 else Decimal(0)
        late = rng.random() < 0.03
        received = CUTOFF + timedelta(minutes=rng.randint(1, 20) if late else -rng.randint(0, 600))
        ranged = kind is SubmissionKind.INDICATION and rng.random() < 0.5
        spread = Decimal(rng.randint(1, 20) * scale).scaleb(-decimals)
        evidence.append(
            Evidence(
                id=number * SUBMISSIONS + index,
                kind=kind,
                price=None if ranged else price,
                low=price - spread if ranged else None,
                high=price + spread if ranged else None,
                volume=volume if kind is SubmissionKind.DEAL or rng.random() < 0.5 else None,
                contributor=f"contributor-{rng.randint(1, 40)}",
                received_at=received,
                adjustment=adjustment,
            )
        )
        prices.append(float(price + adjustment))
        volumes.append(float(volume))
    mid = Decimal(round(base * scale)).scaleb(-decimals)
    step = Decimal(10 * scale).scaleb(-decimals)
    previous = Previous(low=mid - step, high=mid + step, mid=mid)
    return Series(evidence, previous, decimals, prices, volumes)


def _best_of(runs: int, work: Callable[[], object]) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    rng = random.Random(SEED)
    markets = [_market(rng, number) for number in range(args.series)]
    rule = Rule(min_volume=Decimal(50))
    results: list[AssessmentResult] = []

    def run_engine() -> None:
        results.clear()
        for market in markets:
            results.append(
                assess(
                    market.evidence,
                    rule,
                    decimals=market.decimals,
                    previous=market.previous,
                    cutoff=CUTOFF,
                    volume_unit="t",
                )
            )

    prices = np.array([market.prices for market in markets], dtype=np.float64)
    volumes = np.array([market.volumes for market in markets], dtype=np.float64)

    def run_numpy() -> None:
        ordered = np.sort(prices, axis=1)
        low, high = ordered[:, 0], ordered[:, -1]
        median = np.median(ordered, axis=1)
        vwap = (prices * volumes).sum(axis=1) / volumes.sum(axis=1)
        (low + high + median + vwap).sum()

    engine_best, engine_times = _best_of(args.runs, run_engine)
    numpy_best, _ = _best_of(max(args.runs, 5), run_numpy)

    methods = Counter(str(result.method) for result in results)
    excluded = sum(len(result.excluded) for result in results)
    total = args.series * SUBMISSIONS
    print(f"series: {args.series:,} x {SUBMISSIONS} submissions = {total:,} submissions")
    print("methods: " + ", ".join(f"{name} {count:,}" for name, count in methods.most_common()))
    print(f"exclusions: {excluded:,} (late, below minimum volume, outliers)")
    print(
        f"engine (assess, exact decimals): best {engine_best:.3f} s of {args.runs} runs "
        f"(median {statistics.median(engine_times):.3f} s); "
        f"{engine_best / args.series * 1e6:.1f} us per series"
    )
    print(f"numpy lower bound (sort + min/max/median/vwap): best {numpy_best:.4f} s")
    print(f"ratio engine / numpy: {engine_best / numpy_best:.0f}x")
    verdict = "within" if engine_best <= 2.0 else "OVER"
    print(f"requirement <= 2 s: {verdict}")


if __name__ == "__main__":
    main()
