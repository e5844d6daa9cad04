"""Time the price-history API: 20 years of one series' daily prices as JSON, in one request.

Run: .venv/bin/python benchmarks/bench_price_history.py [--requests N] [--cold-requests N]
     [--years Y] [--rebuild]

The history is made the way every published price is: three deals a day through
``add_submissions``, ``assess_day`` and the editor's ``approve_day`` (four eyes), day by day,
oldest first. That takes a minute or so, so the SQLite file is kept under benchmarks/out/
(gitignored) and reused while it holds the history asked for.

The real app (``create_app``) answers GET /api/v1/series/{code}/prices over an in-process ASGI
client (httpx.ASGITransport), signed in with an enterprise API key (Authorization: Bearer).
Server time is measured around the ASGI app itself (routing, the access gate and its rate-limit
write, the queries, JSON); the client's round trip is shown beside it. Two passes: warm (the
same request repeated; the per-worker body cache may answer once the publication stamp shows
nothing changed) and cold (a different ``as_of`` each time, so every answer is computed). The
requirement is a p50 server time <= 15 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import time
from collections.abc import Awaitable, Callable, MutableMapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from metalwire.accounts.models import Role, Scope
from metalwire.accounts.service import add_user, create_api_key, get_user
from metalwire.catalog.schemas import SeriesDefinition
from metalwire.catalog.service import define_series
from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction
from metalwire.db.migrate import upgrade
from metalwire.demo.series import demo_series
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.engine import SubmissionKind
from metalwire.pricing.models import Assessment, AssessmentStatus
from metalwire.pricing.release_times import scheduled_release
from metalwire.pricing.review import approve_day
from metalwire.pricing.schemas import SubmissionIn
from metalwire.pricing.submissions import add_submissions
from metalwire.reference_data import sync_reference_data
from metalwire.settings import load_settings
from metalwire.web.app import create_app

SEED = 20061127
CODE = "AG-INGOT-CN-SPOT"  # yuan/kg, 11:30 Shanghai
LAST_DAY = dt.date(2026, 11, 25)
TARGET_P50_MS = 15.0
BATCH = 5_000  # submissions per add_submissions call (SQLite's bound-variable limit)

Scope_ = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope_, Receive, Send], Awaitable[None]]


def _weekdays(years: int) -> list[dt.date]:
    # Twenty years reach back before the holiday data (2024-2027): every weekday is a session.
    first = LAST_DAY.replace(year=LAST_DAY.year - years)
    days = []
    day = first
    while day <= LAST_DAY:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _approved_days(url: str) -> int:
    engine = create_db_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            count = session.scalar(
                select(func.count(Assessment.id)).where(
                    Assessment.status == AssessmentStatus.APPROVED
                )
            )
    except Exception:  # no file, or not migrated: build it
        return -1
    finally:
        engine.dispose()
    return int(count or 0)


def build_history(path: Path, days: list[dt.date]) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    rng = random.Random(SEED)
    started = time.perf_counter()
    with transaction(sessions) as session:
        sync_reference_data(session)
        spec = next(d for d in demo_series() if d.code == CODE)
        series = define_series(
            session, SeriesDefinition.model_validate(spec.model_dump()), actor="bench"
        )
        analyst = add_user(session, "analyst@bench.test", role=Role.ANALYST, actor="bench")
        editor = add_user(session, "editor@bench.test", role=Role.EDITOR, actor="bench")
        level = 3000.0  # yuan/kg, silver in 2006
        items = []
        for day in days:
            level *= 1 + rng.gauss(0.0003, 0.012)
            received = scheduled_release(series, day) - dt.timedelta(hours=1)
            for n in range(3):
                items.append(
                    SubmissionIn(
                        series=CODE,
                        date=day,
                        kind=SubmissionKind.DEAL,
                        price=Decimal(round(level * rng.gauss(1, 0.001))),
                        volume=Decimal(rng.choice((15, 30, 60, 100))),
                        contributor=f"Trader {n + 1:02d}",
                        received_at=received,
                    )
                )
        for first in range(0, len(items), BATCH):
            add_submissions(session, items[first : first + BATCH], actor=analyst.email)
        print(f"  {len(items):,} submissions in {time.perf_counter() - started:.1f} s")
        for number, day in enumerate(days, start=1):
            assess_day(session, day, user=analyst, series_code=CODE)
            approved_at = scheduled_release(series, day) - dt.timedelta(minutes=10)
            approve_day(session, day, user=editor, series_code=CODE, now=approved_at)
            if number % 1000 == 0:
                print(f"  {number:,} days assessed and approved", flush=True)
    engine.dispose()
    print(f"built {len(days):,} days in {time.perf_counter() - started:.1f} s")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(app: Asgi, key: str, requests: int, expected: int, *, cold: bool) -> float:
    """Time ``requests`` GETs (after 20 to warm up); returns the server-time p50 in ms.

    Warm: the same request again and again, as a chart or a client polling asks it; the app
    may answer from its per-worker body cache once its publication stamp says nothing changed.
    Cold: each request names a different ``as_of`` instant after the last release (the same
    5,218 prices), so no answer is reused and every one is read, computed and serialized.
    """
    server: list[float] = []

    async def timed(scope: Scope_, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        await app(scope, receive, send)
        server.append(time.perf_counter() - start)

    transport = httpx.ASGITransport(app=timed)
    headers = {"Authorization": f"Bearer {key}"}
    after_last_release = dt.datetime.combine(LAST_DAY, dt.time(12), tzinfo=dt.UTC)
    round_trip: list[float] = []
    size = 0
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for number in range(requests + 20):
            params = {}
            if cold:
                instant = after_last_release + dt.timedelta(seconds=number)
                params["as_of"] = instant.isoformat()
            start = time.perf_counter()
            response = await client.get(
                f"/api/v1/series/{CODE}/prices", headers=headers, params=params
            )
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise SystemExit(f"HTTP {response.status_code}: {response.text[:300]}")
            if number < 20:  # warm-up: first compilations, caches, connection pool
                server.clear()
                continue
            round_trip.append(elapsed)
            body = response.json()
            size = len(response.content)
            if len(body["items"]) != expected or body["next"] is not None:
                raise SystemExit(f"expected {expected} items in one page, got {len(body['items'])}")
    ms = [s * 1000 for s in server]
    rt = [s * 1000 for s in round_trip]
    label = "cold (a different as_of each time)" if cold else "warm (the same request)"
    print(f"{label}: {expected:,} daily prices, {size / 1e6:.2f} MB of JSON")
    print(
        f"  server time over {len(ms)} requests: p50 {_percentile(ms, 0.5):.1f} ms, "
        f"p99 {_percentile(ms, 0.99):.1f} ms, mean {statistics.fmean(ms):.1f} ms"
    )
    print(
        f"  client round trip: p50 {_percentile(rt, 0.5):.1f} ms, "
        f"p99 {_percentile(rt, 0.99):.1f} ms"
    )
    return _percentile(ms, 0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cold-requests", type=int, default=200)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--db", type=Path, default=Path(__file__).parent / "out" / "history.db")
    parser.add_argument("--rebuild", action="store_true", help="build the history again")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{args.db}"
    days = _weekdays(args.years)
    if args.rebuild or _approved_days(url) != len(days):
        print(f"building {args.years} years of {CODE} into {args.db}")
        build_history(args.db, days)
    else:
        print(f"reusing {args.db}: {len(days):,} approved days of {CODE}")

    engine = create_db_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        email = "enterprise@bench.test"
        if get_user(session, email) is None:
            add_user(session, email, role=Role.SUBSCRIBER, plan="enterprise", actor="bench")
        key = create_api_key(session, email, Scope.READ, name="bench", actor="bench").secret
    app = create_app(load_settings(database_url=url), engine=engine)
    warm = asyncio.run(measure(app, key, args.requests, len(days), cold=False))
    asyncio.run(measure(app, key, args.cold_requests, len(days), cold=True))
    engine.dispose()
    verdict = "within" if warm <= TARGET_P50_MS else "OVER"
    print(f"requirement p50 <= {TARGET_P50_MS:.0f} ms (warm): {verdict}")


if __name__ == "__main__":
    main()
