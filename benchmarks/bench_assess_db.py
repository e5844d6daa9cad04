"""Time a whole market day through the database: 10,000 series x 50 submissions on SQLite.

Run: .venv/bin/python benchmarks/bench_assess_db.py [--series N] [--per-series M] [--db PATH]

A fresh SQLite file (benchmarks/out/, gitignored) is migrated and synced, 10,000 series are
defined through the catalog service, and the previous market day is assessed and approved
(three deals per series) so that each series has a previous price, as on any real day. Then
500,000 submissions for the day go in through ``add_submissions`` (timed) and ``assess_day``
assesses the whole market (timed: the engine plus every database read and write). The
requirement is <= 15 s for ``assess_day``. The data are seeded, so every run is the same market.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from metalwire.accounts.models import Role, User
from metalwire.accounts.service import add_user
from metalwire.catalog.models import Commodity, SeriesKind
from metalwire.catalog.schemas import SeriesDefinition
from metalwire.catalog.service import define_series
from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction
from metalwire.db.migrate import upgrade
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.engine import SubmissionKind
from metalwire.pricing.models import Submission
from metalwire.pricing.review import approve_day
from metalwire.pricing.schemas import SubmissionIn
from metalwire.pricing.submissions import add_submissions
from metalwire.reference_data import sync_reference_data

SEED = 20250106
DAY = dt.date(2026, 11, 25)  # a Wednesday, a CN trading day
PREVIOUS_DAY = dt.date(2026, 11, 24)
RELEASE = dt.time(11, 30)  # Asia/Shanghai; the cut-off is 11:00 local, 03:00 UTC
CUTOFF = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
KINDS = (SubmissionKind.DEAL, SubmissionKind.BID, SubmissionKind.OFFER, SubmissionKind.INDICATION)
# add_submissions checks a batch's fingerprints in one IN (...) query; SQLite allows 32,766
# bound variables, so the day goes in by batches of series.
BATCH = 10_000
TARGET_SECONDS = 15.0


def _series(number: int, commodity: str, rng: random.Random) -> SeriesDefinition:
    return SeriesDefinition(
        code=f"BENCH-{number:05d}",
        commodity=commodity,
        name_en=f"Benchmark series {number}",
        name_zh=f"基准系列{number}",
        kind=SeriesKind.OUTRIGHT,
        unit="mt",
        currency="CNY",
        decimals=rng.choice((0, 0, 2)),
        timezone="Asia/Shanghai",
        release_time=RELEASE,
        calendar="CN",
        methodology="spot-prices",
    )


def _day(
    code: str, decimals: int, base: float, count: int, rng: random.Random
) -> Iterator[SubmissionIn]:
    """One series' 50 submissions: most series liquid, some thin (spread-based), some quoted."""
    scale = 10**decimals
    regime = rng.random()
    if regime < 0.7:
        weights = (0.5, 0.2, 0.2, 0.1)
    elif regime < 0.9:
        weights = (0.0, 0.45, 0.45, 0.1)
    else:
        weights = (0.0, 0.0, 0.0, 1.0)
    kinds = rng.choices(KINDS, weights=weights, k=count)
    if 0.7 <= regime < 0.9:
        kinds[0] = kinds[1] = SubmissionKind.DEAL  # too few deals: falls back to the spread
    for index, kind in enumerate(kinds):
        value = base * rng.gauss(1, 0.004)
        if kind is SubmissionKind.DEAL and rng.random() < 0.02:
            value *= rng.choice((0.8, 1.25))  # a fat finger or an off-market deal
        price = Decimal(round(value * scale)).scaleb(-decimals)
        late = rng.random() < 0.03
        minutes = rng.randint(1, 20) if late else -rng.randint(0, 600)
        ranged = kind is SubmissionKind.INDICATION and rng.random() < 0.5
        spread = Decimal(rng.randint(1, 20) * scale).scaleb(-decimals)
        yield SubmissionIn(
            series=code,
            date=DAY,
            kind=kind,
            price=None if ranged else price,
            low=price - spread if ranged else None,
            high=price + spread if ranged else None,
            volume=Decimal(rng.choice((20, 50, 100, 200, 500, 1000)))
            if kind is SubmissionKind.DEAL or rng.random() < 0.5
            else None,
            contributor=f"contributor-{rng.randint(1, 40)}",
            received_at=CUTOFF + dt.timedelta(minutes=minutes, seconds=index),
        )


