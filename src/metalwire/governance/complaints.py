"""Complaints (IOSCO 16): logged by a signed-in reader about a series, an assessment or a
methodology; acknowledged, then answered by the staff. Each step is one transaction (the
caller's) and one audit event. A complaint is read by its complainant and the staff alone: the
reading functions take the reader's user id and never return another's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from metalwire.accounts.gate import Principal, is_readable, may_read_complaint
from metalwire.accounts.models import User
from metalwire.audit import record
from metalwire.catalog.service import get_series
from metalwire.errors import NotFound
from metalwire.governance import rules
from metalwire.governance.models import Complaint
from metalwire.governance.rules import (
    NOTE_LIMIT,
    ComplaintOutcome,
    ComplaintState,
    ComplaintSubject,
)
from metalwire.governance.versions import require_family
from metalwire.pricing.models import Assessment


@dataclass(frozen=True)
class NewComplaint:
    subject_kind: ComplaintSubject
    subject: str
    body: str


def _check_subject(session: Session, kind: ComplaintSubject, subject: str, now: dt.datetime) -> str:
    """The subject as stored: a series code, a published assessment's id, a family."""
    subject = subject.strip()
    if kind is ComplaintSubject.SERIES:
        if get_series(session, subject) is None:
            raise NotFound(f"no price series {subject!r}", field="subject")
        return subject
    if kind is ComplaintSubject.METHODOLOGY:
        return require_family(subject)
    # An id beyond the column's range names nothing (and would overflow PostgreSQL's integer).
    row = session.get(Assessment, int(subject)) if subject.isdigit() and len(subject) < 10 else None
    # Only a released price can be complained about: an embargoed or draft one does not exist
    # for the complainant (the gate's rule, not a second one).
    if row is None or not is_readable(row, now):
        raise NotFound(f"no published assessment {subject!r}", field="subject")
    return str(row.id)


def _audit(session: Session, item: Complaint, action: str, actor: str, at: dt.datetime) -> None:
    record(
        session,
        actor=actor,
        action=f"complaint-{action}",
        object_type="complaint",
        object_id=item.id,
        after={
            "state": item.state,
            "subject_kind": item.subject_kind,
            "subject": item.subject,
            "outcome": item.outcome,
        },
        at=at,
    )


def log_complaint(
    session: Session, user: User, new: NewComplaint, *, now: dt.datetime
) -> Complaint:
    item = Complaint(
        user_id=user.id,
        subject_kind=new.subject_kind,
        subject=_check_subject(session, new.subject_kind, new.subject, now),
        body=rules.required_text(new.body, "body", NOTE_LIMIT),
        state=ComplaintState.LOGGED,
        logged_at=now,
    )
    session.add(item)
    session.flush()
    _audit(session, item, "log", user.email, now)
    return item


def _for_staff(session: Session, complaint_id: int) -> Complaint:
    item = session.get(Complaint, complaint_id)
    if item is None:
        raise NotFound(f"no complaint {complaint_id}", field="id")
    return item


def acknowledge(session: Session, complaint_id: int, *, actor: str, now: dt.datetime) -> Complaint:
    item = _for_staff(session, complaint_id)
    rules.check_complaint_step(item.state, ComplaintState.ACKNOWLEDGED)
    item.state, item.acknowledged_at, item.acknowledged_by = ComplaintState.ACKNOWLEDGED, now, actor
    _audit(session, item, "acknowledge", actor, now)
    return item


def answer(
    session: Session,
    complaint_id: int,
    *,
    text: str,
    outcome: ComplaintOutcome,
    actor: str,
    now: dt.datetime,
) -> Complaint:
    item = _for_staff(session, complaint_id)
    rules.check_complaint_step(item.state, ComplaintState.ANSWERED)
    item.answer = rules.required_text(text, "answer", NOTE_LIMIT)
    item.state, item.outcome = ComplaintState.ANSWERED, outcome
    item.answered_at, item.answered_by = now, actor
    _audit(session, item, "answer", actor, now)
    return item


def own(session: Session, user_id: int) -> list[Complaint]:
    """The complainant's complaints, newest first."""
    query = select(Complaint).where(Complaint.user_id == user_id)
    return list(session.scalars(query.order_by(Complaint.id.desc())))


def one(session: Session, complaint_id: int, principal: Principal) -> Complaint:
    """One complaint for its complainant or the staff; for anyone else it does not exist."""
    item = session.get(Complaint, complaint_id)
    if item is None or not may_read_complaint(principal, item.user_id):
        raise NotFound(f"no complaint {complaint_id}", field="id")
    return item


def every(session: Session, state: ComplaintState | None = None) -> list[Complaint]:
    """Every complaint for the desk, oldest unanswered first, complainants loaded."""
    query = select(Complaint).options(selectinload(Complaint.user))
    if state is not None:
        query = query.where(Complaint.state == state)
    return list(session.scalars(query.order_by(Complaint.logged_at, Complaint.id)))


def age_days(item: Complaint, now: dt.datetime) -> int:
    """How long a complaint has waited for its acknowledgement (or waited, once acknowledged)."""
    until = item.acknowledged_at or now
    return max(0, (until - item.logged_at).days)
