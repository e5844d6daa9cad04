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

from metalwire.importing import ImportRow, cell
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

    _given = cell("series", "contributor", required=True)
    _date = cell("date", parse=parse_date, required=True)
    _number = cell("price", "low", "high", "volume", parse=parse_decimal)
    _adjustment = cell("adjustment", parse=parse_decimal, blank=Decimal(0))
    _received = cell("received_at", parse=parse_datetime)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in KINDS:
            raise ValueError(f"unknown kind {value!r}; use one of {', '.join(KINDS)}")
        return value
