"""The FastAPI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.middleware.gzip import GZipMiddleware

from metalwire import __version__
from metalwire.accounts.ratelimit import RateLimiter
from metalwire.db.base import utcnow
from metalwire.db.checkouts import CheckoutLedger
from metalwire.db.engine import (
    create_db_engine,
    health_engine,
    make_sessionmaker,
    pool_capacity,
    request_pool,
    write_lock,
)
from metalwire.db.migrate import code_heads, ensure_migrated
from metalwire.settings import Settings, get_settings
from metalwire.web import draining, health, metrics
from metalwire.web.admission import Admission, AdmissionStats
from metalwire.web.api import API_PREFIX, api_router, stream
from metalwire.web.api import ROUTERS as API_ROUTERS
from metalwire.web.body_cache import BodyCache
from metalwire.web.fast_history import FastHistory
from metalwire.web.gzip_parts import LEVEL, MINIMUM_SIZE, UNCOMPRESSED_MEDIA_TYPES
from metalwire.web.nul_guard import NulGuard
from metalwire.web.offload import fast_path_executor, fast_path_threads
from metalwire.web.openapi import install_openapi
from metalwire.web.pages import (
    account,
    alerts,
    articles,
    complaints,
    desk,
    governance,
    markets,
    methodology,
    plans,
    series,
    site,
    surveys,
    webhooks,
)
from metalwire.web.problems import install_problem_handlers
from metalwire.web.release_hub import ReleaseHub
from metalwire.web.request_log import RequestLog
from metalwire.web.security_headers import SecurityHeaders
from metalwire.web.shared_pages import SharedPages
from metalwire.web.signed_in_pages import SignedInPages

API_DESCRIPTION = """
The metalwire API: the commodity catalog, price series and (as the platform grows) assessments,
survey statistics, indices, arbitrage windows and articles.

Conventions: JSON by default; errors are RFC 9457 `application/problem+json` naming the bad
parameter; lists are paginated by an opaque `cursor`, with the next page's URL in `next` and in a
`Link: <...>; rel="next"` header; prices are decimal strings, never binary floats.
"""


PAGE_ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    metrics.router,
    site.router,
    account.router,
    methodology.router,
    governance.router,
    plans.router,
    articles.router,
    markets.router,
    series.router,
    surveys.router,
    *desk.ROUTERS,
    alerts.router,
    webhooks.router,
    complaints.router,
)


@dataclass(frozen=True)
class RouteEntry:
    path: str
    methods: frozenset[str]
    endpoint: Callable[..., Any]


def route_table() -> list[RouteEntry]:
    """Every route the app serves, flattened: what the access matrix test walks."""
    table = []
    for prefix, routers in (
        ("", PAGE_ROUTERS),
        (API_PREFIX, API_ROUTERS),
        ("", (stream.router,)),  # /api/v1/stream, outside the API router
    ):
        for router in routers:
            for route in router.routes:
                if isinstance(route, APIRoute):
                    table.append(
                        RouteEntry(
                            prefix + route.path, frozenset(route.methods or ()), route.endpoint
                        )
                    )
    return table


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app; refuses a database whose schema is not migrated."""
    settings = settings or get_settings()
    engine = engine or create_db_engine(settings.database_url, **request_pool(settings))
    ensure_migrated(engine)
    health_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="metalwire-health")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        draining.watch_signals(app.state)
        yield
        app.state.draining = True
        app.state.release_hub.stop()
        health_executor.shutdown(wait=False, cancel_futures=True)
        app.state.health_engine.dispose()
        app.state.telemetry.worker_stopped()

    app = FastAPI(
        lifespan=lifespan,
        title="metalwire API",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI loads from a CDN; the platform must run offline
        redoc_url=None,
        # Asked per request even with no provider configured: off unless the operator wants it
        # (/metrics and the JSON access log are the platform's own telemetry).
        telemetry=None
        if settings.opentelemetry
        else {"tracing": False, "metrics": False, "logs": False},
    )
    _keep_worker_state(app, settings, engine, health_executor)
    _add_layers_and_routes(app)
    # Everything built so far (modules, templates, routes) lives as long as the worker: keep it
    # out of the collector's full passes, which otherwise stall a request for 100 ms or more.
    gc.freeze()
    return app


def _keep_worker_state(
    app: FastAPI, settings: Settings, engine: Engine, health_executor: ThreadPoolExecutor
) -> None:
    """What every request of this worker shares: the engine, the admission it is sized by,
    the executors, caches, clock, rate limiter and telemetry."""
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    # One connection per admitted request, so the worker admits no more requests than its pool
    # holds connections: an admitted request never waits for one.
    app.state.checkouts = CheckoutLedger()
    app.state.checkouts.watch(engine)
    app.state.admission = AdmissionStats(
        capacity=min(settings.worker_threads, pool_capacity(engine)),
        queue_limit=settings.queue_limit,
        queue_timeout=settings.queue_timeout,
    )
    app.state.fast_executor = fast_path_executor(
        fast_path_threads(settings, engine, app.state.admission.capacity)
    )
    app.state.health_engine = health_engine(engine)
    app.state.health_executor = health_executor
    app.state.clock = utcnow  # tests may set a fixed clock
    app.state.body_cache = BodyCache()
    app.state.release_hub = ReleaseHub(app.state.sessions, lambda: app.state.clock())
    app.state.fast_history_hits = 0
    app.state.shared_page_hits = 0
    app.state.redis = None
    app.state.schema_heads = code_heads()  # create_app refused any other schema above
    app.state.draining = False  # /readyz says 503 from the stop signal on
    app.state.telemetry = metrics.Telemetry()
    if settings.redis_url:
        import redis

        app.state.redis = redis.Redis.from_url(settings.redis_url, socket_timeout=2)
    app.state.write_lock = write_lock(engine)
    app.state.rate_limiter = RateLimiter(
        app.state.sessions, app.state.redis, write_lock=app.state.write_lock
    )


def _add_layers_and_routes(app: FastAPI) -> None:
    """The layers in front of the framework, outermost last, and the routes behind them."""
    install_problem_handlers(app, site.error_page)
    install_openapi(app)
    # Pages, styles, scripts and feeds go compressed; JSON and CSV answers do not.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=MINIMUM_SIZE,
        compresslevel=LEVEL,
        exclude_content_types=UNCOMPRESSED_MEDIA_TYPES,
    )
    app.add_middleware(FastHistory)
    app.add_middleware(SharedPages)  # outside the compression: it keeps the compressed bytes
    app.add_middleware(SignedInPages)  # keeps pages uncompressed, fills in the reader, compresses
    app.add_middleware(
        Admission,
        stats=app.state.admission,
        ledger=app.state.checkouts,
        refused=app.state.telemetry.refusal,
    )
    app.add_middleware(NulGuard)  # nothing below sees a NUL character
    app.add_middleware(SecurityHeaders)  # refusals and errors carry them too
    # Outermost: every answer (refusals, fast paths) gets a request id, a log line and a count.
    app.add_middleware(RequestLog, record=app.state.telemetry.record)
    app.include_router(api_router())
    app.include_router(stream.router)  # outside the API router: it keeps no request session
    for router in PAGE_ROUTERS:
        app.include_router(router)
    static = resources.files("metalwire.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
