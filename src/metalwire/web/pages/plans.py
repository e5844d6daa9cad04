"""The plans page: what each subscription plan opens, side by side, where "Subscribe" leads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.entitlements import Entitlements
from metalwire.accounts.gate import may_read_tier, principal_for
from metalwire.accounts.models import Plan, Role
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


def plan_rows(session: Session) -> list[PlanRow]:
    """Every plan, the narrowest first: free, then longer histories, then the whole history."""
    rows = [
        PlanRow(p.code, p.name_en, p.name_zh, plan_entitlements(p))
        for p in session.scalars(select(Plan).order_by(Plan.code))
    ]
    return sorted(rows, key=_breadth)


def opening_plan(session: Session, tier: str, group: str | None, lang: str) -> str | None:
    """The name (in ``lang``) of the narrowest plan that opens a series, survey or article of
    this tier and catalog group, as the gate judges it (None: no plan does)."""
    for row in plan_rows(session):
        reader = principal_for(None, None, Role.READER, row.entitlements)
        if may_read_tier(reader, tier, group):
            return row.name_zh if lang == "zh" else row.name_en
    return None


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
    plans = plan_rows(session)  # widest last
    return page(
        request,
        "plans.html",
        plans=plans,
        current=None if principal.is_anonymous else principal.entitlements.plan,
        next_path=_local_next(next),
    )
