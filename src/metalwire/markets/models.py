"""Market data tables: instruments (futures, LME, FX, reference prices) and their daily values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from metalwire.db.base import Base, Price, UTCDateTime, utcnow


class Instrument(Base):
    """An exchange contract, a continuous front month, an FX fixing or a reference price."""

    __tablename__ = "instrument"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(300), default="")
    name_zh: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(32), default="reference")
    exchange: Mapped[str] = mapped_column(String(32), default="")
    contract_month: Mapped[str | None] = mapped_column(String(7), nullable=True)
    currency: Mapped[str] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(16))
    vat_inclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(300), default="")


class MarketPrice(Base):
    """A settlement (or fixing) of an instrument on a date. A changed value is a new version."""

    __tablename__ = "market_price"
    __table_args__ = (UniqueConstraint("instrument_id", "date", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    settle: Mapped[Decimal] = mapped_column(Price)
    volume: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    open_interest: Mapped[Decimal | None] = mapped_column(Price, nullable=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    entered_by: Mapped[str] = mapped_column(String(320))

    instrument: Mapped[Instrument] = relationship()
