"""The plans page: what each subscription plan opens, side by side, where "Subscribe" leads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from metalwire.accounts.entitlements import Entitlements
from metalwire.accounts.models import Plan
from metalwire.accounts.service import plan_entitlements
from metalwire.web.access import access
from metalwire.web.auth import CurrentPrincipal
from metalwire.web.deps import DbSession
from metalwire.web.pages.site import page

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class PlanRow:
    code: str
    name_en: str
    name_zh: str
    entitlements: Entitlements


def _breadth(row: PlanRow) -> tuple[bool, int]:
    days = row.entitlements.history_days
    return days is None, days or 0


def _local_next(value: str | None) -> str:
    """Only a path on this site (never an absolute URL: no open redirect through sign-in)."""
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


@router.get("/plans", response_class=HTMLResponse)
@access("public")
def plans_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    plans = [
        PlanRow(p.code, p.name_en, p.name_zh, plan_entitlements(p))
        for p in session.scalars(select(Plan))
    ]
    # Widest last: free, then longer histories, then the whole history.
    plans.sort(
        key=lambda r: (r.entitlements.history_days is None, r.entitlements.history_days or 0)
    )
    return page(
        request,
        "plans.html",
        plans=plans,
        current=None if principal.is_anonymous else principal.entitlements.plan,
        next_path=_local_next(next),
    )
