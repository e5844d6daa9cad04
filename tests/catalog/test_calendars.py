import datetime as dt

import pytest

from metalwire.catalog.calendars import CalendarError, get_calendar, load_calendars


def test_china_and_uk_calendars_cover_2024_to_2027() -> None:
    calendars = load_calendars()
    assert {"CN", "UK"} <= set(calendars)
    for code in ("CN", "UK"):
        years = {day.year for day in calendars[code].holidays}
        assert years == {2024, 2025, 2026, 2027}


def test_china_national_day_and_spring_festival_are_closed() -> None:
    cn = get_calendar("CN")
    assert not cn.is_trading_day(dt.date(2025, 10, 1))
    assert not cn.is_trading_day(dt.date(2025, 1, 29))  # Spring Festival 2025
    assert cn.is_trading_day(dt.date(2025, 10, 9))
    # Make-up working Saturdays are not exchange trading days.
    assert not cn.is_trading_day(dt.date(2025, 9, 28))


def test_uk_bank_holidays() -> None:
    uk = get_calendar("UK")
    assert not uk.is_trading_day(dt.date(2025, 12, 25))
    assert not uk.is_trading_day(dt.date(2025, 8, 25))  # summer bank holiday
    assert uk.is_trading_day(dt.date(2025, 10, 1))  # China's holiday, not London's


def test_previous_and_next_trading_day_skip_weekends_and_holidays() -> None:
    cn = get_calendar("CN")
    assert cn.previous_trading_day(dt.date(2025, 10, 9)) == dt.date(2025, 9, 30)
    assert cn.next_trading_day(dt.date(2025, 9, 30)) == dt.date(2025, 10, 9)
    days = cn.trading_days(dt.date(2025, 10, 1), dt.date(2025, 10, 10))
    assert days == [dt.date(2025, 10, 9), dt.date(2025, 10, 10)]


def test_unknown_calendar_and_uncovered_year_are_clear_errors() -> None:
    with pytest.raises(CalendarError, match="unknown market calendar 'XX'"):
        get_calendar("XX")
    with pytest.raises(CalendarError, match="2024-2027"):
        get_calendar("CN").is_trading_day(dt.date(2030, 1, 2))
