"""Pricing shapes shared by the API, the import files, exports and the Python client."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from metalwire.pricing.engine import SubmissionKind
from metalwire.tabular import Bounded, Window

NOTE_LIMIT = 2_000  # characters: a note explains a submission, it is not a document
CODE_LIMIT = 64  # characters of a series code (catalog.models.PriceSeries.code)
BATCH_LIMIT = 1_000  # items in one API post: a day's evidence of a desk; files have no limit

# What a submission may carry (docs/api.md, POST /api/v1/submissions): prices, adjustments
# and volumes within these magnitudes and to at most the stored scale (tabular.number_problems),
# a market date from 1990 to a year ahead, a receipt instant in the same years.
PRICE_LIMIT = Decimal("1e12")  # per unit, in the series' currency
VOLUME_LIMIT = Decimal("1e9")  # in the series' volume unit

# The schema of a submission's numbers and date; pricing.submissions.check_submission checks them,
# naming the row of a file as well as the field, so the model only documents the range.
SubmittedPrice = Annotated[Decimal, Bounded(PRICE_LIMIT, check=False)]
SubmittedVolume = Annotated[Decimal, Bounded(VOLUME_LIMIT, sign="positive", check=False)]
# A price given by hand over the API or a desk form (judgment, correction): refused on parse.
HandPrice = Annotated[Decimal, Bounded(PRICE_LIMIT)]

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

    series: str = Field(max_length=CODE_LIMIT, examples=["AG-INGOT-CN-SPOT"])
    date: Annotated[dt.date, Window(check=False)] = Field(
        examples=["2026-11-26"], description="Market date (local to the series)"
    )
    kind: SubmissionKind
    price: SubmittedPrice | None = Field(default=None, examples=["7850"])
    low: SubmittedPrice | None = None
    high: SubmittedPrice | None = None
    volume: SubmittedVolume | None = Field(
        default=None, examples=["30"], description="Required for deals"
    )
    contributor: str = Field(min_length=1, max_length=200, examples=["Smelter A"])
    received_at: dt.datetime | None = Field(
        default=None, description="When the evidence arrived (ISO 8601; default: now)"
    )
    adjustment: SubmittedPrice = Field(
        default=Decimal(0),
        description="Normalization to the base specification, added to the price",
    )
    note: str = Field(default="", max_length=NOTE_LIMIT)


class SubmissionsResult(BaseModel):
    added: int
    already_present: int
    ids: list[int]


class PriceRow(BaseModel):
    """The API's documentation of price_row.StandardRow (its JSON: decimals as strings); a test
    holds the two equal field for field."""

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
