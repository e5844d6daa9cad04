"""Account tables: users, plans, API keys, web sessions, reset tokens, throttling counters."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from metalwire.db.base import Base, UTCDateTime, trade_enum, utcnow


class Role(enum.StrEnum):
    READER = "reader"
    SUBSCRIBER = "subscriber"
    ANALYST = "analyst"
    EDITOR = "editor"
    ADMIN = "admin"


class Scope(enum.StrEnum):
    READ = "read"
    SUBMIT = "submit"
    PUBLISH = "publish"


class Plan(Base):
    """A subscription plan; its entitlements are data (see accounts/data/plans.yaml)."""

    __tablename__ = "plan"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(100))
    name_zh: Mapped[str] = mapped_column(String(100))
    entitlements: Mapped[dict[str, Any]] = mapped_column(JSON)


class User(Base):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    role: Mapped[Role] = mapped_column(trade_enum(Role), default=Role.READER)
    plan_code: Mapped[str] = mapped_column(ForeignKey("plan.code"), default="free")
    display_name: Mapped[str] = mapped_column(String(200), default="")
    lang: Mapped[str | None] = mapped_column(String(8), nullable=True)
    colour_convention: Mapped[str | None] = mapped_column(String(16), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[Plan] = relationship(lazy="joined")


class ApiKey(Base):
    """An API key: shown once, stored as a hash, revocable, scoped."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scope: Mapped[Scope] = mapped_column(trade_enum(Scope))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(lazy="joined")


class WebSession(Base):
    """A signed-in browser. Kept in the database so every worker sees sign-out at once."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class PasswordResetToken(Base):
    __tablename__ = "password_reset_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginAttempt(Base):
    """Failed sign-ins, counted per e-mail to throttle password guessing."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateWindow(Base):
    """Requests counted per client per minute, in the database so all workers share the count."""

    __tablename__ = "rate_window"
    __table_args__ = (UniqueConstraint("client", "window_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(100))
    window_start: Mapped[int] = mapped_column(Integer)  # unix minute
    count: Mapped[int] = mapped_column(Integer, default=0)
