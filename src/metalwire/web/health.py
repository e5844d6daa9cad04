"""Liveness (``/healthz``) and readiness (``/readyz``), with a real database round trip.

It must answer within a second while the worker is saturated, so it is served on the event loop
ahead of the request queue (``web/admission.py``) and pings the database on a connection of its
own (outside the request pool, which may be exhausted), in a thread of its own, with a deadline.
A saturated worker says ``degraded`` with 200: it still answers, and a balancer that took it out
of rotation for being busy would only move the burst onto its neighbours.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from metalwire.web.access import access
from metalwire.web.admission import AdmissionStats
from metalwire.web.problems import PROBLEM_JSON

router = APIRouter(include_in_schema=False)
PING_DEADLINE = 0.8  # seconds
T = TypeVar("T")


def _ping(engine: Engine) -> str:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return exc.__class__.__name__
    return "ok"


async def _within_deadline(state: Any, check: Callable[[Engine], T]) -> T | str:
    """``check`` on the health engine in the health thread; "slow" when it does not answer
    within PING_DEADLINE (the thread goes on, the answer does not wait for it)."""
    loop = asyncio.get_running_loop()
    ping = loop.run_in_executor(state.health_executor, check, state.health_engine)
    try:
        return await asyncio.wait_for(ping, PING_DEADLINE)
    except TimeoutError:
        return "slow"


@router.get("/healthz")
@access("public")
async def healthz(request: Request) -> JSONResponse:
    state = request.app.state
    started = time.perf_counter()
    database = await _within_deadline(state, _ping)
    waited = round((time.perf_counter() - started) * 1000, 1)
    admission: AdmissionStats = state.admission
    pool = state.engine.pool
    body: dict[str, Any] = {
        "status": "ok",
        "database": database,
        "database_ms": waited,
        "requests": admission.as_dict(),
        "pool": {"size": _pool_size(pool), "checked_out": _checked_out(pool)},
    }
    if database not in ("ok", "slow"):
        body["status"] = "error"
        return JSONResponse(body, 503, headers={"Cache-Control": "no-store"})
    if database == "slow" or admission.saturated or admission.waiting:
        body["status"] = "degraded"
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _pool_size(pool: Any) -> int | None:
    size = getattr(pool, "size", None)
    return int(size()) if callable(size) else None


def _checked_out(pool: Any) -> int | None:
    checked = getattr(pool, "checkedout", None)
    return int(checked()) if callable(checked) else None


def _revision(engine: Engine) -> set[str] | str:
    """The schema's revisions, read on the health engine: a ping and the schema check in one."""
    from metalwire.db.migrate import database_heads

    try:
        return database_heads(engine)
    except SQLAlchemyError as exc:
        return exc.__class__.__name__


@router.get("/readyz")
@access("public")
async def readyz(request: Request) -> JSONResponse:
    """Readiness for a balancer: 200 only while this worker can serve a request right now.

    Unlike ``/healthz`` (liveness: a busy worker is still alive, and says ``degraded``), this
    says 503 when the database does not answer within the deadline, when its schema is not the
    one the code was built for (a newer release migrated it), and once the worker is stopping,
    so that a balancer sends the next request elsewhere."""
    state = request.app.state
    problem = None
    if state.draining:
        problem = "the worker is shutting down"
    else:
        revision = await _within_deadline(state, _revision)
        if isinstance(revision, str):
            problem = f"the database did not answer within {PING_DEADLINE} s ({revision})"
        elif revision != state.schema_heads:
            problem = "the database schema is not the one this code expects"
    if problem is None:
        return JSONResponse({"status": "ready"}, headers={"Cache-Control": "no-store"})
    body = {
        "type": "urn:metalwire:problem:not-ready",
        "title": "Service Unavailable",
        "status": 503,
        "detail": problem,
        "instance": "/readyz",
    }
    return JSONResponse(
        body,
        503,
        media_type=PROBLEM_JSON,
        headers={"Cache-Control": "no-store", "Retry-After": "5"},
    )
