"""Methodology changes from the desk: propose, open for comments, decide. Each step is one
transaction (the caller's) and one audit event; an adopted change becomes the family's next
version, in force from its effective date (versions.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from metalwire.accounts.models import User
from metalwire.audit import record
from metalwire.db.base import utcnow
from metalwire.errors import Conflict, InvalidInput, NotFound
from metalwire.governance import rules
from metalwire.governance.models import Consultation, ConsultationComment, MethodologyVersion
from metalwire.governance.rules import NOTE_LIMIT, TEXT_LIMIT, TITLE_LIMIT, Outcome, Stage
from metalwire.governance.versions import next_number, require_family, stored
from metalwire.outbox.events import announce
from metalwire.outbox.models import EventKind


@dataclass(frozen=True)
class Proposal:
    """A change as the desk writes it: each text a reader sees in English and in Chinese."""

    family: str
    title: str
    summary: str
    rationale: str
    text: str
    title_zh: str
    summary_zh: str
    rationale_zh: str
    text_zh: str


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    rationale: str
    response_to_comments: str
    rationale_zh: str
    response_to_comments_zh: str
    effective: dt.date | None = None
    text: str | None = None  # an amended change's final text; the proposed text otherwise
    text_zh: str | None = None  # its Chinese, given with it


def _audit(session: Session, item: Consultation, action: str, actor: str, **after: object) -> None:
    record(
        session,
        actor=actor,
        action=f"methodology-{action}",
        object_type="methodology_consultation",
        object_id=item.id,
        after={"family": item.family, "stage": item.stage, **after},
    )


def _announce(session: Session, item: Consultation, kind: EventKind) -> None:
    """Tell the webhooks and streams that asked: a consultation opened or decided is public
    from the moment its transaction commits."""
    announce(
        session,
        kind,
        subject=f"consultation/{item.id}",
        code=item.family,
        due_at=utcnow(),
        refs={"consultation_id": item.id},
    )


def get(session: Session, consultation_id: int, *, staff: bool = False) -> Consultation:
    """One consultation; a proposal not yet opened exists for the staff alone."""
    item = session.get(Consultation, consultation_id)
    if item is None or (item.stage is Stage.PROPOSED and not staff):
        raise NotFound(f"no consultation {consultation_id}", field="id")
    return item


def listing(
    session: Session, *, staff: bool = False, family: str | None = None
) -> list[Consultation]:
    """Consultations newest first (proposals only for the staff), their comments loaded."""
    query = select(Consultation).options(
        selectinload(Consultation.comments).selectinload(ConsultationComment.user),
        selectinload(Consultation.version),
    )
    if not staff:
        query = query.where(Consultation.stage != Stage.PROPOSED)
    if family is not None:
        query = query.where(Consultation.family == family)
    return list(session.scalars(query.order_by(Consultation.id.desc())))


def propose(
    session: Session, proposal: Proposal, *, actor: str, now: dt.datetime | None = None
) -> Consultation:
    """A change proposed by the desk: not public until opened."""
    item = Consultation(
        family=require_family(proposal.family),
        title=rules.required_text(proposal.title, "title", TITLE_LIMIT),
        summary=rules.required_text(proposal.summary, "summary", NOTE_LIMIT),
        rationale=rules.required_text(proposal.rationale, "rationale", NOTE_LIMIT),
        proposed_text=rules.required_text(proposal.text, "text", TEXT_LIMIT),
        title_zh=rules.required_chinese(proposal.title_zh, "title_zh", TITLE_LIMIT),
        summary_zh=rules.required_chinese(proposal.summary_zh, "summary_zh", NOTE_LIMIT),
        rationale_zh=rules.required_chinese(proposal.rationale_zh, "rationale_zh", NOTE_LIMIT),
        proposed_text_zh=rules.required_chinese(proposal.text_zh, "text_zh", TEXT_LIMIT),
        stage=Stage.PROPOSED,
        proposed_by=actor,
        proposed_at=now or utcnow(),
    )
    session.add(item)
    session.flush()
    _audit(
        session,
        item,
        "propose",
        actor,
        title=item.title,
        summary=item.summary,
        title_zh=item.title_zh,
        summary_zh=item.summary_zh,
    )
    return item


def open_consultation(
    session: Session, consultation_id: int, *, closes: dt.date, actor: str, today: dt.date
) -> Consultation:
    """Publish a proposal for comments from ``today`` to ``closes`` (both included)."""
    item = get(session, consultation_id, staff=True)
    rules.check_opening(item.stage, today, closes)
    item.stage, item.opens_on, item.closes_on = Stage.OPEN, today, closes
    _audit(session, item, "consult", actor, opens_on=today, closes_on=closes)
    _announce(session, item, EventKind.CONSULTATION_OPENED)
    return item


def comment(
    session: Session,
    consultation_id: int,
    user: User,
    body: str,
    *,
    show_name: bool,
    now: dt.datetime,
) -> ConsultationComment:
    """A signed-in reader's comment while the consultation is open."""
    item = get(session, consultation_id)
    rules.check_comment(item.stage, item.closes_on, now.date())
    made = ConsultationComment(
        consultation_id=item.id,
        user_id=user.id,
        body=rules.required_text(body, "body", NOTE_LIMIT),
        show_name=show_name,
        created_at=now,
    )
    session.add(made)
    session.flush()
    record(
        session,
        actor=user.email,
        action="methodology-comment",
        object_type="methodology_consultation",
        object_id=item.id,
        after={"comment": made.id, "show_name": show_name},
        at=now,
    )
    return made


