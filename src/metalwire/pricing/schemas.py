"""Pricing shapes shared by the API, the import files, exports and the Python client."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from metalwire.pricing.engine import SubmissionKind

NOTE_LIMIT = 2_000  # characters: a note explains a submission, it is not a document

SUBMISSION_COLUMNS = (
    "series",
    "date",
    "kind",
    "price",
    "low",
    "high",
    "volume",
    "contributor",
    "received_at",
    "adjustment",
    "note",
)


class SubmissionIn(BaseModel):
    """One piece of market evidence, as posted to the API or read from an import row."""

    model_config = ConfigDict(extra="forbid")

    series: str = Field(examples=["AG-INGOT-CN-SPOT"])
    date: dt.date = Field(examples=["2026-11-26"], description="Market date (local to the series)")
    kind: SubmissionKind
    price: Decimal | None = Field(default=None, examples=["7850"])
    low: Decimal | None = None
    high: Decimal | None = None
    volume: Decimal | None = Field(default=None, examples=["30"], description="Required for deals")
    contributor: str = Field(min_length=1, max_length=200, examples=["Smelter A"])
    received_at: dt.datetime | None = Field(
        default=None, description="When the evidence arrived (ISO 8601; default: now)"
    )
    adjustment: Decimal = Field(
        default=Decimal(0),
        description="Normalization to the base specification, added to the price",
    )
    note: str = Field(default="", max_length=NOTE_LIMIT)


class SubmissionsResult(BaseModel):
    added: int
    already_present: int
    ids: list[int]


# One definition of "a price row", reused by the API, CSV/XLSX exports and the Python client.
PRICE_COLUMNS = ("date", "low", "high", "mid", "change", "change_pct", "unit", "currency")


class PriceRow(BaseModel):
    date: dt.date
    low: str = Field(examples=["7830"])
    high: str = Field(examples=["7870"])
    mid: str = Field(examples=["7850"])
    change: str | None = Field(examples=["-20"], description="Against the previous published mid")
    change_pct: str | None = Field(examples=["-0.25"])
    unit: str = Field(examples=["kg"])
    currency: str = Field(examples=["CNY"])
    vwap: str | None = None
    method: str = Field(examples=["transaction-based"])
    version: int
    assessment_id: int
    released_at: dt.datetime
