"""Time the site's pages and weigh what a visit to a series page transfers (issue #8).

Run: .venv/bin/python benchmarks/bench_pages.py [--requests N] [--rebuild] [--profile]

Data: the demo market with 5 years of history (``metalwire db upgrade`` and
``metalwire demo --days 1830``, seed 7, the way an operator builds it; about 8 minutes), kept
in benchmarks/out/demo5y.db (gitignored) and reused while it holds >= 1,200 approved
assessments of AG-INGOT-CN-SPOT; --rebuild builds it again. The demo's price paths start on
2024-01-01 (the first year of the market calendars), so the years before are added to
AG-INGOT-CN-SPOT alone through the desk's workflow (see ``backfill``). The CLI has no fixed
clock: the market ends on the day it was built. On reuse the schema is brought up to date.

Pages: the home page (/), an entry page (/entry/silver), a series page with 5 years of history
(/series/AG-INGOT-CN-SPOT?range=5Y) and the newest published production report
(/articles/{slug}); each in English and Chinese (the ``lang`` cookie), as an anonymous visitor
and as the demo subscriber (signed in through the sign-in form: GET /sign-in for the CSRF
token, POST /sign-in, the ``mw_session`` cookie). The real app (``create_app``, one worker)
answers over an in-process ASGI client (httpx.ASGITransport) with Accept-Encoding: gzip, so
compression is part of the server time. Server time is measured around the ASGI app itself;
after 20 warm-up requests each page is asked --requests times (the same request, as readers
reloading a popular page ask it). The floors: server time p50 <= 20 ms and p99 <= 60 ms for
every page.

Transfer: a first visit of the 5-year series page (no cookies but the visitor's, empty cache)
fetches the HTML and every same-origin stylesheet, script, icon and image it references (and
anything those stylesheets reference with url()), gzip accepted; a repeat visit fetches the
HTML again and revalidates each asset with If-None-Match / If-Modified-Since (a 304 is
expected). Bytes on the wire are counted as the compressed body plus the request and response
header lines (HTTP/1.1 framing, no TLS). Floors: first visit <= 1.5 MB, repeat <= 100 KB.

--profile [PAGE]: afterwards, 100 more requests of the slowest page (or of PAGE: home, entry,
series, article; its slowest visitor and language) under cProfile, with the thread pool
replaced by inline calls so that the synchronous handlers are seen, and the SQL statements
they ran, by total time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import io
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import anyio.to_thread
import httpx
from sqlalchemy import Engine, event, func, select

from metalwire.accounts.service import get_user
from metalwire.catalog.models import PriceSeries
from metalwire.catalog.service import get_series
from metalwire.db.base import utcnow
from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction
from metalwire.db.migrate import upgrade
from metalwire.demo.build import ANALYST, DEMO_PASSWORD, EDITOR
from metalwire.newsroom.models import Article, ArticleKind, ArticleStatus
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.engine import SubmissionKind
from metalwire.pricing.models import Assessment, AssessmentStatus
from metalwire.pricing.release_times import market_today, scheduled_release
from metalwire.pricing.review import approve_day
from metalwire.pricing.schemas import SubmissionIn
from metalwire.pricing.submissions import add_submissions
from metalwire.settings import load_settings
from metalwire.web.app import create_app

CODE = "AG-INGOT-CN-SPOT"  # yuan/kg, 11:30 Shanghai, free tier
ENTRY = "silver"
DAYS = 1830
SEED = 7
MIN_APPROVED = 1_200
BATCH = 5_000  # submissions per add_submissions call (SQLite's bound-variable limit)
SUBSCRIBER = "subscriber@metalwire.demo"
WARM_UP = 20
P50_FLOOR_MS = 20.0
P99_FLOOR_MS = 60.0
FIRST_VISIT_FLOOR = 1_500_000  # bytes
REPEAT_VISIT_FLOOR = 100_000
BASE_URL = "http://bench"
SERIES_PATH = f"/series/{CODE}?range=5Y"
# <link rel=...> a browser downloads on its own (not alternate, canonical, next, ...).
FETCHED_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload"}

Scope_ = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope_, Receive, Send], Awaitable[None]]


# --- the data ------------------------------------------------------------------------------


def _approved(url: str) -> int:
    engine = create_db_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            count = session.scalar(
                select(func.count(Assessment.id))
                .join(PriceSeries, PriceSeries.id == Assessment.series_id)
                .where(PriceSeries.code == CODE, Assessment.status == AssessmentStatus.APPROVED)
            )
    except Exception:  # no file, or not migrated: build it
        return -1
    finally:
        engine.dispose()
    return int(count or 0)


def build_demo_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "METALWIRE_DATABASE_URL": f"sqlite:///{path}"}
    started = time.perf_counter()
    for args in (["db", "upgrade"], ["demo", "--days", str(DAYS), "--seed", str(SEED)]):
        print(f"  metalwire {' '.join(args)}", flush=True)
        subprocess.run([sys.executable, "-m", "metalwire", *args], env=env, check=True)
    print(f"built the demo market in {time.perf_counter() - started:.0f} s")


def backfill(url: str) -> None:
    """Extend AG-INGOT-CN-SPOT's history back to DAYS before today, the way every price is made.

    The demo's price paths start on 2024-01-01, the first year the market calendars cover, so
    ``metalwire demo --days 1830`` gives under three years. The missing years (weekdays, as
    release_state reads days outside the calendars) get three deals a day through
    ``add_submissions``, ``assess_day`` and the editor's ``approve_day``, as in
    bench_price_history.py: a random walk going back in time from the demo's first mid.
    """
    engine = create_db_engine(url)
    started = time.perf_counter()
    with transaction(make_sessionmaker(engine)) as session:
        series = get_series(session, CODE)
        analyst, editor = get_user(session, ANALYST), get_user(session, EDITOR)
        if series is None or analyst is None or editor is None:
            raise SystemExit(f"{url}: no demo market (series {CODE}, the desk's users)")
        approved = (Assessment.series_id == series.id) & (
            Assessment.status == AssessmentStatus.APPROVED
        )
        first = session.scalar(select(func.min(Assessment.market_date)).where(approved))
        mid = session.scalar(
            select(Assessment.mid).where(approved, Assessment.market_date == first).limit(1)
        )
        if first is None or mid is None:
            raise SystemExit(f"{url}: no approved {CODE} prices to extend")
        day = market_today(series, utcnow()) - dt.timedelta(days=DAYS)
        days = []
        while day < first:
            if day.weekday() < 5:
                days.append(day)
            day += dt.timedelta(days=1)
        rng = random.Random(SEED)
        level = float(mid)
        items = []
        for day in reversed(days):
            level /= 1 + rng.gauss(0.0, 0.01)
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
        for start in range(0, len(items), BATCH):
            add_submissions(session, items[start : start + BATCH], actor=analyst.email)
        for day in days:
            assess_day(session, day, user=analyst, series_code=CODE)
            approved_at = scheduled_release(series, day) - dt.timedelta(minutes=10)
            approve_day(session, day, user=editor, series_code=CODE, now=approved_at)
    engine.dispose()
    print(
        f"  {CODE}: {len(days):,} days before {first} added in "
        f"{time.perf_counter() - started:.0f} s"
    )


def newest_production_report(engine: Engine) -> str:
    now = utcnow()
    with transaction(make_sessionmaker(engine)) as session:
        slug = session.scalar(
            select(Article.slug)
            .where(
                Article.kind == ArticleKind.PRODUCTION,
                Article.status != ArticleStatus.DRAFT,
                Article.publish_at <= now,
            )
            .order_by(Article.publish_at.desc(), Article.id.desc())
            .limit(1)
        )
    if slug is None:
        raise SystemExit("no published production report in the demo market")
    return str(slug)


# --- timing --------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class Timed:
    """The app wrapped in a stopwatch: each request's server time lands in ``server``."""

    app: Asgi
    server: list[float] = field(default_factory=list)

    async def __call__(self, scope: Scope_, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        await self.app(scope, receive, send)
        self.server.append(time.perf_counter() - start)


@dataclass(frozen=True)
class Result:
    page: str
    visitor: str
    lang: str
    p50: float
    p99: float
    mean: float
    first: float  # the first request's server time: nothing cached for this page yet
    size: int  # compressed body bytes
    status: int

    @property
    def within(self) -> bool:
        return self.p50 <= P50_FLOOR_MS and self.p99 <= P99_FLOOR_MS


def _client(transport: httpx.ASGITransport, lang: str, session: str | None) -> httpx.AsyncClient:
    cookies = {"lang": lang}
    if session:
        cookies["mw_session"] = session
    return httpx.AsyncClient(
        transport=transport,
        base_url=BASE_URL,
        cookies=cookies,
        headers={"Accept-Encoding": "gzip", "Accept": "text/html"},
    )


async def sign_in(app: Asgi) -> str:
    """The demo subscriber's session cookie, through the sign-in form as a browser gets it."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        form = await client.get("/sign-in")
        found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if form.status_code != 200 or found is None:
            raise SystemExit(f"sign-in form: HTTP {form.status_code}, no CSRF token")
        answer = await client.post(
            "/sign-in",
            data={
                "email": SUBSCRIBER,
                "password": DEMO_PASSWORD,
                "csrf_token": found.group(1),
                "next": "/",
            },
        )
        token = answer.cookies.get("mw_session") or client.cookies.get("mw_session")
        if answer.status_code != 303 or not token:
            raise SystemExit(f"sign-in: HTTP {answer.status_code}: {answer.text[:300]}")
    return str(token)


async def time_page(
    timed: Timed, page: str, path: str, visitor: str, lang: str, session: str | None, n: int
) -> Result:
    transport = httpx.ASGITransport(app=timed)
    async with _client(transport, lang, session) as client:
        status, size, first = 0, 0, 0.0
        for number in range(n + WARM_UP):
            if number == 1:
                first = timed.server[0] * 1000
            if number == WARM_UP:
                timed.server.clear()
            response = await client.get(path)
            status, size = response.status_code, response.num_bytes_downloaded
            if status != 200:
                hint = " (is the series page built yet?)" if page == "series 5Y" else ""
                raise SystemExit(f"{path} ({visitor}, {lang}): HTTP {status}{hint}")
            if number == WARM_UP and lang == "zh" and 'lang="zh' not in response.text:
                raise SystemExit(f"{path}: the lang cookie did not make the page Chinese")
    ms = [s * 1000 for s in timed.server]
    timed.server.clear()
    return Result(
        page,
        visitor,
        lang,
        _percentile(ms, 0.5),
        _percentile(ms, 0.99),
        statistics.fmean(ms),
        first,
        size,
        status,
    )


# --- transfer ------------------------------------------------------------------------------


class Assets(HTMLParser):
    """Same-origin URLs a browser downloads for a page: stylesheets, icons, scripts, images."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        url = None
        if tag == "link" and FETCHED_RELS & set((values.get("rel") or "").lower().split()):
            url = values.get("href")
        elif tag in ("script", "img"):
            url = values.get("src")
        if url:
            self.add(url)

    def add(self, url: str) -> None:
        absolute = urljoin(self.page_url, url)
        if urlsplit(absolute).netloc == urlsplit(BASE_URL).netloc and absolute not in self.found:
            self.found.append(absolute)


def _wire_bytes(response: httpx.Response) -> int:
    """Bytes on an HTTP/1.1 connection: request line and headers, status line and headers,
    the body as sent (compressed when the server compressed it)."""
    request = response.request
    sent = len(f"{request.method} {request.url.raw_path.decode()} HTTP/1.1\r\n") + 2
    sent += sum(len(k) + len(v) + 4 for k, v in request.headers.raw)
    received = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n") + 2
    received += sum(len(k) + len(v) + 4 for k, v in response.headers.raw)
    return sent + received + response.num_bytes_downloaded


@dataclass
class Visit:
    total: int = 0
    lines: list[str] = field(default_factory=list)


async def visit_series(app: Asgi, lang: str, session: str | None) -> tuple[Visit, Visit]:
    """The first and the repeat visit of the 5-year series page, as a browser makes them."""
    transport = httpx.ASGITransport(app=app)
    first, repeat = Visit(), Visit()
    validators: dict[str, dict[str, str]] = {}
    async with _client(transport, lang, session) as client:
        page = await client.get(SERIES_PATH)
        if page.status_code != 200:
            raise SystemExit(f"{SERIES_PATH}: HTTP {page.status_code}")
        first.total += _wire_bytes(page)
        first.lines.append(_line(page))
        parser = Assets(str(page.url))
        parser.feed(page.text)
        queue = list(parser.found)
        while queue:
            url = queue.pop(0)
            asset = await client.get(url)
            first.total += _wire_bytes(asset)
            first.lines.append(_line(asset))
            validators[url] = {
                name: asset.headers[header]
                for name, header in (
                    ("If-None-Match", "etag"),
                    ("If-Modified-Since", "last-modified"),
                )
                if header in asset.headers
            }
            if "css" in asset.headers.get("content-type", ""):
                for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", asset.text):
                    if not ref.startswith("data:"):
                        before = len(parser.found)
                        parser.page_url = url
                        parser.add(ref)
                        queue.extend(parser.found[before:])
        page = await client.get(SERIES_PATH)
        repeat.total += _wire_bytes(page)
        repeat.lines.append(_line(page))
        for url, headers in validators.items():
            asset = await client.get(url, headers=headers)
            repeat.total += _wire_bytes(asset)
            repeat.lines.append(_line(asset))
    return first, repeat


def _line(response: httpx.Response) -> str:
    encoding = response.headers.get("content-encoding", "identity")
    cache = response.headers.get("cache-control", "-")
    return (
        f"    {response.status_code} {response.url.raw_path.decode()[:60]:<60} "
        f"{_wire_bytes(response):>9,} B on the wire ({encoding}; body "
        f"{len(response.content):,} B decoded; cache-control {cache})"
    )


# --- profile -------------------------------------------------------------------------------


@contextmanager
def inline_threads() -> Iterator[None]:
    """Run the thread pool's work inline, so cProfile (one thread) sees the handlers."""
    original = anyio.to_thread.run_sync

    async def run_sync(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]
    try:
        yield
    finally:
        anyio.to_thread.run_sync = original


@contextmanager
def sql_log(engine: Engine) -> Iterator[dict[str, list[float]]]:
    times: dict[str, list[float]] = defaultdict(list)
    started: list[float] = []

    def before(*_: Any) -> None:
        started.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, *__: Any) -> None:
        times[" ".join(statement.split())].append(time.perf_counter() - started.pop())

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield times
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def profile(app: Asgi, engine: Engine, result: Result, path: str, session: str | None) -> None:
    n = 100
    print(f"\nprofile: {n} requests of {result.page} ({result.visitor}, {result.lang})")

    async def run() -> None:
        async with _client(httpx.ASGITransport(app=app), result.lang, session) as client:
            for _ in range(n):
                await client.get(path)

    profiler = cProfile.Profile()
    with inline_threads(), sql_log(engine) as times:
        profiler.enable()
        asyncio.run(run())
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    # The project's own functions and templates by cumulative time, then everything by own time.
    stats.sort_stats("cumulative").print_stats(r"metalwire/", 25)
    stats.sort_stats("tottime").print_stats(15)
    text = out.getvalue()
    for prefix in sorted({str(Path(p).resolve()) + "/" for p in sys.path if p}, key=len)[::-1]:
        text = text.replace(prefix, "")
    print(text)
    total = sum(sum(v) for v in times.values())
    count = sum(len(v) for v in times.values())
    print(f"SQL: {count / n:.1f} statements and {total * 1000 / n:.2f} ms per request; top:")
    for statement, spent in sorted(times.items(), key=lambda kv: -sum(kv[1]))[:10]:
        print(f"  {sum(spent) * 1000 / n:6.2f} ms/req  {len(spent) / n:4.1f}x  {statement[:150]}")


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--db", type=Path, default=Path(__file__).parent / "out" / "demo5y.db")
    parser.add_argument("--rebuild", action="store_true", help="build the demo market again")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="slowest",
        choices=("slowest", "home", "entry", "series", "article"),
        help="cProfile a page (by default the one with the highest p99)",
    )
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{args.db.resolve()}"
    approved = -1 if args.rebuild else _approved(url)
    if approved < 0:
        print(f"building the demo market with {DAYS} days of history into {args.db}")
        build_demo_db(args.db)
        approved = _approved(url)
    if approved < MIN_APPROVED:
        print(f"extending {CODE} ({approved:,} approved days) to {DAYS} days of history")
        backfill(url)
        approved = _approved(url)
    print(f"using {args.db}: {approved:,} approved assessments of {CODE}")
    if approved < MIN_APPROVED:
        raise SystemExit(f"expected >= {MIN_APPROVED:,}; rebuild with --rebuild")

    engine = create_db_engine(url)
    upgrade(engine)  # the schema may have moved on since the file was built
    slug = newest_production_report(engine)
    app = create_app(load_settings(database_url=url), engine=engine)
    session = asyncio.run(sign_in(app))
    pages = {
        "home": "/",
        "entry": f"/entry/{ENTRY}",
        "series 5Y": SERIES_PATH,
        "article": f"/articles/{slug}",
    }
    print(f"article: the newest production report, {slug}")
    timed = Timed(app)
    results: list[Result] = []
    print(
        f"\nserver time, {args.requests} requests per page after {WARM_UP} to warm up "
        f"(floor p50 <= {P50_FLOOR_MS:.0f} ms, p99 <= {P99_FLOOR_MS:.0f} ms)"
    )
    print(
        f"  {'page':<10} {'visitor':<11} lang {'p50':>8} {'p99':>8} {'mean':>8} {'first':>8} "
        f"{'gzip B':>8}"
    )
    for name, path in pages.items():
        for visitor, token in (("anonymous", None), ("subscriber", session)):
            for lang in ("en", "zh"):
                result = asyncio.run(
                    time_page(timed, name, path, visitor, lang, token, args.requests)
                )
                results.append(result)
                print(
                    f"  {name:<10} {visitor:<11} {lang:<4} {result.p50:6.1f}ms {result.p99:6.1f}ms "
                    f"{result.mean:6.1f}ms {result.first:6.1f}ms {result.size:>8,}  "
                    f"{'within' if result.within else 'OVER'}",
                    flush=True,
                )

    print(
        f"\ntransfer of {SERIES_PATH} (floors: first {FIRST_VISIT_FLOOR / 1e6:.1f} MB, "
        f"repeat {REPEAT_VISIT_FLOOR / 1e3:.0f} KB)"
    )
    transfer_ok = True
    for visitor, token in (("anonymous", None), ("subscriber", session)):
        for lang in ("en", "zh"):
            first, repeat = asyncio.run(visit_series(app, lang, token))
            ok = first.total <= FIRST_VISIT_FLOOR and repeat.total <= REPEAT_VISIT_FLOOR
            transfer_ok &= ok
            print(
                f"  {visitor}, {lang}: first visit {first.total / 1e3:,.1f} KB in "
                f"{len(first.lines)} requests, repeat {repeat.total / 1e3:,.1f} KB in "
                f"{len(repeat.lines)} requests: {'within' if ok else 'OVER'}"
            )
            if visitor == "anonymous" and lang == "en":
                print("   first visit:", *first.lines, "   repeat visit:", *repeat.lines, sep="\n")

    slowest = max(results, key=lambda r: (r.p99, r.p50))
    pages_ok = all(r.within for r in results)
    worst_p50 = max(r.p50 for r in results)
    print(
        f"\nrequirement p50 <= {P50_FLOOR_MS:.0f} ms and p99 <= {P99_FLOOR_MS:.0f} ms per page: "
        f"{'within' if pages_ok else 'OVER'} (worst p50 {worst_p50:.1f} ms; slowest p99 "
        f"{slowest.p99:.1f} ms: {slowest.page}, {slowest.visitor}, {slowest.lang})"
    )
    print(
        f"requirement series page first visit <= 1.5 MB, repeat <= 100 KB: "
        f"{'within' if transfer_ok else 'OVER'}"
    )
    if args.profile:
        chosen = [r for r in results if r.page.split()[0] == args.profile] or [slowest]
        worst = max(chosen, key=lambda r: (r.p99, r.p50))
        token = session if worst.visitor == "subscriber" else None
        profile(app, engine, worst, pages[worst.page], token)
    engine.dispose()


if __name__ == "__main__":
    main()
