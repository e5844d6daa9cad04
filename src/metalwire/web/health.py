"""Liveness with a real database round trip, for load balancers and monitors.

It must answer within a second while the worker is saturated, so it is served on the event loop
ahead of the request queue (``web/admission.py``) and pings the database on a connection of its
own (outside the request pool, which may be exhausted), in a thread of its own, with a deadline.
A saturated worker says ``degraded`` with 200: it still answers, and a balancer that took it out
of rotation for being busy would only move the burst onto its neighbours.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from metalwire.web.access import access
from metalwire.web.admission import AdmissionStats

router = APIRouter(include_in_schema=False)
PING_DEADLINE = 0.8  # seconds


def _ping(engine: Engine) -> str:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return exc.__class__.__name__
    return "ok"


@router.get("/healthz")
@access("public")
async def healthz(request: Request) -> JSONResponse:
    state = request.app.state
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    ping = loop.run_in_executor(state.health_executor, _ping, state.health_engine)
    try:
        database = await asyncio.wait_for(ping, PING_DEADLINE)
    except TimeoutError:
        database = "slow"
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
