"""The analyst desk over the API: submit evidence, assess, override, approve, correct.

Writes need a role and, with an API key, the key's scope (accounts.gate.may_act). Drafts are
visible to staff only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from metalwire.accounts.gate import Principal, may_act, may_see_drafts
from metalwire.accounts.models import Scope, User
from metalwire.catalog.units import plain, round_price
from metalwire.importing import item_field
from metalwire.pricing.assessing import assess_day, get_assessment, override
from metalwire.pricing.desk import PricingError
from metalwire.pricing.models import Assessment
from metalwire.pricing.partner import enter_partner_value
from metalwire.pricing.review import approve_assessment, correct, drafts_on
from metalwire.pricing.schemas import (
    BATCH_LIMIT,
    CODE_LIMIT,
    NOTE_LIMIT,
    HandPrice,
    SubmissionIn,
    SubmissionsResult,
)
from metalwire.pricing.submissions import add_submissions
from metalwire.tabular import ImportRejected, Window
from metalwire.web.access import access
from metalwire.web.auth import CurrentPrincipal, deny
from metalwire.web.deps import DbSession, RowId
from metalwire.web.problems import (
    PROBLEM_RESPONSES,
    InvalidParam,
    Problem,
    ProblemError,
    not_found,
    service_problem,
)

router = APIRouter(tags=["desk"])
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not signed in and no API key"},
    403: {"model": Problem, "description": "The role or the key's scope does not allow it"},
    404: {"model": Problem, "description": "No such assessment"},
    409: {"model": Problem, "description": "Four eyes: the approver assessed it"},
    **PROBLEM_RESPONSES,
}


def rejected_batch(exc: ImportRejected) -> ProblemError:
    """A posted batch refused whole: 422 naming each bad item's field (``2.price``)."""
    params = [
        InvalidParam(name=item_field(problem), location="body", reason=problem.message)
        for problem in exc.problems
    ]
    return ProblemError(
        422, "; ".join(exc.lines()), kind="invalid-parameter", invalid_params=params
    )


