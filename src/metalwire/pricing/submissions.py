"""Market evidence in: checked, fingerprinted, written all or nothing (API, import file, desk);
manual exclusions with their published reason."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.models import Scope, User
from metalwire.audit import record
from metalwire.catalog.models import PriceSeries, SeriesKind
from metalwire.db.base import utcnow
from metalwire.importing import read_rows
from metalwire.pricing import engine
from metalwire.pricing.contributors import assign_codes
from metalwire.pricing.desk import ASSESSED_KINDS, PricingError, require_role
from metalwire.pricing.models import Submission, SubmissionExclusion
from metalwire.pricing.schemas import PRICE_LIMIT, SUBMISSION_COLUMNS, VOLUME_LIMIT, SubmissionIn
from metalwire.pricing.submission_rows import SubmissionRow
from metalwire.tabular import (
    DAYS_AHEAD,
    FIRST_DATE,
    ImportRejected,
    Problems,
    date_problems,
    number_problems,
)


def _fingerprint(series_id: int, item: SubmissionIn, received_at: dt.datetime) -> str:
    parts = [
        str(series_id),
        item.date.isoformat(),
        item.kind.value,
        *(
            str(v.normalize()) if v is not None else ""
            for v in (item.price, item.low, item.high, item.volume, item.adjustment)
        ),
        item.contributor,
        received_at.astimezone(dt.UTC).isoformat(),
        item.note,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _date_problems(item: SubmissionIn, today: dt.date) -> list[tuple[str, str]]:
    problems = date_problems("date", item.date, today)
    last = today + dt.timedelta(days=DAYS_AHEAD)
    received = item.received_at
    # Checked on the written fields before any conversion: 9999-12-31T23:59:59-05:00 is past
    # the last instant Python can turn into UTC.
    if received is not None and not FIRST_DATE.year <= received.year <= last.year:
        problems.append(
            (
                "received_at",
                f"out of range: {received.isoformat()} is not between "
                f"{FIRST_DATE.year} and {last.year}",
            )
        )
    return problems


def check_submission(
    item: SubmissionIn, series: PriceSeries | None, today: dt.date | None = None
) -> list[tuple[str, str]]:
    """Every rule a submission breaks, as (field, message)."""
    problems: list[tuple[str, str]] = []
    for name in ("price", "low", "high", "adjustment"):
        problems += number_problems(name, getattr(item, name), PRICE_LIMIT)
    problems += number_problems("volume", item.volume, VOLUME_LIMIT)
    problems += _date_problems(item, today or utcnow().date())
    if problems:
        return problems  # the rules below compare numbers that are not yet known to be sane
    if series is None:
        problems.append(("series", f"unknown series {item.series!r}"))
    elif series.kind not in ASSESSED_KINDS:
        problems.append(
            (
                "series",
                f"{item.series} is a {series.kind.value} series, not assessed from submissions",
            )
        )
    has_range = item.low is not None or item.high is not None
    if item.price is None and not has_range:
        problems.append(("price", "give a price, or a low and a high"))
    if item.price is not None and has_range:
        problems.append(("price", "give a price or a low and a high, not both"))
    if has_range and (item.low is None or item.high is None):
        problems.append(("low" if item.low is None else "high", "a range needs both low and high"))
    if item.low is not None and item.high is not None and item.low > item.high:
        problems.append(("low", f"low {item.low} is above high {item.high}"))
    # Premiums and discounts can be negative; an outright price cannot.
    if series is not None and series.kind is not SeriesKind.PREMIUM:
        for name in ("price", "low", "high"):
            value = getattr(item, name)
            if value is not None and value <= 0:
                problems.append((name, f"must be positive, got {value}"))
    if item.kind is engine.SubmissionKind.DEAL and item.volume is None:
        problems.append(("volume", "a deal needs a volume"))
    if item.volume is not None and item.volume <= 0:
        problems.append(("volume", f"must be positive, got {item.volume}"))
    return problems


def _series_by_code(session: Session, codes: Iterable[str]) -> dict[str, PriceSeries]:
    """The series the submissions name, by code, in one query; unknown codes are absent."""
    return {
        s.code: s
        for s in session.scalars(select(PriceSeries).where(PriceSeries.code.in_(set(codes))))
    }


def _check_numbered(
    numbered: Iterable[tuple[int, SubmissionIn]],
    known: Mapping[str, PriceSeries],
    today: dt.date,
    problems: Problems,
) -> None:
    """Every rule each submission breaks, located at its row as the sender counts rows."""
    for number, item in numbered:
        for name, message in check_submission(item, known.get(item.series), today):
            problems.add(number, name, message)


def _fingerprinted(
    items: Sequence[SubmissionIn], series_by_code: Mapping[str, PriceSeries], now: dt.datetime
) -> dict[str, tuple[SubmissionIn, dt.datetime]]:
    """Each distinct submission of the batch by its fingerprint, with its received instant
    (UTC when given without a zone, ``now`` when not given): a repeat in the batch is one."""
    prints: dict[str, tuple[SubmissionIn, dt.datetime]] = {}
    for item in items:
        received = item.received_at or now
        if received.tzinfo is None:
            received = received.replace(tzinfo=dt.UTC)
        prints.setdefault(
            _fingerprint(series_by_code[item.series].id, item, received), (item, received)
        )
    return prints


def _already_present(session: Session, fingerprints: Sequence[str]) -> set[str]:
    """The fingerprints already stored: a resent file or retried request adds nothing twice."""
    present: set[str] = set()
    # Looked up in chunks: SQLite bounds the number of variables in one statement.
    for chunk in range(0, len(fingerprints), 10_000):
        present.update(
            session.scalars(
                select(Submission.fingerprint).where(
                    Submission.fingerprint.in_(fingerprints[chunk : chunk + 10_000])
                )
            )
        )
    return present


def _new_submissions(
    prints: Mapping[str, tuple[SubmissionIn, dt.datetime]],
    present: set[str],
    series_by_code: Mapping[str, PriceSeries],
    *,
    actor: str,
    now: dt.datetime,
) -> list[Submission]:
    """The rows to write: every fingerprinted submission not already present, in batch order."""
    return [
        Submission(
            series_id=series_by_code[item.series].id,
            market_date=item.date,
            kind=item.kind,
            price=item.price,
            low=item.low,
            high=item.high,
            volume=item.volume,
            contributor=item.contributor,
            received_at=received,
            adjustment=item.adjustment,
            note=item.note,
            fingerprint=fingerprint,
            entered_by=actor,
            created_at=now,
        )
        for fingerprint, (item, received) in prints.items()
        if fingerprint not in present
    ]


def add_submissions(
    session: Session,
    items: Sequence[SubmissionIn],
    *,
    actor: str,
    source: str = "api",
    row_numbers: Sequence[int] | None = None,
    now: dt.datetime | None = None,
) -> tuple[list[int], int]:
    """Validate all, then write all: returns (ids added, count already present).

    Raises ImportRejected listing every problem; nothing is written then.
    """
    now = now or utcnow()
    series_by_code = _series_by_code(session, (item.series for item in items))
    problems = Problems()
    numbered = [
        (row_numbers[index] if row_numbers else index + 1, item) for index, item in enumerate(items)
    ]
    _check_numbered(numbered, series_by_code, now.date(), problems)
    if problems:
        raise ImportRejected(source, problems.items)
    prints = _fingerprinted(items, series_by_code, now)
    present = _already_present(session, list(prints))
    rows = _new_submissions(prints, present, series_by_code, actor=actor, now=now)
    session.add_all(rows)
    session.flush()
    if rows:
        assign_codes(session, (r.contributor for r in rows))
        record(
            session,
            at=now,
            actor=actor,
            action="add-submissions",
            object_type="submission",
            object_id=f"{rows[0].id}-{rows[-1].id}",
            after={
                "source": source,
                "count": len(rows),
                "series": sorted({item.series for item, _ in prints.values()}),
            },
        )
    return [r.id for r in rows], len(items) - len(rows)


def import_submissions(
    session: Session, path: Path, *, actor: str, now: dt.datetime | None = None
) -> tuple[int, int]:
    """All-or-nothing import of a CSV/XLSX file: (added, already present)."""
    today = (now or utcnow()).date()

    def check(rows: Sequence[tuple[int, SubmissionIn]], problems: Problems) -> None:
        known = _series_by_code(session, (item.series for _, item in rows))
        _check_numbered(rows, known, today, problems)

    rows = read_rows(path, SubmissionRow, SUBMISSION_COLUMNS, check=check)
    ids, present = add_submissions(
        session,
        [item for _, item in rows],
        actor=actor,
        source=str(path),
        row_numbers=[number for number, _ in rows],
        now=now,
    )
    return len(ids), present


def exclude_submission(session: Session, submission_id: int, reason: str, *, actor: User) -> None:
    """Leave a conforming submission out of assessment; the reason is published."""
    require_role(actor, Scope.SUBMIT, "exclude submissions")
    if not reason.strip():
        raise PricingError("an exclusion needs a written reason", field="reason")
    if session.get(Submission, submission_id) is None:
        raise PricingError(f"no submission {submission_id}", field="submission")
    session.add(
        SubmissionExclusion(
            submission_id=submission_id, excluded_by=actor.email, reason=reason.strip()
        )
    )
    record(
        session,
        actor=actor.email,
        action="exclude",
        object_type="submission",
        object_id=submission_id,
        after={"reason": reason.strip()},
    )
