"""Time the index engine: 20 years of daily values of a 50-constituent chain-linked index.

Run: .venv/bin/python benchmarks/bench_index.py [--constituents N] [--years Y] [--runs R]

The data are seeded, so every run computes the same index: each constituent is a random walk
quoted on about 7,300 calendar days, with about 3% of its days missing at random (a holiday on its
own market) so that the carry-forward path is exercised, and a few longer gaps that leave dates
without a value. The index is a chain-linked Laspeyres with two reweights. ``compute`` is timed
alone (building the prices is not); the requirement is <= 1 s on the reference machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from metalwire.indices.engine import IndexDefinition, IndexPoint, compute

SEED = 20250106
FIRST_DAY = date(2005, 1, 1)


def _prices(
    rng: random.Random, constituents: int, days: int
) -> dict[str, list[tuple[date, Decimal]]]:
    prices: dict[str, list[tuple[date, Decimal]]] = {}
    for number in range(constituents):
        level = rng.uniform(50, 80_000)
        decimals = rng.choice((0, 2))
        gap_from = rng.randrange(days) if rng.random() < 0.2 else -1  # a week-long suspension
        quotes = []
        for offset in range(days):
            level *= 1 + rng.gauss(0.0001, 0.015)
            if rng.random() < 0.03 or gap_from <= offset < gap_from + 7:
                continue
            price = Decimal(round(level * 10**decimals)).scaleb(-decimals)
            quotes.append((FIRST_DAY + timedelta(days=offset), price))
        prices[f"C{number:03d}"] = quotes
    return prices


def _definition(rng: random.Random, constituents: int) -> IndexDefinition:
    codes = [f"C{number:03d}" for number in range(constituents)]

    def weights() -> dict[str, Decimal]:
        return {code: Decimal(rng.randint(1, 200)) for code in codes}

    initial = weights()
    return IndexDefinition.model_validate(
        {
            "code": "BENCH-INDEX",
            "name": "Benchmark composite",
            "base_value": Decimal(1000),
            "base_period": {"start": date(2005, 1, 1), "end": date(2005, 12, 31)},
            "formula": "chain-laspeyres",
            "constituents": [{"series": code, "weight": initial[code]} for code in codes],
            "reweights": [
                {"date": date(2012, 1, 1), "weights": weights()},
                {"date": date(2019, 1, 1), "weights": weights()},
            ],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--constituents", type=int, default=50)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    rng = random.Random(SEED)
    days = args.years * 365
    prices = _prices(rng, args.constituents, days)
    definition = _definition(rng, args.constituents)
    quotes = sum(len(series) for series in prices.values())

    points: list[IndexPoint] = []
    times = []
    for _ in range(args.runs):
        began = time.perf_counter()
        points = compute(definition, prices)
        times.append(time.perf_counter() - began)
    best = min(times)

    carried = sum(1 for point in points if point.carried_forward)
    print(
        f"index: {args.constituents} constituents x {days:,} calendar days, "
        f"{quotes:,} prices, chain-laspeyres with {len(definition.reweights)} reweights"
    )
    print(
        f"values: {len(points):,} dates ({carried:,} with a price carried forward, "
        f"{days - len(points):,} without a value); last {points[-1].date} = {points[-1].value}"
    )
    print(
        f"compute: best {best:.3f} s of {args.runs} runs (median {statistics.median(times):.3f} s);"
        f" {best / len(points) * 1e6:.1f} us per index date"
    )
    verdict = "within" if best <= 1.0 else "OVER"
    print(f"requirement <= 1 s: {verdict}")


if __name__ == "__main__":
    main()
