"""Survey shapes shared by the API, import files, exports and the client."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from metalwire.pricing.schemas import NOTE_LIMIT
from metalwire.tabular import Bounded

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
RETURN_VOLUME_LIMIT = Decimal("1e9")  # tonnes a month or a year: far above any smelter
REASONS_LIMIT = 20  # reason codes on one return: the list has fewer than that

# supply.returns._check checks the volumes (naming the row of a file), so the model only
# documents them; capacity must be above 0, the others not negative.
Capacity = Annotated[Decimal, Bounded(RETURN_VOLUME_LIMIT, sign="positive", check=False)]
Tonnes = Annotated[Decimal, Bounded(RETURN_VOLUME_LIMIT, sign="non-negative", check=False)]


class ReturnIn(BaseModel):
    """One respondent's monthly return, as posted to the API or read from an import row.

    ``name``, ``province``, ``producer_type`` and ``capacity`` are needed only the first time a
    respondent appears (it is then added to the panel).
    """

    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=PERIOD_PATTERN, examples=["2025-10"])
    respondent: str = Field(min_length=1, max_length=64, examples=["AG-HN-01"])
    # The lengths of the panel's columns (supply.models.Respondent).
    name: str | None = Field(default=None, max_length=300, examples=["Henan Smelter 1"])
    province: str | None = Field(default=None, max_length=64, examples=["henan"])
    producer_type: str | None = Field(
        default=None, max_length=64, examples=["lead-smelter by-product"]
    )
    capacity: Capacity | None = Field(default=None, description="t/yr", examples=["1200"])
    production: Tonnes = Field(examples=["96.5"])
    inventory: Tonnes | None = Field(default=None, description="End-of-period inventory")
    forecast_next: Tonnes | None = Field(default=None, description="Next period's output")
    reasons: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=REASONS_LIMIT, examples=[["maintenance"]]
    )
    note: str = Field(default="", max_length=NOTE_LIMIT)


class ReturnsResult(BaseModel):
    added: int
    replaced: int
    new_respondents: list[str]
