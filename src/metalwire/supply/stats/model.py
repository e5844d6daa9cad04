"""What a survey release is made of: the panel's members and returns going in, the published
figures coming out, and the calendar months they are dated by.

Pure data: validation happens as a value is made (a negative capacity or volume, a member active
backwards, a period that is not a month are refused with ValueError), so the panel and aggregate
steps read only well-formed inputs.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from metalwire.records import JsonRecord

ZERO = Decimal(0)

# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Respondent:
    """A smelter of the survey panel; ``capacity`` in t/yr."""

    id: str
    name: str
    province: str
    producer_type: str
    capacity: Decimal
    active_from: date | None = None
    active_to: date | None = None

    def __post_init__(self) -> None:
        if not self.capacity.is_finite() or self.capacity < 0:
            raise ValueError(f"respondent {self.id}: capacity must be >= 0, got {self.capacity}")
        if (
            self.active_from is not None
            and self.active_to is not None
            and self.active_from > self.active_to
        ):
            raise ValueError(f"respondent {self.id}: active_from is after active_to")


@dataclass(frozen=True, slots=True)
class Return:
    """One respondent's monthly return; ``period`` is 'YYYY-MM', volumes in the survey's unit."""

    respondent: str
    period: str
    production: Decimal
    inventory: Decimal | None = None
    forecast_next: Decimal | None = None
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, value in (
            ("production", self.production),
            ("inventory", self.inventory),
            ("forecast_next", self.forecast_next),
        ):
            if value is not None and (not value.is_finite() or value < 0):
                raise ValueError(
                    f"return {self.respondent} {self.period}: {name} must be >= 0, got {value}"
                )
        if not isinstance(self.reasons, tuple) or len(set(self.reasons)) < len(self.reasons):
            # Reasons are a set of codes, kept in the order cited: a code cited twice counts
            # once, and a list from a form or a JSON body would make the return unhashable.
            object.__setattr__(self, "reasons", tuple(dict.fromkeys(self.reasons)))


# --- outputs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupLine(JsonRecord):
    """A province's or producer type's output, its share (%), and its matched change."""

    name: str
    volume: Decimal
    share: Decimal | None
    change_abs: Decimal | None
    change_pct: Decimal | None


@dataclass(frozen=True, slots=True)
class OperatingRate(JsonRecord):
    """A producer type's active capacity (t/yr), output and operating rate (%)."""

    producer_type: str
    capacity: Decimal
    production: Decimal
    operating_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class Mover(JsonRecord):
    """A province or producer type expecting a change next month (forecast − current)."""

    kind: str  # "province" | "producer_type"
    name: str
    change: Decimal
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ForecastMovers(JsonRecord):
    cuts: tuple[Mover, ...]
    increases: tuple[Mover, ...]


@dataclass(frozen=True, slots=True)
class ReasonLine(JsonRecord):
    """The MoM change of the matched respondents citing a reason code."""

    code: str
    volume: Decimal
    respondents: int


@dataclass(frozen=True, slots=True)
class Imputation(JsonRecord):
    """An imputed return: previous value x ``link`` of ``imputation_class`` (published 'class')."""

    respondent: str
    volume: Decimal
    link: Decimal
    imputation_class: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "respondent": self.respondent,
            "volume": str(self.volume),
            "link": str(self.link),
            "class": self.imputation_class,
        }


@dataclass(frozen=True, slots=True)
class NewRespondent(JsonRecord):
    respondent: str
    volume: Decimal


@dataclass(frozen=True, slots=True)
class DroppedRespondent(JsonRecord):
    respondent: str
    previous_volume: Decimal


@dataclass(frozen=True, slots=True)
class Bridge(JsonRecord):
    """A published total against last month's, on one basis, and what moved it.

    ``previous + change_abs`` is the published level exactly (both are published figures);
    before rounding, ``change_abs = matched_change + joined_volume − left_volume −
    unreported_volume``: the like-for-like change of the matched sample, what newcomers added,
    what leavers (out of the panel, or for stocks no longer reporting them) and active members
    neither reporting nor estimable had last month. Imputed values are in the matched sample
    (``imputed``), so imputation moves no term of its own.
    """

    previous: Decimal
    change_abs: Decimal
    change_pct: Decimal | None
    matched_change: Decimal | None
    joined_count: int
    joined_volume: Decimal
    left_count: int
    left_volume: Decimal
    unreported_count: int
    unreported_volume: Decimal

    @property
    def panel_changed(self) -> bool:
        return bool(self.joined_count or self.left_count or self.unreported_count)


@dataclass(frozen=True, slots=True)
class SurveyStats(JsonRecord):
    """One month's published survey figures, rounded once; ``None`` where not computable."""

    period: str
    days: int
    production: Decimal | None
    mom_abs: Decimal | None
    mom_pct: Decimal | None
    yoy_abs: Decimal | None
    yoy_pct: Decimal | None
    ytd: Decimal | None
    ytd_change_pct: Decimal | None
    main_provinces: tuple[str, ...]
    by_province: tuple[GroupLine, ...]
    by_producer_type: tuple[GroupLine, ...]
    operating_rate: Decimal | None
    operating_rate_by_producer_type: tuple[OperatingRate, ...]
    capacity: Decimal
    coverage: Decimal | None
    inventory: Decimal | None
    inventory_change_abs: Decimal | None
    inventory_change_pct: Decimal | None
    forecast_next: Decimal | None
    forecast_change_abs: Decimal | None
    forecast_change_pct: Decimal | None
    forecast_movers: ForecastMovers
    reasons: tuple[ReasonLine, ...]
    previous_forecast: Decimal | None
    forecast_variance_abs: Decimal | None
    forecast_variance_pct: Decimal | None
    imputed: tuple[Imputation, ...]
    imputed_count: int
    imputed_volume: Decimal
    imputed_share: Decimal | None
    new_respondents: tuple[NewRespondent, ...]
    dropped_respondents: tuple[DroppedRespondent, ...]
    missing: tuple[str, ...]
    reported: tuple[str, ...]
    respondents_reporting: int
    matched_count: int
    output_bridge: Bridge | None = None
    inventory_bridge: Bridge | None = None


# --- periods ------------------------------------------------------------------------------------


def month_number(period: str) -> int:
    """'2025-10' -> months since year 0, so t − 1 and t − 12 are plain subtraction."""
    if (
        len(period) != 7
        or period[4] != "-"
        or not period.isascii()
        or not period[:4].isdigit()
        or not period[5:].isdigit()
        or not 1 <= int(period[5:]) <= 12
    ):
        raise ValueError(f"period must be a month YYYY-MM, got {period!r}")
    return int(period[:4]) * 12 + int(period[5:]) - 1


def month_of(day: date) -> int:
    return day.year * 12 + day.month - 1


def days_in(number: int) -> int:
    year, month = divmod(number, 12)
    return calendar.monthrange(year, month + 1)[1]
