"""The governance rules (pure): the steps a methodology change and a complaint go through, the
comment period, and which version of a family is in force on a date. Dates are UTC calendar
days; the services pass ``today`` in, so every rule here is a plain comparison."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from metalwire.errors import Conflict, InvalidInput
from metalwire.i18n import has_chinese

# A consultation stays open at least this long (IOSCO 12: stakeholders have time to respond).
MIN_COMMENT_DAYS = 14
TEXT_LIMIT = 100_000  # a whole methodology document
NOTE_LIMIT = 5_000  # a rationale, a comment, a complaint, an answer
TITLE_LIMIT = 200
# The published methodologies promise it ("announced at least 28 days before it takes effect").
NOTICE_DAYS = 28


class Stage(enum.StrEnum):
    """Where a methodology change stands. ``closed`` is not stored: an open consultation is
    closed from the day after ``closes_on`` (see :func:`stage_on`)."""

    PROPOSED = "proposed"
    OPEN = "open"
    CLOSED = "closed"
    DECIDED = "decided"


class Outcome(enum.StrEnum):
    ADOPTED = "adopted"
    AMENDED = "amended"  # adopted with changes made after the comments
    WITHDRAWN = "withdrawn"

    @property
    def makes_version(self) -> bool:
        return self is not Outcome.WITHDRAWN


class ComplaintState(enum.StrEnum):
    LOGGED = "logged"
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"


class ComplaintSubject(enum.StrEnum):
    SERIES = "series"
    ASSESSMENT = "assessment"
    METHODOLOGY = "methodology"


class ComplaintOutcome(enum.StrEnum):
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly-upheld"
    NOT_UPHELD = "not-upheld"


def stage_on(stored: Stage, closes_on: dt.date | None, today: dt.date) -> Stage:
    """The stage a reader sees today: an open consultation past its last day is closed."""
    if stored is Stage.OPEN and closes_on is not None and today > closes_on:
        return Stage.CLOSED
    return stored


def required_text(value: str, field: str, limit: int) -> str:
    """``value`` stripped; refused when empty or longer than ``limit``."""
    stripped = value.strip()
    if not stripped:
        raise InvalidInput("must not be empty", field=field)
    if len(stripped) > limit:
        raise InvalidInput(f"at most {limit:,} characters", field=field)
    return stripped


def required_chinese(value: str, field: str, limit: int) -> str:
    """The Chinese text beside an English one: required like it, and written in Chinese (a
    change is published in both languages, as the packaged documents are)."""
    stripped = required_text(value, field, limit)
    if not has_chinese(stripped):
        raise InvalidInput(f"must be written in Chinese, got {stripped[:40]!r}", field=field)
    return stripped


def check_opening(stored: Stage, opens_on: dt.date, closes_on: dt.date) -> None:
    """A proposal opens once, for at least MIN_COMMENT_DAYS days (the last day included)."""
    if stored is not Stage.PROPOSED:
        raise Conflict(f"the consultation is {stored.value}; only a proposal opens", field="id")
    days = (closes_on - opens_on).days + 1
    if days < MIN_COMMENT_DAYS:
        raise InvalidInput(
            f"the comment period must be at least {MIN_COMMENT_DAYS} days "
            f"({opens_on} to {closes_on} is {days})",
            field="closes",
        )


def check_comment(stored: Stage, closes_on: dt.date | None, today: dt.date) -> None:
    """Comments are taken while the consultation is open, its last day included."""
    stage = stage_on(stored, closes_on, today)
    if stage is Stage.OPEN:
        return
    if stage is Stage.CLOSED:
        raise Conflict(f"the comment period closed on {closes_on}", field="id")
    raise Conflict(f"the consultation is {stage.value}: not open for comments", field="id")


def check_decision(
    stored: Stage,
    closes_on: dt.date | None,
    today: dt.date,
    outcome: Outcome,
    effective: dt.date | None,
    last_effective: dt.date | None,
) -> None:
    """A decision only after the comment period; an adopted change takes effect NOTICE_DAYS or
    more after the decision day (so no assessment already made changes its version) and after
    the family's latest version, so versions follow one another in time."""
    stage = stage_on(stored, closes_on, today)
    if stage is Stage.OPEN:
        raise Conflict(f"the comment period runs until {closes_on}; decide after it", field="id")
    if stage is not Stage.CLOSED:
        raise Conflict(f"the consultation is {stage.value}: nothing to decide", field="id")
    if not outcome.makes_version:
        if effective is not None:
            raise InvalidInput("a withdrawn change takes no effect", field="effective")
        return
    if effective is None:
        raise InvalidInput(f"an {outcome.value} change needs its effective date", field="effective")
    earliest = today + dt.timedelta(days=NOTICE_DAYS)
    if effective < earliest:
        raise InvalidInput(
            f"a change is announced at least {NOTICE_DAYS} days ahead: effective on or after "
            f"{earliest}, not {effective}",
            field="effective",
        )
    if last_effective is not None and effective <= last_effective:
        raise Conflict(
            f"the family's latest version takes effect {last_effective}; this one must follow it",
            field="effective",
        )


@dataclass(frozen=True)
class Dated:
    """A version as the rules see it: its number and first day."""

    number: int
    effective: dt.date


def in_force(base: Dated, versions: Sequence[Dated], day: dt.date) -> Dated:
    """The version in force on ``day``: the latest later version effective on or before it,
    else ``base`` (the packaged document, the earliest version on record: a day before its
    stated date is under it too)."""
    found = base
    for version in versions:
        if version.effective <= day and (found is base or version.effective >= found.effective):
            found = version
    return found


# Each step from the state before it; anything else is out of order.
COMPLAINT_STEPS = {
    ComplaintState.ACKNOWLEDGED: ComplaintState.LOGGED,
    ComplaintState.ANSWERED: ComplaintState.ACKNOWLEDGED,
}


def check_complaint_step(current: ComplaintState, step: ComplaintState) -> None:
    """logged -> acknowledged -> answered, one step at a time."""
    before = COMPLAINT_STEPS.get(step)
    if before is None or current is not before:
        raise Conflict(
            f"the complaint is {current.value}; it can be {step.value} only when "
            f"{before.value if before else 'never'}",
            field="state",
        )