def acting_user(session: Session, principal: Principal, scope: Scope, what: str) -> User:
    decision = may_act(principal, scope)
    if not decision:
        if principal.is_anonymous:
            raise ProblemError(
                401,
                f"sign in or send an API key to {what}",
                kind="unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
        raise deny(decision, what)
    user = session.get(User, principal.user_id)
    assert user is not None
    return user


class DraftOut(BaseModel):
    id: int
    series: str
    date: dt.date
    version: int
    status: str
    low: str
    high: str
    mid: str
    vwap: str | None
    method: str
    deals_used: int
    volume_used: str
    excluded: list[dict[str, Any]]
    explanation: str
    rationale: str | None
    assessor: str
    correction_reason: str | None


def draft_out(row: Assessment) -> DraftOut:
    d = row.series.decimals
    return DraftOut(
        id=row.id,
        series=row.series.code,
        date=row.market_date,
        version=row.version,
        status=row.status.value,
        low=str(round_price(row.low, d)),
        high=str(round_price(row.high, d)),
        mid=str(round_price(row.mid, d)),
        vwap=None if row.vwap is None else str(round_price(row.vwap, d)),
        method=row.method.value,
        deals_used=row.deals_used,
        volume_used=plain(row.volume_used),
        excluded=row.explanation.get("excluded", []),
        explanation=row.explanation.get("explanation", ""),
        rationale=row.rationale,
        assessor=row.assessor.email,
        correction_reason=row.correction_reason,
    )


@router.post(
    "/submissions", status_code=201, response_model=SubmissionsResult, responses=WRITE_RESPONSES
)
@access("write")
def post_submissions(
    session: DbSession,
    principal: CurrentPrincipal,
    body: Annotated[
        SubmissionIn | Annotated[list[SubmissionIn], Field(max_length=BATCH_LIMIT)],
        Body(),
    ],
) -> SubmissionsResult:
    """Submit one piece of market evidence, or a batch (all or nothing)."""
    user = acting_user(session, principal, Scope.SUBMIT, "submit market evidence")
    items = body if isinstance(body, list) else [body]
    try:
        ids, present = add_submissions(session, items, actor=user.email)
    except ImportRejected as exc:
        raise rejected_batch(exc) from None
    return SubmissionsResult(added=len(ids), already_present=present, ids=ids)


MarketDate = Annotated[dt.date, Window()]


class AssessRequest(BaseModel):
    date: MarketDate
    series: str | None = Field(
        default=None, max_length=CODE_LIMIT, description="One series code; default: every one"
    )


class AssessResult(BaseModel):
    drafts: list[DraftOut]
    skipped: list[dict[str, str]]


@router.post("/assessments/run", response_model=AssessResult, responses=WRITE_RESPONSES)
@access("write")
def run_assessment(
    session: DbSession, principal: CurrentPrincipal, body: AssessRequest
) -> AssessResult:
    """Create or refresh the draft assessments of a market date from its submissions."""
    user = acting_user(session, principal, Scope.SUBMIT, "assess prices")
    try:
        run = assess_day(session, body.date, user=user, series_code=body.series)
    except PricingError as exc:
        raise service_problem(exc) from None
    return AssessResult(
        drafts=[draft_out(a) for a in run.assessments],
        skipped=[{"series": c, "reason": r} for c, r in run.skipped],
    )


@router.get("/desk/assessments", response_model=list[DraftOut], responses=WRITE_RESPONSES)
@access("staff")
def desk_drafts(
    session: DbSession,
    principal: CurrentPrincipal,
    date: Annotated[dt.date, Query(description="Market date")],
) -> list[DraftOut]:
    """Draft (unapproved) assessments of a date: the desk's work queue. Staff only."""
    decision = may_see_drafts(principal)
    if not decision:
        raise deny(decision, "the desk")
    return [draft_out(a) for a in drafts_on(session, date)]


class OverrideRequest(BaseModel):
    low: HandPrice
    high: HandPrice
    rationale: str = Field(
        min_length=1,
        max_length=NOTE_LIMIT,
        description="Required: why judgment replaces the rule",
    )


@router.post(
    "/assessments/{assessment_id}/override", response_model=DraftOut, responses=WRITE_RESPONSES
)
@access("write")
def override_assessment(
    assessment_id: RowId, session: DbSession, principal: CurrentPrincipal, body: OverrideRequest
) -> DraftOut:
    """Replace a draft's result by judgment, with a written rationale."""
    user = acting_user(session, principal, Scope.SUBMIT, "override assessments")
    try:
        row = override(
            session,
            assessment_id,
            low=body.low,
            high=body.high,
            rationale=body.rationale,
            user=user,
        )
    except PricingError as exc:
        raise service_problem(exc) from None
    return draft_out(row)


@router.post(
    "/assessments/{assessment_id}/approve", response_model=DraftOut, responses=WRITE_RESPONSES
)
@access("write")
def approve(assessment_id: RowId, session: DbSession, principal: CurrentPrincipal) -> DraftOut:
    """Approve a draft (four eyes: not by its assessor); it is released at its release time."""
    user = acting_user(session, principal, Scope.PUBLISH, "approve assessments")
    if get_assessment(session, assessment_id) is None:
        raise not_found(f"assessment {assessment_id} not found")
    try:
        row = approve_assessment(session, assessment_id, user=user)
    except PricingError as exc:
        raise ProblemError(422, str(exc), kind="invalid-parameter") from None
    # FourEyes passes through: its type answers 409 "four-eyes" (web/problems.py).
    return draft_out(row)


class CorrectionRequest(BaseModel):
    series: str = Field(max_length=CODE_LIMIT)
    date: MarketDate
    low: HandPrice
    high: HandPrice
    reason: str = Field(
        min_length=1, max_length=NOTE_LIMIT, description="Published with the correction notice"
    )


@router.post("/corrections", status_code=201, response_model=DraftOut, responses=WRITE_RESPONSES)
@access("write")
def propose_correction(
    session: DbSession, principal: CurrentPrincipal, body: CorrectionRequest
) -> DraftOut:
    """Draft a correction (a new version); another editor approves it to publish the notice."""
    user = acting_user(session, principal, Scope.SUBMIT, "correct prices")
    try:
        row = correct(
            session,
            body.series,
            body.date,
            low=body.low,
            high=body.high,
            reason=body.reason,
            user=user,
        )
    except PricingError as exc:
        raise service_problem(exc) from None
    return draft_out(row)


class PartnerValueIn(BaseModel):
    series: str = Field(max_length=CODE_LIMIT, description="A licensed (partner) series")
    date: MarketDate
    low: HandPrice
    high: HandPrice = Field(description="The partner's high (= low for one price)")
    reference: str = Field(
        default="", max_length=NOTE_LIMIT, description="The partner's delivery, e.g. its file"
    )


@router.post("/partner-values", status_code=201, response_model=DraftOut, responses=WRITE_RESPONSES)
@access("write")
def post_partner_value(
    session: DbSession, principal: CurrentPrincipal, body: PartnerValueIn
) -> DraftOut:
    """A licensed series' value as the partner delivered it: a draft (the day's draft replaced)
    that another editor approves; shown with the licensor and terms like every licensed value."""
    user = acting_user(session, principal, Scope.SUBMIT, "enter partner values")
    row = enter_partner_value(
        session,
        body.series,
        body.date,
        low=body.low,
        high=body.high,
        user=user,
        reference=body.reference,
    )
    return draft_out(row)
