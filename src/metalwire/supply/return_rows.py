"""One row of a survey-return file (``metalwire import survey``, the desk's upload).

The row is a ``ReturnIn`` read from text, with the survey it belongs to: the volumes parsed
(production required), the period a month, the respondent named, reason codes separated by
semicolons, text within the panel's columns. Whether the survey exists and what the panel
already knows (a new respondent's details, provinces, producer types, the volumes' ranges) are
the service's rules (``supply.service._check``), shared with the API.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import ConfigDict, field_validator

from metalwire.importing import ImportRow, cell
from metalwire.supply.schemas import PERIOD_PATTERN, ReturnIn
from metalwire.tabular import parse_decimal


class ReturnRow(ImportRow, ReturnIn):
    """A return as a file row gives it; other columns of the file are not read."""

    model_config = ConfigDict(extra="ignore")

    problem_order: ClassVar[tuple[str, ...]] = (
        "survey",
        "capacity",
        "production",
        "inventory",
        "forecast_next",
        "period",
        "respondent",
    )

    survey: str

    _volume = cell("capacity", "inventory", "forecast_next", parse=parse_decimal)
    _production = cell("production", parse=parse_decimal, required=True)
    _respondent = cell("respondent", required=True)

    @field_validator("period", mode="before")
    @classmethod
    def _month(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(PERIOD_PATTERN, value):
            raise ValueError(f"not a month (YYYY-MM): {value!r}")
        return value

    @field_validator("name", "province", "producer_type", mode="before")
    @classmethod
    def _detail(cls, value: Any) -> Any:
        return value or None  # an empty cell: the panel's detail stays as it is

    @field_validator("reasons", mode="before")
    @classmethod
    def _reasons(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return [code.strip() for code in value.split(";") if code.strip()]
