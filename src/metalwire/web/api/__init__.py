"""JSON API v1: one router per domain, all mounted under /api/v1 behind the rate limit."""

from fastapi import APIRouter, Depends

from metalwire.web.api import (
    articles,
    assessments,
    catalog,
    complaints,
    compliance,
    contributors,
    corrections,
    desk,
    disclosure,
    governance,
    markets,
    price_exports,
    prices,
    series_desk,
    surveys,
    webhooks,
)
from metalwire.web.auth import enforce_rate_limit
from metalwire.web.problems import Problem

API_PREFIX = "/api/v1"
ROUTERS: tuple[APIRouter, ...] = (
    catalog.router,
    prices.router,
    assessments.router,
    disclosure.router,
    corrections.router,
    price_exports.router,
    desk.router,
    series_desk.router,
    compliance.router,
    governance.router,
    complaints.router,
    contributors.router,
    surveys.router,
    articles.router,
    markets.router,
    webhooks.router,
)


def api_router() -> APIRouter:
    router = APIRouter(
        prefix=API_PREFIX,
        dependencies=[Depends(enforce_rate_limit)],
        responses={
            401: {"model": Problem, "description": "The API key is invalid or revoked"},
            429: {"model": Problem, "description": "Rate limit exceeded; see Retry-After"},
        },
    )
    for domain in ROUTERS:
        router.include_router(domain)
    return router
