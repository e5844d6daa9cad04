"""Liveness with a real database round trip, for load balancers and monitors."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from metalwire.web.access import access

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
@access("public")
def healthz(request: Request) -> JSONResponse:
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "error", "database": str(exc.__class__.__name__)}, 503)
    return JSONResponse({"status": "ok", "database": "ok"})
