"""The series lifecycle over the API: define a series, change its release time or tier from an
effective date, discontinue it with advance notice. The same service as `metalwire series ...`
(catalog/lifecycle_service.py); an editor's act (scope ``publish``), since each change is
published as a notice and a tier decides who reads the series."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from metalwire.accounts.models import Scope
from metalwire.catalog import lifecycle_service as lifecycle
from metalwire.catalog.models import Tier
from metalwire.catalog.schemas import SeriesDefinition, SeriesOut
from metalwire.tabular import Window
from metalwire.web.access import access
from metalwire.web.api.catalog import series_out
from metalwire.web.api.corrections import SeriesNoticeOut
from metalwire.web.api.desk import WRITE_RESPONSES, acting_user
from metalwire.web.api.prices import now_of
from metalwire.web.auth import CurrentPrincipal
from metalwire.web.deps import ApiLang, Code, DbSession

router = APIRouter(tags=["desk"])

EffectiveDate = Annotated[
    dt.date, Window(), Field(description="The first market date the change applies to")
]
Notice = Annotated[
    str,
    Field(min_length=1, max_length=lifecycle.NOTICE_LIMIT, description="The public notice"),
]


class SeriesChangeIn(BaseModel):
    effective: EffectiveDate
    notice: Notice
    release_time: dt.time | None = Field(
        default=None, description="The new release time (HH:MM); or `tier`", examples=["10:00"]
    )
    tier: Tier | None = Field(default=None, description="The new tier; or `release_time`")


class DiscontinuationIn(BaseModel):
    effective: EffectiveDate
    notice: Notice


def _apply_due(session: Session, request: Request, actor: str) -> None:
    """Like every lifecycle command: changes already due reach the columns the gate reads."""
    lifecycle.apply_due(session, today=now_of(request).date(), actor=actor)


@router.post("/series", status_code=201, response_model=SeriesOut, responses=WRITE_RESPONSES)
@access("write")
def create_series(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    body: SeriesDefinition,
    lang: ApiLang,
) -> SeriesOut:
    """Define a new series (a code not yet used: `409` otherwise), announced by a notice."""
    user = acting_user(session, principal, Scope.PUBLISH, "define series")
    series = lifecycle.create_series(session, body, actor=user.email)
    _apply_due(session, request, user.email)
    return series_out(series, lang)


@router.post(
    "/series/{code}/changes",
    status_code=201,
    response_model=SeriesNoticeOut,
    responses=WRITE_RESPONSES,
)
@access("write")
def change_series(
    code: Code,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    body: SeriesChangeIn,
) -> dict[str, str | None]:
    """A new release time or tier from a later market date on, with its public notice; earlier
    dates keep theirs."""
    user = acting_user(session, principal, Scope.PUBLISH, "change series")
    change = lifecycle.change_series(
        session,
        code,
        effective=body.effective,
        notice=body.notice,
        actor=user.email,
        release_time=body.release_time,
        tier=body.tier,
        now=now_of(request),
    )
    _apply_due(session, request, user.email)
    return lifecycle.notice_record(change)


@router.post(
    "/series/{code}/discontinuation",
    status_code=201,
    response_model=SeriesNoticeOut,
    responses=WRITE_RESPONSES,
)
@access("write")
def discontinue_series(
    code: Code,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    body: DiscontinuationIn,
) -> dict[str, str | None]:
    """No value from a later market date on, announced with a notice; the history stays."""
    user = acting_user(session, principal, Scope.PUBLISH, "discontinue series")
    change = lifecycle.discontinue_series(
        session,
        code,
        effective=body.effective,
        notice=body.notice,
        actor=user.email,
        now=now_of(request),
    )
    _apply_due(session, request, user.email)
    return lifecycle.notice_record(change)
