"""Alert tables: price-move rules, report subscriptions, and what was e-mailed to whom."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from metalwire.catalog.models import PriceSeries
from metalwire.db.base import Base, UTCDateTime, utcnow


class PriceAlert(Base):
    """A reader's rule: tell me when this series' released mid moves by X% or more, day on day."""

    __tablename__ = "price_alert"
    # One rule per series and reader: setting it again changes the threshold.
    __table_args__ = (UniqueConstraint("user_id", "series_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    series_id: Mapped[int] = mapped_column(ForeignKey("price_series.id"), index=True)
    threshold_pct: Mapped[Decimal] = mapped_column(Numeric(8, 2, asdecimal=True))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    series: Mapped[PriceSeries] = relationship(lazy="joined")


class ReportSubscription(Base):
    """A reader's wish to be e-mailed the new reports of one catalog group."""

    __tablename__ = "report_subscription"
    __table_args__ = (UniqueConstraint("user_id", "group_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    group_code: Mapped[str] = mapped_column(String(64))
    # Only reports published from this instant on are "new" to the subscriber.
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertDelivery(Base):
    """One thing e-mailed to one reader: the record that makes `alerts send` safe to rerun.

    ``subject`` names what was sent, e.g. ``price:AG-INGOT-CN-SPOT:2026-11-25`` or
    ``report:daily-precious-metals-2026-11-25``; the same subject never goes to a reader twice.
    """

    __tablename__ = "alert_delivery"
    __table_args__ = (UniqueConstraint("user_id", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    subject: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