def _setup(session: Session, count: int, rng: random.Random) -> tuple[User, User, dict[str, int]]:
    """Series (code -> decimals) under the catalog's commodities, an analyst and an editor."""
    sync_reference_data(session)
    commodities = list(session.scalars(select(Commodity.code).order_by(Commodity.code)))
    decimals = {}
    for number in range(1, count + 1):
        definition = _series(number, commodities[number % len(commodities)], rng)
        define_series(session, definition, actor="bench")
        decimals[definition.code] = definition.decimals
    analyst = add_user(session, "analyst@bench.test", role=Role.ANALYST, actor="bench")
    editor = add_user(session, "editor@bench.test", role=Role.EDITOR, actor="bench")
    return analyst, editor, decimals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--per-series", type=int, default=50)
    parser.add_argument("--db", type=Path, default=Path(__file__).parent / "out" / "assess.db")
    args = parser.parse_args()

    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    engine = create_db_engine(f"sqlite:///{args.db}")
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    rng = random.Random(SEED)

    start = time.perf_counter()
    with transaction(sessions) as session:
        analyst, editor, decimals = _setup(session, args.series, rng)
    codes = list(decimals)
    print(f"setup: {len(codes):,} series defined in {time.perf_counter() - start:.1f} s")

    bases = {code: rng.uniform(100, 80_000) for code in codes}

    # The previous day: three deals per series, assessed and approved, so every series has a
    # previous price (the change, and the carry-forward fallback, read it).
    start = time.perf_counter()
    with transaction(sessions) as session:
        previous = [
            SubmissionIn(
                series=code,
                date=PREVIOUS_DAY,
                kind=SubmissionKind.DEAL,
                price=Decimal(round(bases[code] * (1 + 0.001 * n))),
                volume=Decimal(100),
                contributor=f"contributor-{n}",
                received_at=CUTOFF - dt.timedelta(days=1, hours=1),
            )
            for code in codes
            for n in range(3)
        ]
        for first in range(0, len(previous), BATCH):
            add_submissions(session, previous[first : first + BATCH], actor="bench", now=CUTOFF)
        assess_day(session, PREVIOUS_DAY, user=analyst)
        approve_day(session, PREVIOUS_DAY, user=editor, now=CUTOFF - dt.timedelta(days=1))
    print(f"previous day assessed and approved in {time.perf_counter() - start:.1f} s (untimed)")

    items = [
        item
        for code in codes
        for item in _day(code, decimals[code], bases[code], args.per_series, rng)
    ]
    start = time.perf_counter()
    with transaction(sessions) as session:
        for first in range(0, len(items), BATCH):
            add_submissions(session, items[first : first + BATCH], actor="bench", now=CUTOFF)
    submit_seconds = time.perf_counter() - start
    with transaction(sessions) as session:
        stored = session.scalar(
            select(func.count(Submission.id)).where(Submission.market_date == DAY)
        )
    print(
        f"add_submissions: {stored:,} submissions in {submit_seconds:.1f} s "
        f"({submit_seconds / max(stored or 1, 1) * 1e6:.0f} us each, batches of {BATCH:,})"
    )

    with transaction(sessions) as session:
        start = time.perf_counter()
        run = assess_day(session, DAY, user=analyst)
        assess_seconds = time.perf_counter() - start
        methods = Counter(a.method.value for a in run.assessments)
        start = time.perf_counter()
    commit_seconds = time.perf_counter() - start
    engine.dispose()

    print("methods: " + ", ".join(f"{name} {n:,}" for name, n in methods.most_common()))
    print(f"skipped: {len(run.skipped):,}")
    print(
        f"assess_day: {len(run.assessments):,} series in {assess_seconds:.2f} s "
        f"({assess_seconds / max(len(run.assessments), 1) * 1e6:.0f} us per series); "
        f"commit {commit_seconds:.2f} s"
    )
    verdict = "within" if assess_seconds <= TARGET_SECONDS else "OVER"
    print(f"requirement assess_day <= {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
