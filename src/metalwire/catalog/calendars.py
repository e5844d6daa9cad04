"""Market calendars: which local dates a market trades on. Holidays are data, not code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

from metalwire.errors import InvalidInput

FIRST_YEAR, LAST_YEAR = 2024, 2027


class CalendarError(InvalidInput):
    """Unknown calendar, or a date outside the years the holiday data covers."""


@dataclass(frozen=True)
class Holiday:
    date: dt.date
    name_en: str
    name_zh: str
    provisional: bool = False


@dataclass(frozen=True)
class MarketCalendar:
    code: str
    name_en: str
    name_zh: str
    timezone: str
    weekend: frozenset[int]
    holidays: dict[dt.date, Holiday] = field(default_factory=dict)

    def _covered(self, day: dt.date) -> None:
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise CalendarError(
                f"calendar {self.code} has holiday data for {FIRST_YEAR}-{LAST_YEAR}, not {day}"
            )

    def is_trading_day(self, day: dt.date) -> bool:
        self._covered(day)
        return day.weekday() not in self.weekend and day not in self.holidays

    def trading_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Trading days from start to end, both included."""
        days = []
        day = start
        while day <= end:
            if self.is_trading_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def previous_trading_day(self, day: dt.date) -> dt.date:
        candidate = day - dt.timedelta(days=1)
        while not self.is_trading_day(candidate):
            candidate -= dt.timedelta(days=1)
        return candidate

    def next_trading_day(self, day: dt.date) -> dt.date:
        candidate = day + dt.timedelta(days=1)
        while not self.is_trading_day(candidate):
            candidate += dt.timedelta(days=1)
        return candidate


@lru_cache(maxsize=1)
def load_calendars() -> dict[str, MarketCalendar]:
    text = resources.files("metalwire.catalog").joinpath("data/calendars.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)["calendars"]
    calendars: dict[str, MarketCalendar] = {}
    for code, spec in raw.items():
        holidays = {}
        for item in spec.get("holidays", []):
            day = (
                item["date"]
                if isinstance(item["date"], dt.date)
                else dt.date.fromisoformat(item["date"])
            )
            holidays[day] = Holiday(
                day, item["name_en"], item["name_zh"], bool(item.get("provisional", False))
            )
        calendars[code] = MarketCalendar(
            code=code,
            name_en=spec["name_en"],
            name_zh=spec["name_zh"],
            timezone=spec["timezone"],
            weekend=frozenset(spec.get("weekend", [5, 6])),
            holidays=holidays,
        )
    return calendars


def get_calendar(code: str) -> MarketCalendar:
    calendars = load_calendars()
    try:
        return calendars[code]
    except KeyError:
        raise CalendarError(
            f"unknown market calendar {code!r}; known: {', '.join(sorted(calendars))}"
        ) from None
