"""The governance services on the database: a change proposed, consulted on, decided and in
force from its date; comments in the period only; complaints step by step; all audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from metalwire.accounts.models import User
from metalwire.accounts.service import add_user, principal_of
from metalwire.audit import AuditEvent
from metalwire.errors import Conflict, InvalidInput, NotFound
from metalwire.governance import complaints, consultations, versions
from metalwire.governance.complaints import NewComplaint
from metalwire.governance.consultations import Decision
from metalwire.governance.rules import (
    ComplaintOutcome,
    ComplaintState,
    ComplaintSubject,
    Outcome,
    Stage,
)
from tests.conftest import Desk
from tests.governance.conftest import (
    CLOSES,
    DECIDED,
    DECIDED_ZH,
    EFFECTIVE,
    FAMILY,
    NEW_TEXT,
    OPENS,
    PROPOSED,
    adopted,
    open_change,
    proposal,
)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=dt.UTC)


def test_an_adopted_change_is_the_next_version_from_its_date(desk: Desk, reader: User) -> None:
    cid = open_change(desk)
    with desk.db.transaction() as session:
        consultations.comment(
            session, cid, reader, "Too strict for thin markets", show_name=False, now=_at(CLOSES)
        )
    with desk.db.transaction() as session:
        item = consultations.decide(session, cid, adopted(), actor=desk.editor.email, today=DECIDED)
        assert (item.stage, item.outcome, item.decided_on) == (
            Stage.DECIDED,
            Outcome.ADOPTED,
            DECIDED,
        )
    with desk.db.transaction() as session:
        day_before = versions.version_on(session, FAMILY, EFFECTIVE - dt.timedelta(days=1))
        assert (day_before.number, day_before.effective) == (1, dt.date(2026, 11, 26))
        on_day = versions.version_on(session, FAMILY, EFFECTIVE)
        assert (on_day.number, on_day.url) == (2, f"/methodology/{FAMILY}?version=2")
        assert versions.version_on(session, "premiums", EFFECTIVE).number == 1
        # The partner family's packaged document is its version 2: the next is 3.
        assert versions.next_number("partner-prices", []) == 3
        history = versions.history(session, FAMILY)
        assert [v.number for v in history] == [1, 2]
        assert history[0].text.startswith("# ") and history[1].text == NEW_TEXT.strip()
        trail = session.scalars(
            select(AuditEvent.action)
            .where(
                AuditEvent.object_type == "methodology_consultation",
                AuditEvent.object_id == str(cid),
            )
            .order_by(AuditEvent.id)
        ).all()
        assert trail == [
            "methodology-propose",
            "methodology-consult",
            "methodology-comment",
            "methodology-decide",
        ]


def test_each_step_is_refused_out_of_its_time(desk: Desk, reader: User) -> None:
    with desk.db.transaction() as session:
        item = consultations.propose(session, proposal(), actor=desk.analyst.email, now=PROPOSED)
        cid = item.id
    with desk.db.transaction() as session, pytest.raises(NotFound):  # not public yet
        consultations.comment(session, cid, reader, "early", show_name=False, now=PROPOSED)
    with desk.db.transaction() as session, pytest.raises(InvalidInput, match="at least 14 days"):
        consultations.open_consultation(
            session, cid, closes=OPENS + dt.timedelta(days=5), actor="e", today=OPENS
        )
    with desk.db.transaction() as session:
        consultations.open_consultation(session, cid, closes=CLOSES, actor="e", today=OPENS)
    with desk.db.transaction() as session, pytest.raises(Conflict, match="decide after it"):
        consultations.decide(session, cid, adopted(), actor="e", today=CLOSES)
    with desk.db.transaction() as session, pytest.raises(Conflict, match="closed on"):
        consultations.comment(session, cid, reader, "late", show_name=True, now=_at(DECIDED))
    with desk.db.transaction() as session, pytest.raises(InvalidInput, match="28 days ahead"):
        consultations.decide(session, cid, adopted(DECIDED), actor="e", today=DECIDED)
    with desk.db.transaction() as session:
        withdrawn = Decision(Outcome.WITHDRAWN, "No support.", "None received.", **DECIDED_ZH)
        consultations.decide(session, cid, withdrawn, actor="e", today=DECIDED)
    with desk.db.transaction() as session:
        assert versions.stored(session, FAMILY) == []  # a withdrawn change makes no version
        with pytest.raises(Conflict, match="nothing to decide"):
            consultations.decide(session, cid, adopted(), actor="e", today=DECIDED)


def test_a_proposal_names_a_family_and_its_fields(desk: Desk) -> None:
    with desk.db.transaction() as session:
        with pytest.raises(NotFound, match="no methodology family") as unknown:
            consultations.propose(session, proposal(family="gold-bars"), actor="a", now=PROPOSED)
        assert unknown.value.problems[0].field == "family"
        with pytest.raises(InvalidInput) as empty:
            consultations.propose(session, proposal(rationale="  "), actor="a", now=PROPOSED)
        assert empty.value.problems[0].field == "rationale"


def test_a_complaint_is_acknowledged_then_answered(desk: Desk, reader: User) -> None:
    now = _at(OPENS)
    with desk.db.transaction() as session:
        item = complaints.log_complaint(
            session,
            reader,
            NewComplaint(
                ComplaintSubject.SERIES, "AG-INGOT-CN-SPOT", "The 3 Dec price ignored my deal."
            ),
            now=now,
        )
        kid = item.id
        with pytest.raises(NotFound, match="no price series") as unknown:
            complaints.log_complaint(
                session, reader, NewComplaint(ComplaintSubject.SERIES, "NOPE", "x"), now=now
            )
        assert unknown.value.problems[0].field == "subject"
    with desk.db.transaction() as session, pytest.raises(Conflict, match="only when acknowledged"):
        complaints.answer(
            session, kid, text="No.", outcome=ComplaintOutcome.NOT_UPHELD, actor="e", now=now
        )
    later = now + dt.timedelta(days=3)
    with desk.db.transaction() as session:
        other = add_user(session, "other@mill.cn", plan="subscriber", actor="t")
        (waiting,) = complaints.every(session, ComplaintState.LOGGED)
        assert complaints.age_days(waiting, later) == 3
        complaints.acknowledge(session, kid, actor=desk.analyst.email, now=later)
        complaints.answer(
            session,
            kid,
            text="Your deal arrived after the cut-off.",
            outcome=ComplaintOutcome.NOT_UPHELD,
            actor=desk.editor.email,
            now=later,
        )
    with desk.db.transaction() as session:
        mine = complaints.one(session, kid, principal_of(session.merge(reader)))
        assert (mine.state, mine.outcome, mine.acknowledged_at) == (
            ComplaintState.ANSWERED,
            ComplaintOutcome.NOT_UPHELD,
            later,
        )
        with pytest.raises(NotFound):
            complaints.one(session, kid, principal_of(session.merge(other)))
        assert complaints.one(session, kid, principal_of(session.merge(desk.analyst))).id == kid
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "complaint")
            .order_by(AuditEvent.id)
        ).all()
        assert actions == ["complaint-log", "complaint-acknowledge", "complaint-answer"]
