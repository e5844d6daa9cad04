"""The governance rules, pure: comment periods, decisions, versions in force, complaint steps."""

from __future__ import annotations

import datetime as dt

import pytest

from metalwire.errors import Conflict, InvalidInput
from metalwire.governance.rules import (
    MIN_COMMENT_DAYS,
    NOTICE_DAYS,
    ComplaintState,
    Dated,
    Outcome,
    Stage,
    check_comment,
    check_complaint_step,
    check_decision,
    check_opening,
    in_force,
    stage_on,
)

OPENS = dt.date(2026, 12, 1)
CLOSES = OPENS + dt.timedelta(days=MIN_COMMENT_DAYS - 1)  # the shortest period: 14 days


def test_a_comment_period_is_at_least_the_minimum_and_opens_once() -> None:
    check_opening(Stage.PROPOSED, OPENS, CLOSES)
    with pytest.raises(InvalidInput, match="at least 14 days") as short:
        check_opening(Stage.PROPOSED, OPENS, CLOSES - dt.timedelta(days=1))
    assert short.value.problems[0].field == "closes"
    with pytest.raises(Conflict, match="only a proposal opens"):
        check_opening(Stage.OPEN, OPENS, CLOSES)


def test_comments_are_taken_through_the_last_day_only() -> None:
    check_comment(Stage.OPEN, CLOSES, OPENS)
    check_comment(Stage.OPEN, CLOSES, CLOSES)
    assert stage_on(Stage.OPEN, CLOSES, CLOSES + dt.timedelta(days=1)) is Stage.CLOSED
    with pytest.raises(Conflict, match=f"closed on {CLOSES}"):
        check_comment(Stage.OPEN, CLOSES, CLOSES + dt.timedelta(days=1))
    for stage in (Stage.PROPOSED, Stage.DECIDED):
        with pytest.raises(Conflict, match="not open for comments"):
            check_comment(stage, CLOSES, OPENS)


def test_a_decision_comes_after_the_close_and_takes_effect_after_it() -> None:
    after = CLOSES + dt.timedelta(days=1)
    later = after + dt.timedelta(days=NOTICE_DAYS)
    with pytest.raises(Conflict, match="decide after it"):
        check_decision(Stage.OPEN, CLOSES, CLOSES, Outcome.ADOPTED, later, None)
    with pytest.raises(Conflict, match="nothing to decide"):
        check_decision(Stage.DECIDED, CLOSES, after, Outcome.ADOPTED, later, None)
    check_decision(Stage.OPEN, CLOSES, after, Outcome.ADOPTED, later, None)
    check_decision(Stage.OPEN, CLOSES, after, Outcome.WITHDRAWN, None, None)
    with pytest.raises(InvalidInput, match="needs its effective date"):
        check_decision(Stage.OPEN, CLOSES, after, Outcome.AMENDED, None, None)
    with pytest.raises(InvalidInput, match="at least 28 days ahead") as same_day:
        check_decision(Stage.OPEN, CLOSES, after, Outcome.ADOPTED, later - dt.timedelta(1), None)
    assert same_day.value.problems[0].field == "effective"
    with pytest.raises(Conflict, match="must follow it"):
        check_decision(Stage.OPEN, CLOSES, after, Outcome.ADOPTED, later, later)
    with pytest.raises(InvalidInput, match="takes no effect"):
        check_decision(Stage.OPEN, CLOSES, after, Outcome.WITHDRAWN, later, None)


def test_the_version_in_force_is_the_latest_effective_on_the_day() -> None:
    packaged = Dated(1, dt.date(2026, 11, 26))
    versions = [Dated(2, dt.date(2027, 1, 1)), Dated(3, dt.date(2027, 3, 1))]
    assert in_force(packaged, versions, dt.date(2026, 12, 31)) == packaged
    assert in_force(packaged, versions, dt.date(2026, 6, 1)) == packaged  # before any on record
    assert in_force(packaged, versions, dt.date(2027, 1, 1)).number == 2
    assert in_force(packaged, versions, dt.date(2027, 2, 28)).number == 2
    assert in_force(packaged, versions, dt.date(2027, 3, 1)).number == 3
    assert in_force(packaged, [], dt.date(2030, 1, 1)) == packaged


def test_a_complaint_moves_one_step_at_a_time() -> None:
    check_complaint_step(ComplaintState.LOGGED, ComplaintState.ACKNOWLEDGED)
    check_complaint_step(ComplaintState.ACKNOWLEDGED, ComplaintState.ANSWERED)
    with pytest.raises(Conflict, match="answered only when acknowledged"):
        check_complaint_step(ComplaintState.LOGGED, ComplaintState.ANSWERED)
    with pytest.raises(Conflict, match="acknowledged only when logged"):
        check_complaint_step(ComplaintState.ANSWERED, ComplaintState.ACKNOWLEDGED)
    with pytest.raises(Conflict):
        check_complaint_step(ComplaintState.LOGGED, ComplaintState.LOGGED)
