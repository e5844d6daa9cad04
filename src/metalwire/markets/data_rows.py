"""One row of a market-data file (``metalwire import market``): an instrument's settlement.

Each cell parsed and within its range (the date from 1900 to a year after the day of the import,
settle, volume and open interest within 10^12 and to the stored scale), the currency and unit
known ones. Rules between rows or with the database (one row per instrument and date in a file,
an instrument's quote fixed once it has settlements) are the service's
(``markets.service.import_market``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import ConfigDict, ValidationInfo, field_validator

from metalwire.catalog.units import KNOWN_CURRENCIES, KNOWN_UNITS
from metalwire.db.base import utcnow
from metalwire.importing import ImportRow, cell
from metalwire.tabular import Bounded, date_problems, parse_date, parse_decimal

MARKET_COLUMNS = ("instrument", "date", "settle", "volume", "open_interest", "currency", "unit")

SETTLE_LIMIT = Decimal("1e12")  # a settlement, volume or open interest beyond it is a typo
# Market history reaches further back than the desk's own prices (the World Bank's monthly
# prices start in 1960).
FIRST_SETTLEMENT = dt.date(1900, 1, 1)

Settle = Annotated[Decimal, Bounded(SETTLE_LIMIT)]


class SettlementRow(ImportRow):
    """A settlement as a file row gives it. The validation context's ``today`` (the day of the
    import; default the clock's) ends the window of dates."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    instrument: str
    date: dt.date
    settle: Settle
    volume: Settle | None = None
    open_interest: Settle | None = None
    currency: str
    unit: str

    _instrument = cell("instrument", required=True)
    _date = cell("date", parse=parse_date, required=True)
    _settle = cell("settle", parse=parse_decimal, required=True)
    _quantity = cell("volume", "open_interest", parse=parse_decimal)

    @field_validator("date")
    @classmethod
    def _window(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        today = (info.context or {}).get("today") or utcnow().date()
        for _, message in date_problems("date", value, today, FIRST_SETTLEMENT):
            raise ValueError(message)
        return value

    @field_validator("currency", "unit")
    @classmethod
    def _known(cls, value: str, info: ValidationInfo) -> str:
        known = KNOWN_CURRENCIES if info.field_name == "currency" else KNOWN_UNITS
        if value not in known:
            raise ValueError(f"unknown {info.field_name} {value!r}")
        return value
