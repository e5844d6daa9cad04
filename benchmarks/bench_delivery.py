"""Release-time delivery: from the release instant to the last webhook and the last stream.

    .venv/bin/python benchmarks/bench_delivery.py [--webhooks 1000] [--streams 200]
        [--workers 2] [--server-workers 2] [--rounds 3] [--postgres-url URL] [--json PATH]

A fresh database (SQLite under benchmarks/out/, or a new PostgreSQL database) with one free
silver series, an analyst and an editor, ``--webhooks`` readers each with a webhook on the
series (``price.released``) and ``--streams`` readers with an API key each. Three kinds of
process are started beside the script, as in production: ``metalwire serve --workers N`` (the
streams' server), ``--workers`` x ``metalwire worker`` (the deliveries), and one loopback
receiver process (aiohttp) that answers every webhook 200 and notes when it arrived. A second
process opens the streams (aiohttp) and notes when each is told of the release.

Each round releases one price the way an editor does when the price is late: approved past its
release time, so it is released at the approval, and every subscriber should hear of it at
once. The clock starts at the approval's commit (the release instant, ``release_at``); each
webhook's latency is its arrival at the receiver, each stream's its message's arrival at the
client (all processes on one machine, one clock). Floor (#15): p99 <= 1 s for both.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
METALWIRE = Path(sys.executable).parent / "metalwire"
OUT = ROOT / "benchmarks" / "out"
SILVER = "AG-INGOT-CN-SPOT"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the receiver and the stream clients (processes of their own) --------------------------------


def _receiver(port: int, results: Any) -> None:
    from aiohttp import web

    arrivals: dict[str, float] = {}

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        arrivals[request.headers["X-Metalwire-Delivery"]] = time.time()
        return web.Response(status=200)

    async def report(_request: web.Request) -> web.Response:
        body = json.dumps(arrivals)
        arrivals.clear()
        return web.Response(text=body)

    app = web.Application()
    app.router.add_post("/hook/{n}", hook)
    app.router.add_get("/report", report)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def _listen(base: str, keys: list[str], ready: Any, rounds: int, out: Any) -> None:
    import aiohttp

    arrivals: list[list[float]] = [[] for _ in range(rounds)]
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    opened = 0

    async def one(session: aiohttp.ClientSession, key: str) -> None:
        nonlocal opened
        headers = {"Authorization": f"Bearer {key}"}
        url = f"{base}/api/v1/stream?series={SILVER}&events=price.released"
        async with session.get(url, headers=headers) as answer:
            assert answer.status == 200, answer.status
            opened += 1
            if opened == len(keys):
                ready.set()
            seen = 0
            async for line in answer.content:
                if line.startswith(b"data: "):
                    arrivals[seen].append(time.time())
                    seen += 1
                    if seen == rounds:
                        return

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(one(session, key) for key in keys))
    out.put(arrivals)


def _streams(base: str, keys: list[str], ready: Any, rounds: int, out: Any) -> None:
    asyncio.run(_listen(base, keys, ready, rounds, out))


# --- the market ---------------------------------------------------------------------------------


def _database(args: argparse.Namespace) -> str:
    if args.postgres_url:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"metalwire_bench_delivery_{os.getpid()}"
        admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return make_url(args.postgres_url).set(database=name).render_as_string(False)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "delivery.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _drop(url: str, args: argparse.Namespace) -> None:
    """The benchmark's own PostgreSQL database is dropped (SQLite's file stays for a look)."""
    if not args.postgres_url:
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _build(url: str, webhooks: int, streams: int, receiver: str) -> tuple[Any, list[str]]:
    """The readers, their webhooks and keys; returns the desk (for releasing) and the keys."""
    subprocess.run(
        [str(METALWIRE), "db", "upgrade"],
        env={**os.environ, "METALWIRE_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )
    from metalwire.accounts import service as accounts
    from metalwire.accounts.models import Role, Scope
    from metalwire.catalog.schemas import SeriesDefinition
    from metalwire.catalog.service import define_series
    from metalwire.db.engine import create_db_engine, make_sessionmaker, transaction
    from metalwire.delivery.webhooks import add_endpoint
    from metalwire.demo.series import demo_series

    engine = create_db_engine(url)
    sessions = make_sessionmaker(engine)
    wanted = {d.code: d for d in demo_series()}
    keys = []
    with transaction(sessions) as session:
        define_series(
            session, SeriesDefinition.model_validate(wanted[SILVER].model_dump()), actor="bench"
        )
        analyst = accounts.add_user(
            session, "analyst@bench.test", role=Role.ANALYST, plan="enterprise", actor="bench"
        )
        editor = accounts.add_user(
            session, "editor@bench.test", role=Role.EDITOR, plan="enterprise", actor="bench"
        )
        for n in range(webhooks):
            user = accounts.add_user(
                session, f"hook{n}@bench.test", role=Role.READER, plan="subscriber", actor="bench"
            )
            add_endpoint(
                session,
                user,
                url=f"{receiver}/hook/{n}",
                events=["price.released"],
                allow_private=True,
                actor="bench",
            )
        for n in range(streams):
            accounts.add_user(
                session, f"stream{n}@bench.test", role=Role.READER, plan="subscriber", actor="bench"
            )
            keys.append(
                accounts.create_api_key(
                    session, f"stream{n}@bench.test", Scope.READ, actor="bench"
                ).secret
            )
        analyst_id, editor_id = analyst.id, editor.id
    return (sessions, analyst_id, editor_id), keys


def _release(desk: Any, day: dt.date) -> dt.datetime:
    """Deals, the analyst's assessment and the editor's approval past the release time: the
    price is released at the approval's instant, which is returned."""
    from metalwire.accounts.models import User
    from metalwire.db.engine import transaction
    from metalwire.pricing.assessing import assess_day
    from metalwire.pricing.engine import SubmissionKind
    from metalwire.pricing.review import approve_assessment
    from metalwire.pricing.schemas import SubmissionIn
    from metalwire.pricing.submissions import add_submissions

    sessions, analyst_id, editor_id = desk
    received = dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC)
    items = [
        SubmissionIn(
            series=SILVER,
            date=day,
            kind=SubmissionKind.DEAL,
            price=Decimal(p),
            volume=Decimal("200"),
            contributor=f"t{i}",
            received_at=received,
        )
        for i, p in enumerate(("7700", "7710", "7720"))
    ]
    with transaction(sessions) as session:
        analyst = session.get(User, analyst_id)
        add_submissions(session, items, actor=analyst.email)
        draft = assess_day(session, day, user=analyst, series_code=SILVER).assessments[0].id
    with transaction(sessions) as session:
        now = dt.datetime.now(dt.UTC)
        approve_assessment(session, draft, user=session.get(User, editor_id), now=now)
    return now  # committed just now: the release instant (release_at = the approval)


