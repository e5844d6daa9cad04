"""Index tables: the definitions loaded by `metalwire index define` (values are computed, never
stored)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String
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
