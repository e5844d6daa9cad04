"""Complaints over the API (IOSCO 16): a signed-in reader (or an API key of any scope) logs a
complaint about a series, an assessment or a methodology and reads their own with the answer;
the desk acknowledges and answers. No one else's complaint exists for a reader (404)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from metalwire.accounts.gate import may_see_drafts
from metalwire.accounts.models import Scope
from metalwire.governance import complaints
from metalwire.governance.complaints import NewComplaint
from metalwire.governance.models import Complaint
from metalwire.governance.rules import (
    NOTE_LIMIT,
    ComplaintOutcome,
    ComplaintState,
    ComplaintSubject,
)
from metalwire.web.access import access
from metalwire.web.api.desk import WRITE_RESPONSES, acting_user
from metalwire.web.api.prices import now_of
from metalwire.web.auth import CurrentPrincipal, deny
from metalwire.web.deps import DbSession, RowId

router = APIRouter(tags=["complaints"])
RESPONSES: dict[int | str, dict[str, Any]] = WRITE_RESPONSES


class ComplaintIn(BaseModel):
    subject_kind: ComplaintSubject
    subject: str = Field(
        min_length=1,
        max_length=64,
        description="A series code, a published assessment's id or a methodology family",
        examples=["AG-INGOT-CN-SPOT"],
    )
    body: str = Field(min_length=1, max_length=NOTE_LIMIT)


class ComplaintOut(BaseModel):
    id: int
    subject_kind: str
    subject: str
    body: str
    state: str = Field(description="logged, acknowledged or answered")
    logged_at: dt.datetime
    acknowledged_at: dt.datetime | None
    answered_at: dt.datetime | None
    answer: str | None
    outcome: str | None


class DeskComplaintOut(ComplaintOut):
    complainant: str
    waiting_days: int = Field(description="Days logged before its acknowledgement (or so far)")


def complaint_out(item: Complaint) -> ComplaintOut:
    return ComplaintOut(
        id=item.id,
        subject_kind=item.subject_kind.value,
        subject=item.subject,
        body=item.body,
        state=item.state.value,
        logged_at=item.logged_at,
        acknowledged_at=item.acknowledged_at,
        answered_at=item.answered_at,
        answer=item.answer,
        outcome=item.outcome.value if item.outcome else None,
    )


@router.post("/complaints", status_code=201, response_model=ComplaintOut, responses=RESPONSES)
@access("write")
def log_complaint(
    request: Request, session: DbSession, principal: CurrentPrincipal, body: ComplaintIn
) -> ComplaintOut:
    """Log a complaint about a series, a published assessment or a methodology family."""
    user = acting_user(session, principal, Scope.READ, "complain")
    new = NewComplaint(body.subject_kind, body.subject, body.body)
    return complaint_out(complaints.log_complaint(session, user, new, now=now_of(request)))


@router.get("/complaints", response_model=list[ComplaintOut], responses=RESPONSES)
@access("account")
def my_complaints(session: DbSession, principal: CurrentPrincipal) -> list[ComplaintOut]:
    """Your complaints, newest first, with their state and answer."""
    user = acting_user(session, principal, Scope.READ, "read your complaints")
    return [complaint_out(c) for c in complaints.own(session, user.id)]


@router.get("/complaints/{complaint_id}", response_model=ComplaintOut, responses=RESPONSES)
@access("account")
def one_complaint(
    complaint_id: RowId, session: DbSession, principal: CurrentPrincipal
) -> ComplaintOut:
    """One of your complaints (the desk reads any)."""
    acting_user(session, principal, Scope.READ, "read complaints")
    return complaint_out(complaints.one(session, complaint_id, principal))


@router.get("/desk/complaints", response_model=list[DeskComplaintOut], responses=RESPONSES)
@access("staff")
def desk_complaints(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    state: Annotated[ComplaintState | None, Query(description="Only this state")] = None,
) -> list[DeskComplaintOut]:
    """Every complaint, oldest first, with its complainant and how long it waited. Staff only."""
    decision = may_see_drafts(principal)
    if not decision:
        raise deny(decision, "the desk")
    now = now_of(request)
    return [
        DeskComplaintOut(
            **complaint_out(c).model_dump(),
            complainant=c.user.email,
            waiting_days=complaints.age_days(c, now),
        )
        for c in complaints.every(session, state)
    ]


@router.post(
    "/complaints/{complaint_id}/acknowledge", response_model=ComplaintOut, responses=RESPONSES
)
@access("write")
def acknowledge(
    complaint_id: RowId, request: Request, session: DbSession, principal: CurrentPrincipal
) -> ComplaintOut:
    """Acknowledge a logged complaint (the desk); the time is recorded."""
    user = acting_user(session, principal, Scope.SUBMIT, "acknowledge complaints")
    item = complaints.acknowledge(session, complaint_id, actor=user.email, now=now_of(request))
    return complaint_out(item)


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=NOTE_LIMIT)
    outcome: ComplaintOutcome


@router.post("/complaints/{complaint_id}/answer", response_model=ComplaintOut, responses=RESPONSES)
@access("write")
def answer(
    complaint_id: RowId,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    body: AnswerIn,
) -> ComplaintOut:
    """Answer an acknowledged complaint with its outcome (the desk)."""
    user = acting_user(session, principal, Scope.SUBMIT, "answer complaints")
    item = complaints.answer(
        session,
        complaint_id,
        text=body.answer,
        outcome=body.outcome,
        actor=user.email,
        now=now_of(request),
    )
    return complaint_out(item)