# --- the run ------------------------------------------------------------------------------------


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "count": len(ordered),
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max": ordered[-1],
    }


def _start(
    command: list[str], url: str, log: Path, extra: dict[str, str]
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "METALWIRE_DATABASE_URL": url,
        "METALWIRE_WEBHOOKS_ALLOW_PRIVATE": "true",
        **extra,
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="metalwire worker processes")
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="releases, one market date each")
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    url = _database(args)
    receiver_port, server_port = _free_port(), _free_port()
    receiver_url = f"http://127.0.0.1:{receiver_port}"
    started = time.monotonic()
    desk, keys = _build(url, args.webhooks, args.streams, receiver_url)
    print(
        f"built: {args.webhooks} webhooks, {args.streams} stream readers "
        f"({time.monotonic() - started:.1f} s), {url.split('@')[-1]}"
    )

    context = mp.get_context("spawn")
    receiver = context.Process(target=_receiver, args=(receiver_port, None), daemon=True)
    receiver.start()
    OUT.mkdir(parents=True, exist_ok=True)
    server = _start(
        [
            str(METALWIRE),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(server_port),
            "--workers",
            str(args.server_workers),
        ],
        url,
        OUT / "delivery-serve.log",
        {"METALWIRE_ACCESS_LOG": "false"},
    )
    workers = [
        _start([str(METALWIRE), "worker"], url, OUT / f"delivery-worker-{n}.log", {})
        for n in range(args.workers)
    ]
    base = f"http://127.0.0.1:{server_port}"
    for _ in range(150):
        try:
            if (
                httpx.get(f"{base}/healthz", timeout=2).status_code == 200
                and httpx.get(f"{receiver_url}/report", timeout=2).status_code == 200
            ):
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    ready, out = context.Event(), context.Queue()
    listener = context.Process(
        target=_streams, args=(base, keys, ready, args.rounds, out), daemon=True
    )
    listener.start()
    if not ready.wait(60):
        raise SystemExit("the streams did not all open within 60 s")
    time.sleep(2)  # the workers' first passes (delays, nothing due) are over

    results: dict[str, Any] = {
        "webhooks": [],
        "streams": [],
        "config": vars(args) | {"json": str(args.json)},
    }
    instants = []
    try:
        for n in range(args.rounds):
            day = dt.date(2026, 11, 2) + dt.timedelta(days=7 * n)  # Mondays: trading days
            instant = _release(desk, day)
            instants.append(instant)
            deadline = time.monotonic() + 30
            arrived: dict[str, float] = {}
            while len(arrived) < args.webhooks and time.monotonic() < deadline:
                time.sleep(0.5)
                arrived |= httpx.get(f"{receiver_url}/report", timeout=10).json()
            hooks = [t - instant.timestamp() for t in arrived.values()]
            results["webhooks"].append(_percentiles(hooks) if hooks else {"count": 0})
            print(f"round {n + 1}: webhooks {results['webhooks'][-1]}")
            time.sleep(1)
        streamed = out.get(timeout=60)
        for n, times in enumerate(streamed):
            lat = [t - instants[n].timestamp() for t in times]
            results["streams"].append(_percentiles(lat) if lat else {"count": 0})
            print(f"round {n + 1}: streams {results['streams'][-1]}")
    finally:
        for process in [server, *workers]:
            os.killpg(process.pid, signal.SIGTERM)
        for process in [server, *workers]:
            process.wait(timeout=20)
        listener.terminate()
        receiver.terminate()
        _drop(url, args)
    every_hook = [r["p99"] for r in results["webhooks"] if r.get("count")]
    every_stream = [r["p99"] for r in results["streams"] if r.get("count")]
    print(
        f"worst p99: webhooks {max(every_hook):.3f} s, "
        f"streams {max(every_stream):.3f} s (floor 1 s)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
