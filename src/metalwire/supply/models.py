"""Supply tables: surveys and their panels, monthly returns, and frozen statistics releases."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from metalwire.catalog.models import CatalogEntry, Tier
from metalwire.db.base import Base, Price, UTCDateTime, trade_enum, utcnow


class Survey(Base):
    """A monthly survey of a panel of producers, e.g. China silver ingot output."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    name_en: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(16))
    tier: Mapped[Tier] = mapped_column(trade_enum(Tier))
    # [{code, name_en, name_zh}] — the producer types this survey classifies respondents by.
    producer_types: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    national_capacity: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    main_share: Mapped[Decimal] = mapped_column(Price, default=Decimal("0.6"))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # A period's statistics are released on its last calendar day at this local time.
    release_time: Mapped[dt.time] = mapped_column(Time, default=dt.time(20, 0))
    premium_series: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[CatalogEntry] = relationship()


class Respondent(Base):
    """A member of a survey's panel: one smelter, with its province, type and capacity."""

    __tablename__ = "respondent"
    __table_args__ = (UniqueConstraint("survey_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    province: Mapped[str] = mapped_column(String(64))
    producer_type: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[Decimal] = mapped_column(Price)
    active_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    active_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class SurveyReturn(Base):
    """One respondent's return for one period. A resubmission replaces it (audited)."""

    __tablename__ = "survey_return"
    __table_args__ = (UniqueConstraint("respondent_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondent.id"))
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    production: Mapped[Decimal] = mapped_column(Price)
    inventory: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    forecast_next: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(320))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    respondent: Mapped[Respondent] = relationship()


class ReleaseStatus(enum.StrEnum):
    PRELIMINARY = "preliminary"
    FINAL = "final"


class SurveyRelease(Base):
    """The statistics of a period as published: frozen, versioned; a revision adds a version."""

    __tablename__ = "survey_release"
    __table_args__ = (UniqueConstraint("survey_id", "period", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[ReleaseStatus] = mapped_column(trade_enum(ReleaseStatus))
    stats: Mapped[dict[str, Any]] = mapped_column(JSON)
    release_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    released_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    survey: Mapped[Survey] = relationship()
