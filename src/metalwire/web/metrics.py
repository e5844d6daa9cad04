"""``/metrics`` for Prometheus: requests, latency, the queue, the pool, releases, the fast paths.

Two kinds of series. Counted ones (requests, their latency, queue refusals) are prometheus_client
counters and histograms; with several workers (``metalwire serve --workers N``) they live in
prometheus_client's multiprocess files (``PROMETHEUS_MULTIPROC_DIR``), so a scrape of any worker
sums all of them. Read ones (the queue's and the pool's state now, the fast paths' hits) are read
from the answering worker when it is scraped and labelled with its ``pid``: a gauge of one worker
cannot be summed from files it does not write. The count of released assessments is read from
the database at scrape time, on the health engine's own connection, with a deadline.

Nothing here says anything about a price that is not released: the one database figure is a
count of released assessments, and paths are reduced to a fixed set of route families (a raw
path would also make the series unbounded).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hmac
import os
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from metalwire.web.access import access
from metalwire.web.api import API_PREFIX
from metalwire.web.fast_history import HISTORY, LATEST
from metalwire.web.problems import PROBLEM_JSON

router = APIRouter(include_in_schema=False)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# From a 1 ms cached answer to the 10 s a request may take before someone notices.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
COUNT_DEADLINE = 0.8  # seconds, like the health check's ping
_API = API_PREFIX + "/"
FAMILIES = (
    *("api-history", "api-latest", "api-other", "page", "feed", "static", "health", "metrics"),
    "other",
)


def route_family(path: str, status: int) -> str:
    """One of a fixed set, whatever the path: the label must not grow with the URL space."""
    if path.startswith(_API):
        if path == LATEST:
            return "api-latest"
        return "api-history" if HISTORY.fullmatch(path) else "api-other"
    if path.startswith("/static/"):
        return "static"
    if path in ("/healthz", "/readyz"):
        return "health"
    if path == "/metrics":
        return "metrics"
    if path.startswith("/feeds/"):
        return "feed"
    # Anything no page answers (scanners asking for /wp-login.php) is not a page.
    return "other" if status == 404 else "page"


class Telemetry:
    """One worker's metrics. A registry of its own, so that apps built side by side (tests) do
    not count into each other; in multiprocess mode the values go to the shared files instead."""

    def __init__(self) -> None:
        # No ``_created`` series: they double the output, and multiprocess mode has none, so one
        # worker or several expose the same series.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.multiprocess_dir = os.environ.get(MULTIPROC_ENV) or None
        self.registry = CollectorRegistry(auto_describe=True)
        owner = None if self.multiprocess_dir else self.registry
        self.requests = Counter(
            "metalwire_http_requests",
            "HTTP requests answered, by method, route family and status.",
            ("method", "family", "status"),
            registry=owner,
        )
        self.duration = Histogram(
            "metalwire_http_request_duration_seconds",
            "Time from the request's arrival to its last byte, by method and route family.",
            ("method", "family"),
            buckets=BUCKETS,
            registry=owner,
        )
        self.refused = Counter(
            "metalwire_admission_refused",
            "Requests answered 503 by the queue: queue_full, or waited_too_long.",
            ("reason",),
            registry=owner,
        )
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        if self.multiprocess_dir:
            MultiProcessCollector(self.registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]

    def record(self, method: str, path: str, status: int, seconds: float) -> None:
        method = method if method in _METHODS else "other"
        family = route_family(path, status)
        key = (method, family, status)
        series = self._series.get(key)
        if series is None:
            # ``labels()`` takes a lock and builds a tuple on every call, the biggest part of the
            # cost per request: each combination (a few dozen at most) is looked up once.
            series = (
                self.requests.labels(method, family, str(status)),
                self.duration.labels(method, family),
            )
            self._series[key] = series
        series[0].inc()
        series[1].observe(seconds)

    def refusal(self, reason: str) -> None:
        self.refused.labels(reason).inc()

    def worker_stopped(self) -> None:
        """prometheus_client's bookkeeping for a worker that stops: its live gauges leave the
        shared files (there are none today: gauges are read at scrape time). Its counts stay:
        those requests were answered, and a counter that went down would read as a reset."""
        if self.multiprocess_dir:
            mark_process_dead(os.getpid(), self.multiprocess_dir)  # type: ignore[no-untyped-call]

    def render(self, state: Any, released: int | None) -> bytes:
        """The exposition text, this worker's read series included."""
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Forward(self.registry))
        registry.register(WorkerCollector(state, released))
        return generate_latest(registry)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


