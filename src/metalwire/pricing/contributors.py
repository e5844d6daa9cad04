"""Contributors: their public codes, the account a contributor's owner reads with, and the
desk's quality statistics (submissions, exclusion rate, lateness).

A contributor's name (Submission.contributor) is shown to the desk's staff only; everything
else shows the code, assigned once in order of the first submission ("C-01", "C-02", ...):
deterministic for a given history, never derived from the name (a hash of a guessable company
name would not hide it), never reused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Executable, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from metalwire.accounts.models import User
from metalwire.accounts.service import require_user
from metalwire.audit import record
from metalwire.catalog.models import CatalogEntry, Commodity, PriceSeries
from metalwire.catalog.units import plain, round_price
from metalwire.db.base import utcnow
from metalwire.errors import Conflict, InvalidInput, NotFound
from metalwire.pricing.methodology import methodology_for
from metalwire.pricing.models import Assessment, Contributor, Submission
from metalwire.pricing.release_times import scheduled_release
from metalwire.records import JsonRecord


def code_for(number: int) -> str:
    return f"C-{number:02d}"


def assign_codes(session: Session, names: Iterable[str], attempts: int = 5) -> None:
    """Give each new contributor among ``names`` the next code, in the order given.

    Two imports may code new contributors at once: both count the same codes and offer the
    same next one. The insert skips a row whose code or name another writer holds (ON CONFLICT
    DO NOTHING: it waits for that writer's commit and does not abort this transaction, where a
    failed insert would need a savepoint), and the names left uncoded are counted again."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return
    for _ in range(attempts):
        known = set(session.scalars(select(Contributor.name).where(Contributor.name.in_(wanted))))
        new = [name for name in wanted if name not in known]
        if not new:
            return
        count = session.scalar(select(func.count(Contributor.id))) or 0
        now = utcnow()
        rows = [
            {"name": name, "code": code_for(count + n), "created_at": now}
            for n, name in enumerate(new, start=1)
        ]
        session.execute(_insert_skipping_conflicts(session, rows))
    raise Conflict(
        f"contributor codes: {attempts} attempts collided with other writers; run it again",
        field="contributor",
    )


def _insert_skipping_conflicts(session: Session, rows: list[dict[str, Any]]) -> Executable:
    """INSERT ... ON CONFLICT DO NOTHING in the database's own dialect."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(Contributor).values(rows).on_conflict_do_nothing()


def codes_by_name(session: Session, names: Iterable[str]) -> dict[str, str]:
    wanted = list(set(names))
    rows = session.execute(
        select(Contributor.name, Contributor.code).where(Contributor.name.in_(wanted))
    )
    return {name: code for name, code in rows}


def codes_of_submissions(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """The public code of each submission's contributor, by submission id: how an assessment's
    inputs are named to readers (never by the contributor's name)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Submission.id, Contributor.code)
        .join(Contributor, Contributor.name == Submission.contributor)
        .where(Submission.id.in_(wanted))
    )
    return {submission_id: code for submission_id, code in rows}


def input_ids(explanation: dict[str, Any]) -> list[int]:
    """The submissions an assessment weighed: those used and those excluded."""
    used = [int(i) for i in explanation.get("inputs_used") or []]
    excluded = [int(x["submission_id"]) for x in explanation.get("excluded") or []]
    return used + excluded


def contributors(session: Session) -> list[Contributor]:
    return list(session.scalars(select(Contributor).order_by(Contributor.id)))


def require_code(session: Session, code: str) -> Contributor:
    found = session.scalar(select(Contributor).where(Contributor.code == code.strip().upper()))
    if found is None:
        raise NotFound(f"no contributor {code!r}", field="code")
    return found


def link_user(session: Session, code: str, email: str | None, *, actor: str) -> Contributor:
    """Link an account to a contributor (None: unlink). One account per contributor and one
    contributor per account; audited."""
    contributor = require_code(session, code)
    user = require_user(session, email) if email else None
    if user is not None:
        other = session.scalar(select(Contributor).where(Contributor.user_id == user.id))
        if other is not None and other.id != contributor.id:
            raise InvalidInput(f"{user.email} is linked to {other.code} already", field="user")
    before = contributor.user.email if contributor.user else None
    contributor.user_id = user.id if user else None
    session.flush()
    record(
        session,
        actor=actor,
        action="link-contributor",
        object_type="contributor",
        object_id=contributor.code,
        before={"user": before},
        after={"user": user.email if user else None},
    )
    return contributor


def contributor_of(session: Session, user: User) -> Contributor | None:
    found: Contributor | None = session.scalar(
        select(Contributor).where(Contributor.user_id == user.id)
    )
    return found


def cutoff_of(series: PriceSeries, day: dt.date) -> dt.datetime:
    """When evidence for a series' day is due: its family's cut-off before the release."""
    return methodology_for(series.methodology).cutoff(scheduled_release(series, day))


def is_late(submission: Submission) -> bool:
    return submission.received_at > cutoff_of(submission.series, submission.market_date)


def submissions_between(
    session: Session, start: dt.date, end: dt.date, names: Sequence[str] | None = None
) -> list[Submission]:
    query = select(Submission).where(Submission.market_date >= start, Submission.market_date <= end)
    if names is not None:
        query = query.where(Submission.contributor.in_(list(names)))
    # The series with its catalog place, in a statement each, not one per series (lateness and
    # the plan are asked per submission).
    query = query.options(
        selectinload(Submission.series)
        .selectinload(PriceSeries.commodity)
        .selectinload(Commodity.entry)
        .selectinload(CatalogEntry.group)
    )
    return list(session.scalars(query.order_by(Submission.market_date, Submission.id)))


