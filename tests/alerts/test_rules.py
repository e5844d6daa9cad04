"""Pure alert evaluation: moves, thresholds and the rules that trigger (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metalwire.alerts import rules
from metalwire.alerts.rules import Move, PriceRule

DAY = dt.date(2026, 11, 25)


def move(code: str, previous: str, current: str) -> Move:
    return Move(code, DAY, Decimal(previous), Decimal(current))


def test_the_move_is_percent_of_the_previous_mid_rounded_as_published() -> None:
    assert rules.day_on_day_pct(Decimal(7800), Decimal(8000)) == Decimal("2.56")  # 2.5641...
    assert rules.day_on_day_pct(Decimal(8000), Decimal(7800)) == Decimal("-2.50")
    assert rules.day_on_day_pct(Decimal(40), Decimal(40)) == Decimal("0.00")
    assert rules.day_on_day_pct(Decimal(0), Decimal(5)) is None  # no base to move from


def test_rises_and_falls_trigger_at_the_threshold_and_not_below() -> None:
    watched = [
        PriceRule(1, "UP", Decimal("2.56")),  # exactly the published move: triggers
        PriceRule(2, "UP", Decimal("2.57")),  # just above it: quiet
        PriceRule(3, "DOWN", Decimal("2.50")),  # a fall of 2.50% counts as a move of 2.50%
        PriceRule(4, "FLAT", Decimal("0.01")),
        PriceRule(5, "UNPRICED", Decimal("0.01")),  # no released move that day: quiet
    ]
    moves = {
        "UP": move("UP", "7800", "8000"),
        "DOWN": move("DOWN", "8000", "7800"),
        "FLAT": move("FLAT", "40", "40"),
    }
    triggered = rules.evaluate(watched, moves)
    assert [(t.rule.alert_id, t.change_pct) for t in triggered] == [
        (1, Decimal("2.56")),
        (3, Decimal("-2.50")),
    ]


def test_a_rounding_edge_follows_the_published_figure() -> None:
    # 1.995% is published as +2.00%: a reader with a 2% threshold who sees +2.00% gets the mail.
    assert rules.day_on_day_pct(Decimal(20000), Decimal(20399)) == Decimal("2.00")
    assert rules.evaluate([PriceRule(1, "X", Decimal(2))], {"X": move("X", "20000", "20399")})
    assert not rules.evaluate([PriceRule(1, "X", Decimal(2))], {"X": move("X", "20000", "20398")})


@pytest.mark.parametrize(
    ("typed", "value"),
    [("2.5", "2.50"), (" 3 ", "3.00"), ("0.01", "0.01"), ("100", "100.00"), ("1.5%", "1.50")],
)
def test_thresholds_as_typed(typed: str, value: str) -> None:
    assert rules.parse_threshold(typed) == Decimal(value)


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("", "number of percent"),
        ("two", "number of percent"),
        ("NaN", "more than 0"),
        ("0", "more than 0"),
        ("-1", "more than 0"),
        ("100.01", "at most 100"),
        ("1.234", "two decimals"),
    ],
)
def test_thresholds_refused_say_why(typed: str, why: str) -> None:
    with pytest.raises(rules.ThresholdError, match=why):
        rules.parse_threshold(typed)


@given(
    previous=st.decimals(min_value=1, max_value=100000, places=2),
    current=st.decimals(min_value=0, max_value=100000, places=2),
    threshold=st.decimals(min_value="0.01", max_value=100, places=2),
)
def test_triggered_exactly_when_the_size_of_the_move_reaches_the_threshold(
    previous: Decimal, current: Decimal, threshold: Decimal
) -> None:
    change = rules.day_on_day_pct(previous, current)
    assert change is not None
    fired = rules.evaluate(
        [PriceRule(1, "S", threshold)], {"S": move("S", str(previous), str(current))}
    )
    assert bool(fired) == (abs(change) >= threshold)
    if fired:
        assert fired[0].change_pct == change