class WorkerCollector(Collector):
    """What the answering worker knows now, read at scrape time: costs nothing per request."""

    def __init__(self, state: Any, released: int | None) -> None:
        self.state = state
        self.released = released

    def collect(self) -> Iterator[Metric]:
        pid = str(os.getpid())
        admission = self.state.admission
        pool = self.state.engine.pool
        gauges: list[tuple[str, str, float | None]] = [
            ("metalwire_admission_active", "Requests being served now.", admission.active),
            ("metalwire_admission_waiting", "Requests queued for a slot now.", admission.waiting),
            ("metalwire_admission_capacity", "Requests served at once.", admission.capacity),
            (
                "metalwire_db_pool_checked_out",
                "Pooled connections in use.",
                _call(pool, "checkedout"),
            ),
            ("metalwire_db_pool_size", "Connections the pool keeps.", _call(pool, "size")),
        ]
        for name, documentation, value in gauges:
            if value is not None:
                gauge = GaugeMetricFamily(name, documentation + " Per worker.", labels=["pid"])
                gauge.add_metric([pid], value)
                yield gauge
        hits = CounterMetricFamily(
            "metalwire_fast_path_hits",
            "Answers sent by a fast path without the framework. Per worker.",
            labels=["pid", "path"],
        )
        hits.add_metric([pid, "history"], self.state.fast_history_hits)
        hits.add_metric([pid, "shared_page"], self.state.shared_page_hits)
        yield hits
        if self.released is not None:
            releases = CounterMetricFamily(
                "metalwire_releases",
                "Assessments approved and past their release time (versions, corrections "
                "included), read from the database at scrape time.",
            )
            releases.add_metric([], self.released)
            yield releases


def _call(pool: Any, name: str) -> float | None:
    method = getattr(pool, name, None)
    return float(method()) if callable(method) else None


def count_released(engine: Engine, now: dt.datetime) -> int | None:
    from metalwire.pricing.published import released_count

    try:
        with engine.connect() as connection:
            return released_count(connection, now)
    except SQLAlchemyError:
        return None


def _bearer_matches(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, credential = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        credential.strip().encode(), token.encode()
    )


def _problem(status: int, title: str, detail: str, **headers: str) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(
        body, status, media_type=PROBLEM_JSON, headers={"Cache-Control": "no-store", **headers}
    )


@router.get("/metrics")
@access("public")
async def metrics(request: Request) -> Response:
    state = request.app.state
    settings = state.settings
    if not settings.metrics:
        return _problem(404, "Not Found", "metrics are turned off (METALWIRE_METRICS)")
    if settings.metrics_token and not _bearer_matches(request, settings.metrics_token):
        return _problem(
            401,
            "Unauthorized",
            "metrics need the operator's bearer token",
            **{"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    telemetry: Telemetry = state.telemetry
    loop = asyncio.get_running_loop()
    counting = loop.run_in_executor(
        state.health_executor, count_released, state.health_engine, state.clock()
    )
    released: int | None
    try:
        released = await asyncio.wait_for(counting, COUNT_DEADLINE)
    except TimeoutError:
        released = None  # the series is left out of this scrape rather than the scrape failing
    # The multiprocess files are read from disk: off the event loop.
    body = await loop.run_in_executor(
        state.health_executor, functools.partial(telemetry.render, state, released)
    )
    # The 0.0.4 text format, as prometheus_client answers a scraper that asks for nothing else
    # (its CONTENT_TYPE_LATEST says 1.0.0, which Prometheus before 3.0 does not know).
    return Response(
        body, media_type=CONTENT_TYPE_PLAIN_0_0_4, headers={"Cache-Control": "no-store"}
    )