def excluded_ids(
    session: Session, pairs: set[tuple[int, dt.date]], *, readable: Any = None
) -> tuple[dict[int, str], set[int]]:
    """(excluded submission id -> reason, used submission ids) by the latest assessment version
    of each (series, date) pair; ``readable`` narrows the versions (the gate's ``released``)."""
    if not pairs:
        return {}, set()
    query = select(
        Assessment.series_id, Assessment.market_date, Assessment.version, Assessment.explanation
    ).where(
        Assessment.series_id.in_({s for s, _ in pairs}),
        Assessment.market_date.in_({d for _, d in pairs}),
    )
    if readable is not None:
        query = query.where(readable)
    latest: dict[tuple[int, dt.date], Any] = {}
    for row in session.execute(query.order_by(Assessment.version)):
        if (row.series_id, row.market_date) in pairs:
            latest[(row.series_id, row.market_date)] = row.explanation or {}
    excluded: dict[int, str] = {}
    used: set[int] = set()
    for data in latest.values():
        used.update(int(i) for i in data.get("inputs_used") or [])
        for item in data.get("excluded") or []:
            excluded[int(item["submission_id"])] = str(item.get("reason", ""))
    return excluded, used


@dataclass(frozen=True, slots=True)
class ContributorQuality(JsonRecord):
    """One contributor's evidence in a period, for the desk."""

    code: str
    name: str
    submissions: int
    series: int
    excluded: int
    exclusion_rate: Decimal | None  # percent of submissions
    late: int  # received after the series' cut-off
    late_rate: Decimal | None
    last_received: dt.datetime | None


def _rate(count: int, total: int) -> Decimal | None:
    return round_price(Decimal(count) * 100 / total, 2) if total else None


def quality(session: Session, start: dt.date, end: dt.date) -> list[ContributorQuality]:
    """Per contributor with submissions in the period, by code."""
    rows = submissions_between(session, start, end)
    excluded, _ = excluded_ids(session, {(s.series_id, s.market_date) for s in rows})
    codes = codes_by_name(session, (s.contributor for s in rows))
    grouped: dict[str, list[Submission]] = {}
    for item in rows:
        grouped.setdefault(item.contributor, []).append(item)
    out = []
    for name, items in grouped.items():
        gone = sum(1 for s in items if s.id in excluded)
        late = sum(1 for s in items if is_late(s))
        out.append(
            ContributorQuality(
                code=codes.get(name, "?"),
                name=name,
                submissions=len(items),
                series=len({s.series_id for s in items}),
                excluded=gone,
                exclusion_rate=_rate(gone, len(items)),
                late=late,
                late_rate=_rate(late, len(items)),
                last_received=max(s.received_at for s in items),
            )
        )
    return sorted(out, key=lambda q: (len(q.code), q.code))


@dataclass(frozen=True, slots=True)
class OwnSubmission(JsonRecord):
    """A submission as its contributor reads it back: what was sent, whether it came after the
    cut-off, and what the published assessment made of it (null until the price is out)."""

    id: int
    series: str
    date: dt.date
    kind: str
    price: Decimal | None
    low: Decimal | None
    high: Decimal | None
    volume: Decimal | None
    received_at: dt.datetime
    late: bool
    outcome: str | None  # "used", "excluded" or "not-used", once the price is published
    exclusion_reason: str | None


def _plain(value: Decimal | None) -> Decimal | None:
    """As submitted, without the stored scale's trailing zeros: 9900.000000 -> 9900."""
    return None if value is None else Decimal(plain(value))


def _outcome(item: Submission, excluded: dict[int, str], used: set[int], out: bool) -> str | None:
    if not out:
        return None
    if item.id in excluded:
        return "excluded"
    if item.id in used:
        return "used"
    return "not-used"


def own_submissions(
    session: Session,
    contributor: Contributor,
    start: dt.date,
    end: dt.date,
    *,
    published: Any,
    may_see: Callable[[PriceSeries], bool],
) -> list[OwnSubmission]:
    """The contributor's submissions in the period, oldest first; ``published`` is the gate's
    condition on assessment versions (``released(Assessment, now)``): an outcome is told only
    once its price is out, and only for a series ``may_see`` (the caller's plan) includes: an
    exclusion's reason can quote the assessed price."""
    rows = submissions_between(session, start, end, [contributor.name])
    series = {s.series_id: s.series for s in rows}
    pairs = {(s.series_id, s.market_date) for s in rows}
    excluded, used = excluded_ids(session, pairs, readable=published)
    out_pairs = {p for p in _published_pairs(session, pairs, published) if may_see(series[p[0]])}
    return [
        OwnSubmission(
            id=s.id,
            series=s.series.code,
            date=s.market_date,
            kind=s.kind.value,
            price=_plain(s.price),
            low=_plain(s.low),
            high=_plain(s.high),
            volume=_plain(s.volume),
            received_at=s.received_at,
            late=is_late(s),
            outcome=_outcome(s, excluded, used, (s.series_id, s.market_date) in out_pairs),
            exclusion_reason=excluded.get(s.id)
            if (s.series_id, s.market_date) in out_pairs
            else None,
        )
        for s in rows
    ]


def _published_pairs(
    session: Session, pairs: set[tuple[int, dt.date]], published: Any
) -> set[tuple[int, dt.date]]:
    if not pairs:
        return set()
    rows = session.execute(
        select(Assessment.series_id, Assessment.market_date).where(
            Assessment.series_id.in_({s for s, _ in pairs}),
            Assessment.market_date.in_({d for _, d in pairs}),
            published,
        )
    )
    return {(r.series_id, r.market_date) for r in rows} & pairs
