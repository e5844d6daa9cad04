"""Index tables: the definitions loaded by `metalwire index define` (values are computed, never
stored)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from metalwire.db.base import Base, UTCDateTime, utcnow


class IndexDefinitionRecord(Base):
    """An index definition as loaded by `metalwire index define` (the engine validates it)."""

    __tablename__ = "index_definition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# The first version of an index is in force from the beginning of its history.
FIRST_EFFECTIVE = dt.date(1900, 1, 1)


class IndexDefinitionVersion(Base):
    """One version of an index definition and the market date from which it is in force.

    ``index_definition`` holds the latest version (what `metalwire index define` last loaded);
    the versions hold every definition the index has had, none ever changed or deleted. A value
    read ``as_of`` an instant is computed with the version whose ``effective_from`` is the
    latest on or before that instant's date (indices/service.py: ``definition_at``)."""

    __tablename__ = "index_definition_version"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
