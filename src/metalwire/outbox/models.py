"""The outbox's table: one row per release event."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from metalwire.db.base import Base, UTCDateTime, trade_enum, utcnow


class EventKind(enum.StrEnum):
    PRICE_RELEASED = "price.released"
    PRICE_CORRECTED = "price.corrected"
    PRICE_DELAYED = "price.delayed"
    SURVEY_RELEASED = "survey.released"
    REPORT_PUBLISHED = "report.published"
    WINDOW_OPENED = "window.opened"
    WINDOW_CLOSED = "window.closed"
    # Notices: the desk's announced changes to a series, and methodology consultations opened
    # and decided. Public (the same for every reader), announced the moment they are written.
    SERIES_NOTICE = "series.notice"
    CONSULTATION_OPENED = "consultation.opened"
    CONSULTATION_DECIDED = "consultation.decided"


class ReleaseEvent(Base):
    """Something became (or becomes, at ``due_at``) public: written in the transaction that
    releases it, so a crash can neither lose nor invent one. ``subject`` names it once (e.g.
    ``AG-INGOT-CN-SPOT/2026-11-25/v1``); ``refs`` holds the ids the payload is built from at
    send time, never the values themselves (they pass the gate per recipient then)."""

    __tablename__ = "release_event"
    __table_args__ = (
        UniqueConstraint("kind", "subject"),
        Index("ix_release_event_due", "dispatched", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[EventKind] = mapped_column(trade_enum(EventKind))
    subject: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64), index=True)  # series, survey, window or group
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    refs: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Fanned out into deliveries (by one worker, in one transaction).
    dispatched: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
