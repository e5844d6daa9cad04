"""Delivery tables: the deliveries fanned out from the release events (metalwire/outbox), and
the webhook endpoints readers register."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from metalwire.db.base import Base, UTCDateTime, trade_enum, utcnow


class Channel(enum.StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed by a worker until lease_until
    DELIVERED = "delivered"
    WITHHELD = "withheld"  # the recipient may not read it at send time: nothing left the server
    DEAD = "dead"  # the last try failed; redeliver by hand


class WebhookEndpoint(Base):
    """A reader's receiver: POSTed the events it names (and, when ``codes`` is not empty, only
    those of these series, surveys or windows), signed with ``secret``."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    # Registered with an API key: revoking the key stops the endpoint's deliveries.
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id"), nullable=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list[str]] = mapped_column(JSON)
    codes: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """One event to one recipient by one channel. ``id`` travels as ``X-Metalwire-Delivery``
    so a receiver can tell a retry (or a resend after a worker died mid-request) from news."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "channel", "target"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("release_event.id"), index=True)
    channel: Mapped[Channel] = mapped_column(trade_enum(Channel))
    # webhook: the endpoint's id; email: the reader's user id
    target: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        trade_enum(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
