"""The release moment: every subscriber at once. No request may hang, hold two pooled
connections or keep one; a full worker answers clean 503s and recovers; health answers throughout;
several workers share the load and stop on SIGTERM. Real servers, real HTTP, both databases.

Nothing here asserts a latency: each test bounds its waits (client timeouts, deadlines) so that
a hang fails it, and asserts what every request was answered.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Scope
from metalwire.db.engine import create_db_engine
from metalwire.settings import load_settings
from metalwire.web.api.stream import PATH as STREAM_PATH
from metalwire.web.app import create_app, route_table
from metalwire.web.deps import DbSession
from metalwire.web.problems import ProblemError
from tests.conftest import ScratchDatabase, _free_port, serve_in_thread

SUBSCRIBER = "subscriber@metalwire.demo"
HISTORY = "/api/v1/series/AG-INGOT-CN-SPOT/prices"
DEADLINE = 60.0  # seconds any one burst may take, hang or not


@pytest.fixture
def market(env_db: ScratchDatabase, request: pytest.FixtureRequest) -> ScratchDatabase:
    """A small demo market (two weeks of prices, surveys, reports, market data): the test's
    database, a copy of ``metalwire demo --days 14`` built once per run (tests/conftest.py).
    Two weeks, not two days: the bursts ask for /series/AG-INGOT-CN-SPOT, which is a 404 until
    a price is released, and two days from a Saturday, a Sunday or a Monday morning in
    Shanghai (or in a holiday week) held none."""
    assert request.node.get_closest_marker("demo_market"), "mark the test demo_market(days=14)"
    return env_db


@pytest.fixture
def subscriber_key(market: ScratchDatabase) -> dict[str, str]:
    with market.transaction() as session:
        secret = accounts.create_api_key(session, SUBSCRIBER, Scope.READ, actor="t").secret
    return {"Authorization": f"Bearer {secret}"}


@dataclass(frozen=True)
class Outcome:
    path: str
    status: int | None  # None: no answer (timeout, connection error)
    failure: str = ""
    retry_after: str | None = None
    content_type: str = ""


async def _get_all(
    base: str, requests: list[tuple[str, dict[str, str]]], timeout: float = 20.0
) -> list[Outcome]:
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as http:

        async def one(path: str, headers: dict[str, str]) -> Outcome:
            try:
                answer = await http.get(path, headers=headers)
            except httpx.HTTPError as exc:
                return Outcome(path, None, type(exc).__name__)
            return Outcome(
                path,
                answer.status_code,
                retry_after=answer.headers.get("retry-after"),
                content_type=answer.headers.get("content-type", ""),
            )

        return await asyncio.wait_for(
            asyncio.gather(*(one(path, headers) for path, headers in requests)), DEADLINE
        )


def burst(base: str, requests: list[tuple[str, dict[str, str]]]) -> list[Outcome]:
    return asyncio.run(_get_all(base, requests))


def assert_answered(outcomes: list[Outcome]) -> Counter[int | None]:
    """Every request got 200, or a clean 503: Retry-After and a problem+json body."""
    statuses = Counter(o.status for o in outcomes)
    unanswered = [o for o in outcomes if o.status not in (200, 503)]
    assert not unanswered, f"requests not answered 200 or 503: {unanswered[:5]}"
    for refused in (o for o in outcomes if o.status == 503):
        assert refused.retry_after and int(refused.retry_after) >= 1, refused
        assert refused.content_type.startswith("application/problem+json"), refused
    return statuses


def release_moment_mix(key: dict[str, str], count: int) -> list[tuple[str, dict[str, str]]]:
    kinds: list[tuple[str, dict[str, str]]] = [
        ("/", {}),
        ("/entry/silver", {}),
        ("/entry/copper?lang=zh", {}),
        (HISTORY, key),
        ("/api/v1/prices/latest", key),
        ("/series/AG-INGOT-CN-SPOT", {}),
        ("/feeds/precious-metals/rss", {}),
        ("/healthz", {}),
    ]
    return [kinds[i % len(kinds)] for i in range(count)]


@pytest.mark.demo_market(days=14)
def test_fifty_clients_at_once_are_all_answered_and_the_pool_is_empty_after(
    market: ScratchDatabase, app: FastAPI, subscriber_key: dict[str, str]
) -> None:
    with serve_in_thread(app) as base:
        # Twice: the second burst meets warm caches and the fast path for histories.
        for _ in range(2):
            statuses = assert_answered(burst(base, release_moment_mix(subscriber_key, 50)))
            assert statuses[200] >= 1
        with httpx.Client(base_url=base, timeout=10) as http:
            assert http.get("/").status_code == 200
            assert http.get(HISTORY, headers=subscriber_key).status_code == 200
            assert http.get("/healthz").json()["status"] in ("ok", "degraded")
    assert app.state.engine.pool.checkedout() == 0
    assert app.state.fast_history_hits >= 1  # the fast path took part in the burst
    # (the app fixture checks that no request held two connections or kept one)


@pytest.mark.demo_market(days=14)
def test_a_full_worker_answers_clean_503s_health_answers_and_service_returns(
    market: ScratchDatabase, subscriber_key: dict[str, str]
) -> None:
    settings = load_settings(
        database_url=market.url, worker_threads=2, queue_limit=4, queue_timeout=0.5
    )
    small = create_app(settings, engine=market.engine)
    assert small.state.admission.capacity == 2
    with serve_in_thread(small) as base:

        async def saturated() -> tuple[list[Outcome], list[int]]:
            health: list[int] = []

            async def probe() -> None:
                async with httpx.AsyncClient(base_url=base, timeout=5) as http:
                    await asyncio.sleep(0.05)  # let the burst fill the slots first
                    for _ in range(3):
                        health.append((await http.get("/healthz")).status_code)

            outcomes, _ = await asyncio.gather(
                _get_all(base, release_moment_mix(subscriber_key, 80)), probe()
            )
            return outcomes, health

        outcomes, health = asyncio.run(saturated())
        statuses = assert_answered(outcomes)
        assert statuses[503] >= 1  # 80 at once against 2 slots and a queue of 4
        assert health == [200, 200, 200]  # the health check is not queued behind the burst
        deadline = time.monotonic() + 10
        with httpx.Client(base_url=base, timeout=5) as http:
            while http.get("/entry/silver").status_code != 200:
                assert time.monotonic() < deadline, "service did not return after the burst"
                time.sleep(0.1)
    stats = small.state.admission
    assert stats.active == 0 and stats.waiting == 0
    assert stats.shed_full + stats.shed_waited == statuses[503]
    assert small.state.engine.pool.checkedout() == 0
    ledger = small.state.checkouts
    assert not ledger.over_one and not ledger.leaked


def test_the_pool_is_sized_from_the_worker_threads(db: ScratchDatabase) -> None:
    settings = load_settings(database_url=db.url, worker_threads=6)
    built = create_app(settings)
    try:
        pool = built.state.engine.pool
        assert pool.size() == 6  # type: ignore[attr-defined]
        assert pool.timeout() == settings.pool_timeout  # type: ignore[attr-defined]
        assert built.state.admission.capacity == 6
    finally:
        built.state.engine.dispose()
        built.state.health_engine.dispose()


def test_a_request_that_fails_half_way_returns_its_connection(
    db: ScratchDatabase, app: FastAPI
) -> None:
    @app.get("/test/fails-half-way")
    def fails_half_way(session: DbSession) -> None:
        session.execute(text("SELECT 1"))
        raise RuntimeError("fails after reading")

    @app.get("/test/refuses-half-way")
    def refuses_half_way(session: DbSession) -> None:
        session.execute(text("SELECT 1"))
        raise ProblemError(409, "refused after reading", kind="conflict")

    client = TestClient(app, raise_server_exceptions=False)
    for _ in range(3):
        assert client.get("/test/fails-half-way").status_code == 500
        assert client.get("/test/refuses-half-way").status_code == 409
        assert client.get("/this/page/does-not-exist").status_code == 404  # error page reads nav
        # A route that reads the caller and then refuses the body: 422 after the key lookup.
        assert client.post("/api/v1/submissions", content=b"{not json").status_code in (
            401,
            403,
            422,
        )
    assert app.state.engine.pool.checkedout() == 0
    assert not app.state.checkouts.leaked and not app.state.checkouts.over_one


def _sample_paths(base: str, key: dict[str, str]) -> list[str]:
    """Every GET route of the app with its path filled from the market's own data."""
    with httpx.Client(base_url=base, timeout=10, headers=key) as http:

        def first(listing: str, field: str = "code") -> str:
            body = http.get(listing).json()
            items = body["items"] if isinstance(body, dict) else body
            return str(items[0][field]) if items else "none"

        fills = {
            "/api/v1/arbitrage/": first("/api/v1/arbitrage"),
            "/arbitrage/": first("/api/v1/arbitrage"),
            "/api/v1/indices/": first("/api/v1/indices"),
            "/indices/": first("/api/v1/indices"),
            "/api/v1/instruments/": first("/api/v1/instruments"),
            "/api/v1/futures/": first("/api/v1/instruments"),
            "/api/v1/surveys/": "AG-INGOT-CN-OUTPUT",
            "/surveys/": "AG-INGOT-CN-OUTPUT",
            "/entry/": "silver",
            "/feeds/": "precious-metals",
            "/methodology/": "precious-metals",
        }
        slug = first("/api/v1/articles", "slug")
    paths = []
    for route in route_table():
        if "GET" not in route.methods or route.path in STREAMS:
            continue  # a stream answers for as long as it is open: tests/delivery/test_stream.py
        path = route.path
        for prefix, value in fills.items():
            if path.startswith(prefix):
                path = path.replace("{code}", value)
        path = (
            path.replace("{code}", "AG-INGOT-CN-SPOT")
            .replace("{slug}", slug)
            .replace("{token}", "not-a-token")
            .replace("{assessment_id}", "1")
        )
        paths.append(path)
    return paths


