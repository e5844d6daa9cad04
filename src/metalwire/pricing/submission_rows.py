"""One row of a price-submission file (``metalwire import submissions``, the desk's upload).

The row is a ``SubmissionIn`` read from text: each cell parsed, the required ones filled, the
kind one of the submission kinds, the text within its column. The rules a submission keeps
however it arrives (ranges, a price or a range, a deal's volume, the series' kind) stay in
``pricing.submissions.check_submission``, shared with the API.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from pydantic import ConfigDict, field_validator

from metalwire.importing import ImportRow, given, parsed
from metalwire.pricing.engine import SubmissionKind
from metalwire.pricing.schemas import SubmissionIn
from metalwire.tabular import parse_date, parse_datetime, parse_decimal

KINDS = tuple(sorted(kind.value for kind in SubmissionKind))


class SubmissionRow(ImportRow, SubmissionIn):
    """A submission as a file row gives it; other columns of the file are not read."""

    model_config = ConfigDict(extra="ignore")

    problem_order: ClassVar[tuple[str, ...]] = (
        "date",
        "price",
        "low",
        "high",
        "volume",
        "received_at",
        "adjustment",
        "series",
        "contributor",
        "kind",
    )

    @field_validator("series", "contributor", mode="before")
    @classmethod
    def _given(cls, value: Any) -> Any:
        return given(value)

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return parsed(given(value), parse_date)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in KINDS:
            raise ValueError(f"unknown kind {value!r}; use one of {', '.join(KINDS)}")
        return value

    @field_validator("price", "low", "high", "volume", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return parsed(value, parse_decimal)

    @field_validator("adjustment", mode="before")
    @classmethod
    def _adjustment(cls, value: Any) -> Any:
        return parsed(value, parse_decimal, blank=Decimal(0))

    @field_validator("received_at", mode="before")
    @classmethod
    def _received(cls, value: Any) -> Any:
        return parsed(value, parse_datetime)
