"""JSON API v1: one router per domain, all mounted under /api/v1."""

from fastapi import APIRouter

from metalwire.web.api import catalog


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    router.include_router(catalog.router)
    return router
