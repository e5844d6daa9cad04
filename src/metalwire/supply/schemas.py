"""Survey shapes shared by the API, import files, exports and the client."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

RETURN_COLUMNS = (
    "survey",
    "period",
    "respondent",
    "name",
    "province",
    "producer_type",
    "capacity",
    "production",
    "inventory",
    "forecast_next",
    "reasons",
    "note",
)
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class ReturnIn(BaseModel):
    """One respondent's monthly return, as posted to the API or read from an import row.

    ``name``, ``province``, ``producer_type`` and ``capacity`` are needed only the first time a
    respondent appears (it is then added to the panel).
    """

    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=PERIOD_PATTERN, examples=["2025-10"])
    respondent: str = Field(min_length=1, max_length=64, examples=["AG-HN-01"])
    name: str | None = Field(default=None, examples=["Henan Smelter 1"])
    province: str | None = Field(default=None, examples=["henan"])
    producer_type: str | None = Field(default=None, examples=["lead-smelter by-product"])
    capacity: Decimal | None = Field(default=None, description="t/yr", examples=["1200"])
    production: Decimal = Field(examples=["96.5"])
    inventory: Decimal | None = Field(default=None, description="End-of-period inventory")
    forecast_next: Decimal | None = Field(default=None, description="Next period's output")
    reasons: list[str] = Field(default_factory=list, examples=[["maintenance"]])
    note: str = ""


class ReturnsResult(BaseModel):
    added: int
    replaced: int
    new_respondents: list[str]