def _adopted_texts(item: Consultation, decision: Decision) -> tuple[str, str | None]:
    """The version's text in English and in Chinese: an amended change's own (the two given
    together), else the proposed ones (no Chinese for a proposal made before it was asked)."""
    if decision.text is None and decision.text_zh is None:
        return item.proposed_text, item.proposed_text_zh
    if decision.outcome is not Outcome.AMENDED:
        field = "text" if decision.text is not None else "text_zh"
        raise InvalidInput("only an amended change has a text of its own", field=field)
    if decision.text is None:
        raise InvalidInput("the amended Chinese text goes with its English text", field="text")
    if decision.text_zh is None:
        raise InvalidInput("an amended text is published in Chinese too", field="text_zh")
    return (
        rules.required_text(decision.text, "text", TEXT_LIMIT),
        rules.required_chinese(decision.text_zh, "text_zh", TEXT_LIMIT),
    )


def _record_decision(item: Consultation, decision: Decision, actor: str, today: dt.date) -> None:
    """The decision's published texts, in both languages, and its outcome on the row."""
    item.decision_rationale = rules.required_text(decision.rationale, "rationale", NOTE_LIMIT)
    item.response_to_comments = rules.required_text(
        decision.response_to_comments, "response", NOTE_LIMIT
    )
    item.decision_rationale_zh = rules.required_chinese(
        decision.rationale_zh, "rationale_zh", NOTE_LIMIT
    )
    item.response_to_comments_zh = rules.required_chinese(
        decision.response_to_comments_zh, "response_zh", NOTE_LIMIT
    )
    item.stage, item.outcome, item.decided_by, item.decided_on = (
        Stage.DECIDED,
        decision.outcome,
        actor,
        today,
    )


def decide(
    session: Session, consultation_id: int, decision: Decision, *, actor: str, today: dt.date
) -> Consultation:
    """The decision, after the comment period, with its published rationale and response to
    the comments; adopted or amended, it makes the family's next version."""
    item = get(session, consultation_id, staff=True)
    versions = stored(session, item.family)
    last = versions[-1].effective_from if versions else None
    rules.check_decision(
        item.stage, item.closes_on, today, decision.outcome, decision.effective, last
    )
    text, text_zh = _adopted_texts(item, decision)
    _record_decision(item, decision, actor, today)
    number = None
    if decision.outcome.makes_version:
        assert decision.effective is not None  # check_decision refused it otherwise
        number = next_number(item.family, versions)
        session.add(
            MethodologyVersion(
                family=item.family,
                number=number,
                effective_from=decision.effective,
                summary=item.summary,
                text=text,
                summary_zh=item.summary_zh,
                text_zh=text_zh,
                consultation_id=item.id,
                actor=actor,
            )
        )
        try:
            session.flush()
        except IntegrityError:  # (family, number) is unique: another decision took the number
            raise Conflict(
                f"another {item.family} version was decided at the same time; decide again",
                field="id",
            ) from None
    _audit(
        session,
        item,
        "decide",
        actor,
        outcome=decision.outcome,
        version=number,
        effective=decision.effective,
    )
    _announce(session, item, EventKind.CONSULTATION_DECIDED)
    return item
