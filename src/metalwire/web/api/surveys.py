"""Survey statistics through the gate (tier, release time, history), and returns for the desk."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from metalwire.accounts.gate import (
    Decision,
    Principal,
    history_start,
    may_read_tier,
    may_read_value,
)
from metalwire.accounts.models import Scope
from metalwire.catalog.codes import CODE_PATTERN
from metalwire.catalog.models import Tier
from metalwire.pricing.schemas import BATCH_LIMIT
from metalwire.supply import service
from metalwire.supply.models import ReleaseStatus, Survey, SurveyRelease
from metalwire.supply.naming import NAME_LIMIT
from metalwire.supply.published import (
    latest_period,
    published_history,
    published_release,
    release_versions,
)
from metalwire.supply.returns import add_returns
from metalwire.supply.schemas import PERIOD_PATTERN, ReturnIn, ReturnsResult
from metalwire.tabular import ImportRejected
from metalwire.web.access import access
from metalwire.web.api.desk import WRITE_RESPONSES, acting_user, rejected_batch
from metalwire.web.api.prices import (
    NOT_FOUND,
    AsOf,
    FormatQuery,
    export_responses,
    moment,
    now_of,
)
from metalwire.web.auth import CurrentPrincipal, deny
from metalwire.web.deps import ApiLang, Code, DbSession
from metalwire.web.http_cache import cached, json_bytes, tabular
from metalwire.web.problems import invalid_parameter, not_found

router = APIRouter(tags=["surveys"])
Period = Annotated[str, Query(pattern=PERIOD_PATTERN, examples=["2025-10"])]
HISTORY_COLUMNS = (
    "period",
    "production",
    "mom_abs",
    "mom_pct",
    "yoy_pct",
    "inventory",
    "forecast_next",
    "status",
    "version",
)


class SurveyOut(BaseModel):
    code: str = Field(examples=["AG-INGOT-CN-OUTPUT"])
    name: str
    name_en: str
    name_zh: str
    entry: str
    group: str
    unit: str
    tier: str
    respondents: int
    latest_period: str | None = Field(description="Newest released period")


def known_survey(session: Session, code: str) -> Survey:
    survey = service.get_survey(session, code)
    if survey is None:
        raise not_found(f"no survey with code {code!r}")
    return survey


def gated_survey(session: Session, principal: Principal, code: str) -> Survey:
    survey = known_survey(session, code)
    decision = may_read_tier(principal, survey.tier.value, survey.entry.group.code)
    if not decision:
        raise deny(decision, f"the {survey.tier.value} survey {code}")
    return survey


@router.get("/surveys", response_model=list[SurveyOut], responses=NOT_FOUND)
@access("public")
def list_surveys(request: Request, session: DbSession, lang: ApiLang) -> list[SurveyOut]:
    """Every survey: what it covers, its unit, tier and newest released period."""
    now = now_of(request)
    return [
        SurveyOut(
            code=s.code,
            name=s.name_zh if lang == "zh" else s.name_en,
            name_en=s.name_en,
            name_zh=s.name_zh,
            entry=s.entry.code,
            group=s.entry.group.code,
            unit=s.unit,
            tier=s.tier.value,
            respondents=len(service.panel(session, s)),
            latest_period=latest_period(session, s, as_of=now),
        )
        for s in service.list_surveys(session)
    ]


def period_history_date(period: str, release_at: dt.datetime | None) -> dt.date:
    """The date a plan's history window measures a monthly statistic by: its release, when the
    month became known (the month's first day would put last month's survey out of a 30-day
    window before it is even released)."""
    if release_at is not None:
        return release_at.date()
    year, month = service.parse_period(period)
    return dt.date(year, month, 1)


def period_decision(
    principal: Principal,
    survey: Survey,
    period: str,
    row: SurveyRelease | None,
    now: dt.datetime,
    today: dt.date | None = None,
) -> Decision:
    """Whether a period's statistics are the caller's to read at ``now``: released, the plan's
    tier and group, within its history (measured from ``today``, the real one; default: now's)."""
    return may_read_value(
        principal,
        tier=survey.tier.value,
        group=survey.entry.group.code,
        market_date=period_history_date(period, row.release_at if row else None),
        release_at=row.release_at if row else None,
        now=now,
        today=now.date() if today is None else today,
    )


@router.get(
    "/surveys/{code}/stats",
    responses={200: {"description": "The released statistics with provenance"}, **NOT_FOUND},
    response_class=Response,
)
@access("gated")
def survey_stats(
    code: Code,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    period: Period,
    as_of: AsOf = None,
) -> Response:
    """A period's released statistics: production and its changes (matched sample), provinces,
    producer types, inventory, forecast, reasons, imputation and panel changes, coverage,
    status (preliminary/final) and every released version."""
    survey = gated_survey(session, principal, code)
    instant = moment(request, as_of)
    row = published_release(session, survey, period, as_of=instant)
    # A plan's window runs from the real today, whatever as_of says.
    decision = period_decision(principal, survey, period, row, instant, now_of(request).date())
    if row is None or not decision:
        if row is not None and decision.reason is not None and decision.reason.value == "history":
            raise deny(decision, f"{code} {period} (history beyond your plan)")
        raise not_found(f"no released statistics for {code} {period}")
    versions = release_versions(session, survey, period, as_of=instant)
    body: dict[str, Any] = {
        **row.stats,
        "released_at": row.release_at.isoformat(),
        "versions": [
            {
                "version": v.version,
                "status": v.status.value,
                "production": v.stats.get("production"),
                "released_at": v.release_at.isoformat(),
            }
            for v in versions
        ],
    }
    return cached(request, principal, json_bytes(body), "application/json")


@router.get(
    "/surveys/{code}/history",
    responses=export_responses("Totals per period"),
    response_class=Response,
)
@access("gated")
def survey_history(
    code: Code,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    start: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
    end: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
    as_of: AsOf = None,
    format: FormatQuery = "json",
) -> Response:
    """Released totals as a time series (the latest version of each period)."""
    survey = gated_survey(session, principal, code)
    instant = moment(request, as_of)
    first_day = history_start(
        principal, service.period_start(start) if start else None, now_of(request).date()
    )
    first = service.period_of(first_day) if first_day else None
    rows = published_history(session, survey, as_of=instant, start=first, end=end)
    items = [
        {
            "period": r.period,
            **{k: r.stats.get(k) for k in HISTORY_COLUMNS[1:-2]},
            "status": r.status.value,
            "version": r.version,
        }
        for r in rows
    ]
    body = {
        "survey": survey.code,
        "unit": survey.unit,
        "as_of": instant.isoformat(),
        "items": items,
    }
    return tabular(
        request,
        principal,
        format,
        f"{survey.code}-history",
        HISTORY_COLUMNS,
        [[i[c] for c in HISTORY_COLUMNS] for i in items],
        body,
    )


@router.post(
    "/surveys/{code}/returns",
    status_code=201,
    response_model=ReturnsResult,
    responses={**WRITE_RESPONSES, 404: {"description": "No such survey"}},
)
@access("write")
def post_returns(
    code: Code,
    session: DbSession,
    principal: CurrentPrincipal,
    body: Annotated[
        ReturnIn | Annotated[list[ReturnIn], Field(max_length=BATCH_LIMIT)],
        Body(),
    ],
) -> ReturnsResult:
    """Enter one return or a batch (all or nothing); unknown respondents join the panel."""
    user = acting_user(session, principal, Scope.SUBMIT, "enter survey returns")
    survey = known_survey(session, code)
    items = body if isinstance(body, list) else [body]
    try:
        return add_returns(session, survey, items, actor=user.email)
    except ImportRejected as exc:
        raise rejected_batch(exc) from None


class SurveyIn(BaseModel):
    """A new survey: its names in both languages (each left out is made from the entry's; a
    Chinese name is written in Chinese), its entry, unit and tier."""

    code: str = Field(pattern=CODE_PATTERN, examples=["AG-INGOT-CN-OUTPUT"])
    entry: str = Field(min_length=1, max_length=100, examples=["silver"])
    unit: str = Field(default="mt", max_length=16, examples=["mt"])
    name_en: str | None = Field(
        default=None, max_length=NAME_LIMIT, examples=["China silver ingot output"]
    )
    name_zh: str | None = Field(default=None, max_length=NAME_LIMIT, examples=["中国银锭产量"])
    tier: Tier = Tier.PREMIUM


@router.post(
    "/surveys",
    status_code=201,
    response_model=SurveyOut,
    responses=WRITE_RESPONSES,
)
@access("write")
def post_survey(session: DbSession, principal: CurrentPrincipal, body: SurveyIn) -> SurveyOut:
    """Create a survey under a catalog entry, named in English and Chinese."""
    user = acting_user(session, principal, Scope.PUBLISH, "create a survey")
    survey = service.create_survey(
        session,
        body.code,
        entry=body.entry,
        unit="mt" if body.unit == "t" else body.unit,
        name_en=body.name_en,
        name_zh=body.name_zh,
        tier=body.tier,
        actor=user.email,
    )
    return SurveyOut(
        code=survey.code,
        name=survey.name_en,
        name_en=survey.name_en,
        name_zh=survey.name_zh,
        entry=survey.entry.code,
        group=survey.entry.group.code,
        unit=survey.unit,
        tier=survey.tier.value,
        respondents=0,
        latest_period=None,
    )


class ReleaseRequest(BaseModel):
    period: str = Field(pattern=PERIOD_PATTERN)
    status: ReleaseStatus = ReleaseStatus.PRELIMINARY


class ReleaseOut(BaseModel):
    survey: str
    period: str
    version: int
    status: str
    release_at: dt.datetime


@router.post(
    "/surveys/{code}/releases",
    status_code=201,
    response_model=ReleaseOut,
    responses={**WRITE_RESPONSES, 404: {"description": "No such survey"}},
)
@access("write")
def post_release(
    code: Code, session: DbSession, principal: CurrentPrincipal, body: ReleaseRequest
) -> ReleaseOut:
    """Freeze and publish a period's statistics (a revision adds a version; both are kept)."""
    user = acting_user(session, principal, Scope.PUBLISH, "release survey statistics")
    survey = known_survey(session, code)
    try:
        row = service.release(session, survey, body.period, status=body.status, user=user)
    except service.SupplyError as exc:
        raise invalid_parameter("period", exc.problems[0].message, location="body") from None
    return ReleaseOut(
        survey=code,
        period=row.period,
        version=row.version,
        status=row.status.value,
        release_at=row.release_at,
    )
