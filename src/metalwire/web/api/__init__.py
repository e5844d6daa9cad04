"""JSON API v1: one router per domain, all mounted under /api/v1."""

from fastapi import APIRouter, Depends

from metalwire.web.api import catalog, desk, prices
from metalwire.web.auth import enforce_rate_limit


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(enforce_rate_limit)])
    router.include_router(catalog.router)
    router.include_router(prices.router)
    router.include_router(desk.router)
    return router
