"""Governance tables: methodology versions, consultations and their comments, complaints.

Versions are never changed once written (a later change is a new version); consultations and
complaints move forward through their stages, each move on the audit trail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from metalwire.accounts.models import User
from metalwire.db.base import Base, UTCDateTime, trade_enum, utcnow
from metalwire.governance.rules import (
    ComplaintOutcome,
    ComplaintState,
    ComplaintSubject,
    Outcome,
    Stage,
)


class Consultation(Base):
    """A proposed methodology change: proposed, opened for comments, decided."""

    __tablename__ = "methodology_consultation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)
    proposed_text: Mapped[str] = mapped_column(Text)
    # The Chinese beside each English text a reader sees (migration 0017): required from then
    # on, NULL on a consultation made before, which reads in English.
    title_zh: Mapped[str | None] = mapped_column(String(200), nullable=True)
    summary_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    rationale_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    proposed_text_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    stage: Mapped[Stage] = mapped_column(trade_enum(Stage), default=Stage.PROPOSED)
    proposed_by: Mapped[str] = mapped_column(String(320))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    opens_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    closes_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    outcome: Mapped[Outcome | None] = mapped_column(trade_enum(Outcome), nullable=True)
    decision_rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_to_comments: Mapped[str | None] = mapped_column(Text, nullable=True)
    decision_rationale_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_to_comments_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    decided_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    comments: Mapped[list[ConsultationComment]] = relationship(
        back_populates="consultation", order_by="ConsultationComment.id"
    )
    version: Mapped[MethodologyVersion | None] = relationship(back_populates="consultation")


class ConsultationComment(Base):
    """A reader's comment; published with the commenter's name only when they agreed."""

    __tablename__ = "consultation_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("methodology_consultation.id"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    body: Mapped[str] = mapped_column(Text)
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="comments")
    user: Mapped[User] = relationship()


class MethodologyVersion(Base):
    """Version ``number`` (2 on) of a family's methodology, in force from ``effective_from``.
    Version 1 is the packaged document (methodology/*.md) and has no row."""

    __tablename__ = "methodology_version"
    __table_args__ = (UniqueConstraint("family", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    # Copied from the adopted consultation; NULL for a version made before 0017 (English).
    summary_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    text_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("methodology_consultation.id"), unique=True
    )
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))

    consultation: Mapped[Consultation] = relationship(back_populates="version")


class Complaint(Base):
    """A complaint about a series, an assessment or a methodology (IOSCO 16): logged,
    acknowledged, answered. Its complainant and the staff alone ever read it."""

    __tablename__ = "complaint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    subject_kind: Mapped[ComplaintSubject] = mapped_column(trade_enum(ComplaintSubject))
    subject: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[ComplaintState] = mapped_column(
        trade_enum(ComplaintState), default=ComplaintState.LOGGED, index=True
    )
    logged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[ComplaintOutcome | None] = mapped_column(
        trade_enum(ComplaintOutcome), nullable=True
    )

    user: Mapped[User] = relationship()