STREAMS = {STREAM_PATH}


@pytest.mark.demo_market(days=14)
def test_every_route_family_at_once_leaves_the_pool_empty(
    market: ScratchDatabase, app: FastAPI, subscriber_key: dict[str, str]
) -> None:
    with serve_in_thread(app) as base:
        paths = _sample_paths(base, subscriber_key)
        assert len(paths) >= 40
        requests = [(p, h) for p in paths for h in ({}, subscriber_key)]
        outcomes = asyncio.run(_get_all(base, requests))
    failed = [o for o in outcomes if o.status is None or (o.status >= 500 and o.status != 503)]
    assert not failed, failed[:5]
    assert app.state.engine.pool.checkedout() == 0
    # Every admitted request was served inside the ledger (/healthz is not queued; a 503 of a
    # full queue never reached the app).
    admitted = sum(1 for o in outcomes if o.status != 503)
    assert app.state.checkouts.requests >= admitted - 2
    # (the app fixture checks that no request held two connections or kept one)


@pytest.fixture
def serve_workers(
    market: ScratchDatabase, tmp_path: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``metalwire serve --workers 2`` on the market's database, as an operator starts it."""
    port = _free_port()
    # A file, not a pipe: a line per request would fill a pipe nobody reads and stall the server.
    log = (tmp_path / "serve.log").open("wb")
    env = {
        **os.environ,
        "METALWIRE_DATABASE_URL": market.url,
        "METALWIRE_SHUTDOWN_TIMEOUT": "1",
        "METALWIRE_WORKER_THREADS": "4",
    }
    command = [sys.executable, "-m", "metalwire", "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None, (tmp_path / "serve.log").read_text()
        assert time.monotonic() < deadline, "metalwire serve --workers 2 did not start"
        time.sleep(0.2)
    try:
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _same_connection_after(base: str, idle: float) -> bool:
    """Two requests on one connection, ``idle`` seconds apart: does the server keep it open?
    (A poller reuses its connection; one closed under it is a failed request.)"""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        first = conn.sock
        time.sleep(idle)
        conn.request("GET", "/healthz")
        second = conn.sock  # http.client opens a new socket if it knew the old one was closed
        again = conn.getresponse()
        again.read()
    except (http.client.HTTPException, OSError):
        return False  # the server had closed it: the second request found it gone
    finally:
        conn.close()
    return again.status == 200 and first is not None and second is first


@pytest.mark.demo_market(days=14)
def test_two_workers_answer_a_burst_and_stop_on_sigterm_while_saturated(
    serve_workers: tuple[str, subprocess.Popen[bytes]], subscriber_key: dict[str, str]
) -> None:
    base, process = serve_workers
    assert_answered(burst(base, release_moment_mix(subscriber_key, 50)))
    assert _same_connection_after(base, idle=6.0), "an idle keep-alive connection was closed"

    async def terminate_under_load() -> float:
        load = asyncio.create_task(_get_all(base, release_moment_mix(subscriber_key, 150), 10))
        await asyncio.sleep(0.5)  # the workers are busy with the burst
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        while process.poll() is None and time.monotonic() - started < 15:
            await asyncio.sleep(0.05)
        stopped = time.monotonic() - started
        await load  # answered, refused or cut off: bounded either way
        return stopped

    stopped = asyncio.run(terminate_under_load())
    assert process.poll() is not None, "the server ignored SIGTERM"
    assert stopped < 5.0, f"SIGTERM took {stopped:.1f} s to stop a saturated server"


def test_no_connection_free_within_the_pool_timeout_is_a_clean_503(db: ScratchDatabase) -> None:
    engine = create_db_engine(db.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    small = create_app(load_settings(database_url=db.url), engine=engine)
    client = TestClient(small, raise_server_exceptions=False)
    try:
        with engine.connect():  # work outside any request holds the only connection
            for path in ("/api/v1/series", "/entry/silver", "/"):
                answer = client.get(path)
                assert answer.status_code == 503, (path, answer.text[:200])
                assert int(answer.headers["retry-after"]) >= 1
            assert (
                client.get("/api/v1/series")
                .headers["content-type"]
                .startswith("application/problem+json")
            )
            assert client.get("/healthz").status_code == 200  # on a connection of its own
        assert client.get("/api/v1/series").status_code == 200
        assert client.get("/entry/silver").status_code == 200
        assert engine.pool.checkedout() == 0
    finally:
        engine.dispose()
        small.state.health_engine.dispose()
