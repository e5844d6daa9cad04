"""Catalog tables: the navigation tree and the price series hung from it."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from metalwire.db.base import Base, UTCDateTime, trade_enum, utcnow


class SeriesKind(enum.StrEnum):
    OUTRIGHT = "outright"
    PREMIUM = "premium"
    INDEX = "index"
    FUTURES_SETTLEMENT = "futures-settlement"
    DERIVED = "derived"

    @property
    def has_relative_change(self) -> bool:
        """Whether a percent change means anything: it does for a price level, not for a
        premium, discount or fee quoted against another price (a premium of 30 that moves by
        10 has not risen "33 %"), which shows its absolute change only."""
        return self is not SeriesKind.PREMIUM


class Tier(enum.StrEnum):
    FREE = "free"
    PREMIUM = "premium"


class SeriesStatus(enum.StrEnum):
    ACTIVE = "active"
    DISCONTINUED = "discontinued"


class CatalogGroup(Base):
    """A top-level group of the navigation, e.g. Base Metals / 基本金属."""

    __tablename__ = "catalog_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)

    entries: Mapped[list[CatalogEntry]] = relationship(
        back_populates="group", order_by="CatalogEntry.position"
    )


class CatalogEntry(Base):
    """An entry of a group, e.g. Silver / 白银: a category page of the site."""

    __tablename__ = "catalog_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("catalog_group.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)

    group: Mapped[CatalogGroup] = relationship(back_populates="entries")
    commodities: Mapped[list[Commodity]] = relationship(
        back_populates="entry", order_by="Commodity.code"
    )


class Commodity(Base):
    """A product within an entry, e.g. silver ingot 1# (Ag 99.99%)."""

    __tablename__ = "commodity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalog_entry.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    spec: Mapped[str] = mapped_column(String(400), default="")

    entry: Mapped[CatalogEntry] = relationship(back_populates="commodities")
    series: Mapped[list[PriceSeries]] = relationship(back_populates="commodity")


class PriceSeries(Base):
    """A published price: commodity + basis + unit + currency, with its release rules."""

    __tablename__ = "price_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    commodity_id: Mapped[int] = mapped_column(ForeignKey("commodity.id"), index=True)
    name_en: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str] = mapped_column(String(300))
    kind: Mapped[SeriesKind] = mapped_column(trade_enum(SeriesKind))
    unit: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(8))
    decimals: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    release_time: Mapped[dt.time] = mapped_column(Time)
    calendar: Mapped[str] = mapped_column(String(16))
    tier: Mapped[Tier] = mapped_column(trade_enum(Tier), index=True)
    status: Mapped[SeriesStatus] = mapped_column(trade_enum(SeriesStatus), index=True)
    methodology: Mapped[str] = mapped_column(String(64))
    vat_inclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(120), default="metalwire")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Counts approvals: with the newest release instant it makes the series' publication stamp,
    # which changes exactly when what readers may see of it can have changed.
    publication_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The series' announced changes, oldest first (catalog/lifecycle.py): each
    # {"effective": "YYYY-MM-DD", "release_time": "HH:MM" | "tier": ... | "discontinue": true}.
    # Read with the row, so the release time and tier of any market date need no statement;
    # series_change holds the same changes with their public notices.
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")

    commodity: Mapped[Commodity] = relationship(back_populates="series")


class SeriesChangeKind(enum.StrEnum):
    CREATE = "create"
    RELEASE_TIME = "release-time"
    TIER = "tier"
    DISCONTINUE = "discontinue"


class SeriesChange(Base):
    """A change to a series announced by the desk, with its public notice: never changed or
    deleted. ``effective_from`` is the first market date it applies to."""

    __tablename__ = "series_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("price_series.id"), index=True)
    kind: Mapped[SeriesChangeKind] = mapped_column(trade_enum(SeriesChangeKind))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    before: Mapped[str | None] = mapped_column(String(64), nullable=True)
    after: Mapped[str | None] = mapped_column(String(64), nullable=True)
    notice: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(320))
    announced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    series: Mapped[PriceSeries] = relationship()
