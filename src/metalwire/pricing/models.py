"""Pricing tables: submissions (append-only), manual exclusions, assessment versions."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from metalwire.accounts.models import User
from metalwire.catalog.models import PriceSeries
from metalwire.db.base import Base, Price, UTCDateTime, trade_enum, utcnow
from metalwire.pricing.engine import Method, SubmissionKind


class Submission(Base):
    """One piece of market evidence for a series on a market date. Never updated or deleted."""

    __tablename__ = "submission"
    __table_args__ = (Index("ix_submission_series_date", "series_id", "market_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("price_series.id"))
    market_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[SubmissionKind] = mapped_column(trade_enum(SubmissionKind))
    price: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    low: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    high: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    volume: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    contributor: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    adjustment: Mapped[Decimal] = mapped_column(Price, default=Decimal(0))
    note: Mapped[str] = mapped_column(Text, default="")
    # Identifies the same evidence arriving twice (re-imported file): content, not row id.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    entered_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    series: Mapped[PriceSeries] = relationship()


class Contributor(Base):
    """Who submits evidence, and the public code that stands for them.

    ``name`` is the contributor as submissions give it (Submission.contributor): personal or
    commercial data, shown to the desk's staff only. ``code`` ("C-07") is what every other
    output shows: assigned once, in order of the contributor's first submission, never reused.
    ``user_id`` links an account to the contributor (set by staff: `metalwire contributor
    link`), whose owner reads their own submissions at /api/v1/contributions."""

    __tablename__ = "contributor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id"), nullable=True, unique=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()


class SubmissionExclusion(Base):
    """An analyst's decision to leave a conforming submission out, with who and why."""

    __tablename__ = "submission_exclusion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), unique=True)
    excluded_by: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssessmentStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class Assessment(Base):
    """One version of a series' price on a market date.

    Version 1 is the original publication; each correction adds a version. A version is visible
    to readers once approved and past ``release_at``; none is ever deleted.
    """

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("series_id", "market_date", "version"),
        Index("ix_assessment_series_date", "series_id", "market_date"),
        Index("ix_assessment_series_release", "series_id", "release_at"),
    )

    # What a reader may ever see, from release_at on (accounts/gate.py: released).
    READABLE_STATUSES: ClassVar[frozenset[AssessmentStatus]] = frozenset(
        {AssessmentStatus.APPROVED}
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("price_series.id"))
    market_date: Mapped[dt.date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[AssessmentStatus] = mapped_column(trade_enum(AssessmentStatus), index=True)
    low: Mapped[Decimal] = mapped_column(Price)
    high: Mapped[Decimal] = mapped_column(Price)
    mid: Mapped[Decimal] = mapped_column(Price)
    vwap: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    change: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    change_pct: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    method: Mapped[Method] = mapped_column(trade_enum(Method))
    carried_forward: Mapped[bool] = mapped_column(Boolean, default=False)
    deals_used: Mapped[int] = mapped_column(Integer, default=0)
    volume_used: Mapped[Decimal] = mapped_column(Price, default=Decimal(0))
    # The engine's full result (inputs used and excluded with reasons, statistics, explanation).
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    release_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    correction_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    series: Mapped[PriceSeries] = relationship()
    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
    approver: Mapped[User | None] = relationship(foreign_keys=[approver_id])

    @property
    def is_correction(self) -> bool:
        return self.version > 1
