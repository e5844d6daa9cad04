"""Pricing operations: submit evidence, assess, review (four eyes), release, correct, read.

Each function runs inside the caller's transaction and records an audit event for every change.
Reads return only what was published at the instant asked for (``as_of``): approved, and past
its release time. Entitlements are the web layer's business, through the access gate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    String,
    and_,
    bindparam,
    func,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, aliased

from metalwire.accounts.gate import SCOPE_ROLES
from metalwire.accounts.models import Scope, User
from metalwire.audit import jsonable, record
from metalwire.catalog.models import (
    CatalogEntry,
    CatalogGroup,
    Commodity,
    PriceSeries,
    SeriesKind,
    SeriesStatus,
)
from metalwire.catalog.units import UNIT_NAMES, round_price
from metalwire.db.base import utcnow
from metalwire.errors import FourEyes, ServiceError
from metalwire.importing import read_rows
from metalwire.pricing import engine
from metalwire.pricing.methodology import methodology_for
from metalwire.pricing.models import (
    Assessment,
    AssessmentStatus,
    Submission,
    SubmissionExclusion,
)
from metalwire.pricing.schemas import (
    NOTE_LIMIT,
    PRICE_LIMIT,
    SUBMISSION_COLUMNS,
    VOLUME_LIMIT,
    SubmissionIn,
)
from metalwire.pricing.submission_rows import SubmissionRow
from metalwire.tabular import (
    DAYS_AHEAD,
    FIRST_DATE,
    ImportRejected,
    Problems,
    date_problems,
    number_problems,
)

# Series whose values the engine assesses from submissions; futures settlements and indices
# come from market data and index calculation.
ASSESSED_KINDS = (SeriesKind.OUTRIGHT, SeriesKind.PREMIUM)


class PricingError(ServiceError):
    """A refused pricing operation; the message says which field or rule."""


# --- release times -----------------------------------------------------------------------------


def scheduled_release(series: PriceSeries, market_date: dt.date) -> dt.datetime:
    """The release instant (UTC) of a series' value for a market date, in its own timezone."""
    local = dt.datetime.combine(market_date, series.release_time, tzinfo=ZoneInfo(series.timezone))
    return local.astimezone(dt.UTC)


def market_today(series: PriceSeries, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(series.timezone)).date()


# --- submissions -------------------------------------------------------------------------------


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
    codes = {item.series for item in items}
    series_by_code = {
        s.code: s for s in session.scalars(select(PriceSeries).where(PriceSeries.code.in_(codes)))
    }
    problems = Problems()
    for index, item in enumerate(items):
        number = row_numbers[index] if row_numbers else index + 1
        for name, message in check_submission(item, series_by_code.get(item.series), now.date()):
            problems.add(number, name, message)
    if problems:
        raise ImportRejected(source, problems.items)
    prints: dict[str, tuple[SubmissionIn, dt.datetime]] = {}
    for item in items:
        received = item.received_at or now
        if received.tzinfo is None:
            received = received.replace(tzinfo=dt.UTC)
        prints.setdefault(
            _fingerprint(series_by_code[item.series].id, item, received), (item, received)
        )
    # Looked up in chunks: SQLite bounds the number of variables in one statement.
    keys = list(prints)
    present: set[str] = set()
    for chunk in range(0, len(keys), 10_000):
        present.update(
            session.scalars(
                select(Submission.fingerprint).where(
                    Submission.fingerprint.in_(keys[chunk : chunk + 10_000])
                )
            )
        )
    rows = []
    for fingerprint, (item, received) in prints.items():
        if fingerprint in present:
            continue
        rows.append(
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
        )
    session.add_all(rows)
    session.flush()
    if rows:
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
        codes = {item.series for _, item in rows}
        known = {
            s.code: s
            for s in session.scalars(select(PriceSeries).where(PriceSeries.code.in_(codes)))
        }
        for number, item in rows:
            for name, message in check_submission(item, known.get(item.series), today):
                problems.add(number, name, message)

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
    _require_role(actor, Scope.SUBMIT, "exclude submissions")
    if not reason.strip():
        raise PricingError("reason: an exclusion needs a written reason")
    if session.get(Submission, submission_id) is None:
        raise PricingError(f"submission: no submission {submission_id}")
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


# --- assessment --------------------------------------------------------------------------------


def _require_role(user: User, scope: Scope, what: str) -> None:
    if user.role not in SCOPE_ROLES[scope]:
        raise PricingError(f"user: {user.email} ({user.role.value}) may not {what}")


def _previous(session: Session, series_id: int, market_date: dt.date) -> engine.Previous | None:
    row = session.execute(
        select(Assessment.low, Assessment.high, Assessment.mid)
        .where(
            Assessment.series_id == series_id,
            Assessment.market_date < market_date,
            Assessment.status == AssessmentStatus.APPROVED,
        )
        .order_by(Assessment.market_date.desc(), Assessment.version.desc())
        .limit(1)
    ).first()
    return engine.Previous(row.low, row.high, row.mid) if row else None


# The day's inputs of every series in scope, each in one set-based query: a market day is
# thousands of series, and a query per series per input made assess_day scale with the
# round trips, not with the work (10,000 series x 50 submissions: 22 s before, see
# benchmarks/bench_assess_db.py).


def _evidence_by_series(
    session: Session, scope: Select[Any], market_date: dt.date
) -> dict[int, tuple[list[engine.Evidence], list[engine.Exclusion]]]:
    """Each series' submissions on the date, split into evidence and manual exclusions."""
    rows = session.execute(
        select(
            Submission.id,
            Submission.series_id,
            Submission.kind,
            Submission.price,
            Submission.low,
            Submission.high,
            Submission.volume,
            Submission.contributor,
            Submission.received_at,
            Submission.adjustment,
            SubmissionExclusion.excluded_by,
            SubmissionExclusion.reason,
        )
        .outerjoin(SubmissionExclusion, SubmissionExclusion.submission_id == Submission.id)
        .where(Submission.series_id.in_(scope), Submission.market_date == market_date)
        .order_by(Submission.series_id, Submission.id)
    )
    out: dict[int, tuple[list[engine.Evidence], list[engine.Exclusion]]] = {}
    zero = Decimal(0)
    # Rows unpacked as tuples, not read by attribute name: half a million rows on a full day.
    for (
        submission_id,
        series_id,
        kind,
        price,
        low,
        high,
        volume,
        contributor,
        received_at,
        adjustment,
        excluded_by,
        reason,
    ) in rows:
        evidence, manual = out.setdefault(series_id, ([], []))
        if excluded_by is not None:
            shown = price if price is not None else ((low or zero) + (high or zero)) / 2
            manual.append(engine.Exclusion(submission_id, shown, f"excluded by the desk: {reason}"))
            continue
        evidence.append(
            engine.Evidence(
                submission_id,
                kind,
                price,
                low,
                high,
                volume,
                contributor,
                received_at,
                adjustment or zero,
            )
        )
    return out


def _previous_by_series(
    session: Session, conditions: Sequence[ColumnElement[bool]], market_date: dt.date
) -> dict[int, engine.Previous]:
    """Each series' latest approved assessment before the date (as :func:`_previous`)."""
    prior = aliased(Assessment)
    # Correlated per series: an index walk backwards from the date, whatever the history length.
    newest = (
        select(prior.id)
        .where(
            prior.series_id == PriceSeries.id,
            prior.market_date < market_date,
            prior.status == AssessmentStatus.APPROVED,
        )
        .order_by(prior.market_date.desc(), prior.version.desc())
        .limit(1)
        .correlate(PriceSeries)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Assessment.series_id, Assessment.low, Assessment.high, Assessment.mid).where(
            Assessment.id.in_(select(newest).where(*conditions))
        )
    )
    return {row.series_id: engine.Previous(row.low, row.high, row.mid) for row in rows}


def _latest_by_series(
    session: Session, scope: Select[Any], market_date: dt.date
) -> dict[int, Assessment]:
    """Each series' latest version on the date, if any (as :func:`_latest_version`)."""
    latest: dict[int, Assessment] = {}
    rows = session.scalars(
        select(Assessment)
        .where(Assessment.series_id.in_(scope), Assessment.market_date == market_date)
        .order_by(Assessment.version)
    )
    for row in rows:  # ordered by version: the last one wins
        latest[row.series_id] = row
    return latest


def _apply(
    row: Assessment, result: engine.AssessmentResult, manual: Sequence[engine.Exclusion]
) -> None:
    explanation = result.to_dict()
    if manual:
        explanation["excluded"] = [
            *explanation["excluded"],
            *(
                {"submission_id": m.submission_id, "price": str(m.price), "reason": m.reason}
                for m in manual
            ),
        ]
    row.low, row.high, row.mid, row.vwap = result.low, result.high, result.mid, result.vwap
    row.change, row.change_pct = result.change, result.change_pct
    row.method, row.carried_forward = result.method, result.carried_forward
    row.deals_used, row.volume_used = result.deals_used, result.volume_used
    row.explanation, row.rationale = explanation, result.rationale


def _assessed_state(row: Assessment) -> tuple[Any, ...]:
    """What a (re)assessment sets: equal before and after, the run changed nothing."""
    return (
        row.low,
        row.high,
        row.mid,
        row.vwap,
        row.change,
        row.change_pct,
        row.method,
        row.carried_forward,
        row.deals_used,
        row.volume_used,
        jsonable(row.explanation),
        row.rationale,
        row.assessor_id,
    )


@dataclass
class AssessRun:
    assessments: list[Assessment]
    skipped: list[tuple[str, str]]  # (series code, why)


def assess_day(
    session: Session,
    market_date: dt.date,
    *,
    user: User,
    series_code: str | None = None,
) -> AssessRun:
    """Create or refresh the draft assessments of a market date from its submissions."""
    _require_role(user, Scope.SUBMIT, "assess prices")
    conditions: list[ColumnElement[bool]] = [
        PriceSeries.status == SeriesStatus.ACTIVE,
        PriceSeries.kind.in_(ASSESSED_KINDS),
    ]
    if series_code is not None:
        conditions.append(PriceSeries.code == series_code)
    series_list = list(
        session.scalars(select(PriceSeries).where(*conditions).order_by(PriceSeries.code))
    )
    if series_code is not None and not series_list:
        raise PricingError(f"series: no assessed series {series_code!r}")
    run = AssessRun([], [])
    if not series_list:
        return run
    scope = select(PriceSeries.id).where(*conditions)
    latest = _latest_by_series(session, scope, market_date)
    inputs = _evidence_by_series(session, scope, market_date)
    previous = _previous_by_series(session, conditions, market_date)
    done: list[tuple[Assessment, str | None, PriceSeries, engine.AssessmentResult]] = []
    for series in series_list:
        current = latest.get(series.id)
        if current is not None and current.status is AssessmentStatus.APPROVED:
            run.skipped.append((series.code, "already approved; publish a correction instead"))
            continue
        family = methodology_for(series.methodology)
        evidence, manual = inputs.get(series.id, ([], []))
        try:
            result = engine.assess(
                evidence,
                family.rule,
                decimals=series.decimals,
                previous=previous.get(series.id),
                cutoff=family.cutoff(scheduled_release(series, market_date)),
                volume_unit=UNIT_NAMES[series.unit][0],
                relative_change=series.kind.has_relative_change,
            )
        except engine.NoEvidence:
            run.skipped.append((series.code, "no submissions and no previous price"))
            continue
        action: str | None
        if current is None:
            current = Assessment(
                series_id=series.id,
                market_date=market_date,
                version=1,
                status=AssessmentStatus.DRAFT,
                assessor_id=user.id,
            )
            session.add(current)
            action = "assess"
        else:
            unchanged = _assessed_state(current)
            current.assessor_id = user.id
            action = "reassess"
        _apply(current, result, manual)
        if action == "reassess" and _assessed_state(current) == unchanged:
            # Not a state change, so no audit event: rerunning a day whose evidence is as it
            # was (a retry after a crash that had committed) must leave the trail as it was.
            action = None
        done.append((current, action, series, result))
    # One flush writes every draft in a batch and gives each its id for the audit trail.
    session.flush()
    for current, action, series, result in done:
        run.assessments.append(current)
        if action is None:
            continue
        record(
            session,
            actor=user.email,
            action=action,
            object_type="assessment",
            object_id=current.id,
            after={
                "series": series.code,
                "date": market_date,
                "low": result.low,
                "high": result.high,
                "method": result.method,
            },
        )
    return run


def _latest_version(session: Session, series_id: int, market_date: dt.date) -> Assessment | None:
    row: Assessment | None = session.scalar(
        select(Assessment)
        .where(Assessment.series_id == series_id, Assessment.market_date == market_date)
        .order_by(Assessment.version.desc())
        .limit(1)
    )
    return row


def get_assessment(session: Session, assessment_id: int) -> Assessment | None:
    return session.get(Assessment, assessment_id)


def _check_hand_range(
    series: PriceSeries, low: Decimal, high: Decimal, text: tuple[str, str]
) -> None:
    """A low and high given by hand (judgment, correction; API, desk form or CLI) meet the
    submission's rule: finite, within PRICE_LIMIT, at most the stored scale, and above 0 unless
    the series is a premium; the written reason at most a note's length. The first broken one
    is refused by name."""
    label, written = text
    if len(written) > NOTE_LIMIT:
        raise PricingError(f"{label}: at most {NOTE_LIMIT:,} characters, got {len(written):,}")
    for name, value in (("low", low), ("high", high)):
        for field, message in number_problems(name, value, PRICE_LIMIT):
            raise PricingError(f"{field}: {message}")
        if series.kind is not SeriesKind.PREMIUM and value <= 0:
            raise PricingError(f"{name}: must be positive, got {value}")


def override(
    session: Session, assessment_id: int, *, low: Decimal, high: Decimal, rationale: str, user: User
) -> Assessment:
    """Replace a draft's result by the analyst's judgment; the engine's figures stay visible."""
    _require_role(user, Scope.SUBMIT, "override assessments")
    row = _draft(session, assessment_id)
    series = row.series
    _check_hand_range(series, low, high, ("rationale", rationale))
    previous = _previous(session, series.id, row.market_date)
    original = _result_of(row)
    try:
        result = engine.apply_judgment(
            original,
            low=low,
            high=high,
            rationale=rationale,
            decimals=series.decimals,
            previous=previous,
        )
    except ValueError as exc:
        raise PricingError(f"judgment: {exc}") from None
    before = {"low": row.low, "high": row.high, "method": row.method}
    _apply(row, result, [])
    row.explanation["excluded"] = (
        original.to_dict()["excluded"]
        if not row.explanation.get("excluded")
        else row.explanation["excluded"]
    )
    row.assessor_id = user.id
    record(
        session,
        actor=user.email,
        action="override",
        object_type="assessment",
        object_id=row.id,
        before=before,
        after={"low": row.low, "high": row.high, "method": row.method, "rationale": rationale},
    )
    return row


def _result_of(row: Assessment) -> engine.AssessmentResult:
    """Rebuild the engine result stored with a draft (for judgment on top of it)."""
    data = row.explanation

    def dec(key: str) -> Decimal | None:
        return Decimal(data[key]) if data.get(key) is not None else None

    return engine.AssessmentResult(
        low=row.low,
        high=row.high,
        mid=row.mid,
        vwap=row.vwap,
        method=row.method,
        carried_forward=row.carried_forward,
        deals_used=row.deals_used,
        volume_used=row.volume_used,
        inputs_used=tuple(data.get("inputs_used", ())),
        inputs_considered=tuple(data.get("inputs_considered", ())),
        excluded=tuple(
            engine.Exclusion(
                e["submission_id"], Decimal(e["price"]), e["reason"], e.get("reason_zh", "")
            )
            for e in data.get("excluded", ())
        ),
        input_shares={k: Decimal(v) for k, v in data.get("input_shares", {}).items()},
        price_min=dec("price_min"),
        price_max=dec("price_max"),
        price_avg=dec("price_avg"),
        volume_min=dec("volume_min"),
        volume_max=dec("volume_max"),
        volume_avg=dec("volume_avg"),
        previous_mid=dec("previous_mid"),
        change=row.change,
        change_pct=row.change_pct,
        explanation=data.get("explanation", ""),
        explanation_zh=data.get("explanation_zh", ""),
        rationale=row.rationale,
        engine_low=dec("engine_low"),
        engine_high=dec("engine_high"),
        engine_mid=dec("engine_mid"),
        engine_method=engine.Method(data["engine_method"]) if data.get("engine_method") else None,
        engine_explanation=data.get("engine_explanation"),
        engine_explanation_zh=data.get("engine_explanation_zh"),
    )


def _draft(session: Session, assessment_id: int) -> Assessment:
    row = session.get(Assessment, assessment_id)
    if row is None:
        raise PricingError(f"assessment: no assessment {assessment_id}")
    if row.status is not AssessmentStatus.DRAFT:
        raise PricingError(f"assessment: {assessment_id} is already approved")
    return row


def approve_assessment(
    session: Session, assessment_id: int, *, user: User, now: dt.datetime | None = None
) -> Assessment:
    """Four eyes: an editor who did not assess it approves; release follows at its time."""
    _require_role(user, Scope.PUBLISH, "approve assessments")
    row = _draft(session, assessment_id)
    if row.assessor_id == user.id:
        raise FourEyes(
            f"four eyes: {user.email} assessed {row.series.code} on {row.market_date} and may "
            "not also approve it; another editor must"
        )
    now = now or utcnow()
    scheduled = scheduled_release(row.series, row.market_date)
    row.status = AssessmentStatus.APPROVED
    # In SQL, so that concurrent approvals of one series both count.
    session.execute(
        update(PriceSeries)
        .where(PriceSeries.id == row.series_id)
        .values(publication_seq=PriceSeries.publication_seq + 1)
        .execution_options(synchronize_session=False)
    )
    row.approver_id = user.id
    row.approved_at = now
    # Released at its scheduled time, or when approved if that is later: nobody saw a value
    # before it existed, so a late original is not back-dated (late_releases keeps its record),
    # and a correction is out when approved, never before the original's time.
    row.release_at = max(now, scheduled)
    record(
        session,
        at=now,
        actor=user.email,
        action="approve",
        object_type="assessment",
        object_id=row.id,
        after={
            "series": row.series.code,
            "date": row.market_date,
            "version": row.version,
            "release_at": row.release_at,
        },
    )
    return row


def approve_day(
    session: Session,
    market_date: dt.date,
    *,
    user: User,
    series_code: str | None = None,
    now: dt.datetime | None = None,
) -> list[Assessment]:
    query = (
        select(Assessment)
        .join(PriceSeries)
        .where(Assessment.market_date == market_date, Assessment.status == AssessmentStatus.DRAFT)
    )
    if series_code is not None:
        query = query.where(PriceSeries.code == series_code)
    drafts = list(session.scalars(query.order_by(PriceSeries.code)))
    if not drafts:
        raise PricingError(
            f"date: no draft assessments on {market_date}"
            + (f" for {series_code}" if series_code else "")
        )
    return [approve_assessment(session, d.id, user=user, now=now) for d in drafts]


def correct(
    session: Session,
    series_code: str,
    market_date: dt.date,
    *,
    low: Decimal,
    high: Decimal,
    reason: str,
    user: User,
) -> Assessment:
    """A correction: a new draft version with the right values and the cause, to be approved."""
    _require_role(user, Scope.SUBMIT, "correct prices")
    if not reason.strip():
        raise PricingError("reason: a correction needs a reason, published with the notice")
    series = session.scalar(select(PriceSeries).where(PriceSeries.code == series_code))
    if series is None:
        raise PricingError(f"series: unknown series {series_code!r}")
    _check_hand_range(series, low, high, ("reason", reason))
    current = _latest_version(session, series.id, market_date)
    if current is None or current.status is not AssessmentStatus.APPROVED:
        raise PricingError(
            f"date: {series_code} has no published price on {market_date} to correct"
        )
    if low > high:
        raise PricingError(f"low: {low} is above high {high}")
    low, high = round_price(low, series.decimals), round_price(high, series.decimals)
    mid = round_price((low + high) / 2, series.decimals)
    previous = _previous(session, series.id, market_date)
    change = mid - previous.mid if previous else None
    change_pct = (
        round_price(change / previous.mid * 100, 2)
        if previous and change is not None and previous.mid and series.kind.has_relative_change
        else None
    )
    explanation = dict(current.explanation)

    def shown(value: Decimal) -> str:
        # As published, to the series' decimals: never the stored database scale (19727.000000).
        return format(round_price(value, series.decimals), "f")

    explanation["explanation"] = (
        f"Correction of version {current.version}: {shown(current.low)}-{shown(current.high)} "
        f"should be {shown(low)}-{shown(high)}. {reason}"
    )
    # The reason as the editor wrote it; the platform's own words in Chinese.
    explanation["explanation_zh"] = (
        f"更正第{current.version}版：{shown(current.low)}-{shown(current.high)}"
        f"应为{shown(low)}-{shown(high)}。{reason}"
    )
    row = Assessment(
        series_id=series.id,
        market_date=market_date,
        version=current.version + 1,
        status=AssessmentStatus.DRAFT,
        low=low,
        high=high,
        mid=mid,
        vwap=current.vwap,
        change=change,
        change_pct=change_pct,
        method=current.method,
        carried_forward=current.carried_forward,
        deals_used=current.deals_used,
        volume_used=current.volume_used,
        explanation=explanation,
        rationale=current.rationale,
        assessor_id=user.id,
        correction_reason=reason.strip(),
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=user.email,
        action="correct",
        object_type="assessment",
        object_id=row.id,
        before={"low": current.low, "high": current.high},
        after={"low": low, "high": high, "reason": reason.strip(), "version": row.version},
    )
    return row


def drafts_on(session: Session, market_date: dt.date) -> list[Assessment]:
    return list(
        session.scalars(
            select(Assessment)
            .join(PriceSeries)
            .where(
                Assessment.market_date == market_date, Assessment.status == AssessmentStatus.DRAFT
            )
            .order_by(PriceSeries.code)
        )
    )


# --- published reads (point in time) -----------------------------------------------------------


_CENT = Decimal("0.01")  # change_pct is published to 2 decimals (round_price(..., 2))


class PublishedPrice(NamedTuple):
    """One published daily value. A NamedTuple rather than a frozen dataclass: a price history
    builds one per day (5,000 for 20 years) on every request, and a frozen dataclass costs
    five times as much to construct."""

    assessment_id: int
    series_id: int
    market_date: dt.date
    version: int
    low: Decimal
    high: Decimal
    mid: Decimal
    vwap: Decimal | None
    change: Decimal | None
    change_pct: Decimal | None
    method: str
    release_at: dt.datetime


# A published version as readers get it. The method is read as the label stored: published as
# text, so no need to build the enum per row.
PUBLISHED_COLUMNS = (
    Assessment.id,
    Assessment.series_id,
    Assessment.market_date,
    Assessment.version,
    Assessment.low,
    Assessment.high,
    Assessment.mid,
    Assessment.vwap,
    type_coerce(Assessment.method, String).label("method"),
    Assessment.release_at,
)


def _published_rows(
    session: Session,
    series_ids: Iterable[int],
    as_of: dt.datetime,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[
    Row[tuple[int, int, dt.date, int, Decimal, Decimal, Decimal, Decimal | None, str, dt.datetime]]
]:
    query = (
        select(*PUBLISHED_COLUMNS)
        .where(
            Assessment.series_id.in_(list(series_ids)),
            Assessment.status == AssessmentStatus.APPROVED,
            Assessment.release_at <= as_of,
        )
        .order_by(Assessment.series_id, Assessment.market_date, Assessment.version)
    )
    if start is not None:
        query = query.where(Assessment.market_date >= start)
    if end is not None:
        query = query.where(Assessment.market_date <= end)
    return list(session.execute(query).all())  # type: ignore[arg-type]


def _with_changes(
    rows: Sequence[Row[Any]], decimals: int, seed_mid: Decimal | None, relative: bool = True
) -> list[PublishedPrice]:
    """Latest version per date, with change against the previous published mid (and in percent
    when ``relative``: not for premiums, see SeriesKind.has_relative_change)."""
    latest: dict[tuple[int, dt.date], tuple[Any, ...]] = {}
    for row in rows:  # ordered by version: the last one wins
        latest[(row.series_id, row.market_date)] = row
    # round_price(value, decimals), with its step computed once: this loop runs for every
    # published day of a history, and the call overhead was most of its time.
    step = Decimal(1).scaleb(-decimals)
    out: list[PublishedPrice] = []
    previous = seed_mid
    for (
        assessment_id,
        series_id,
        market_date,
        version,
        low,
        high,
        mid,
        vwap,
        method,
        release_at,
    ) in latest.values():
        mid = mid.quantize(step, ROUND_HALF_UP)
        change = change_pct = None
        if previous is not None:
            change = mid - previous
            if previous and relative:
                change_pct = (change / previous * 100).quantize(_CENT, ROUND_HALF_UP)
        out.append(
            PublishedPrice(
                assessment_id,
                series_id,
                market_date,
                version,
                low.quantize(step, ROUND_HALF_UP),
                high.quantize(step, ROUND_HALF_UP),
                mid,
                None if vwap is None else vwap.quantize(step, ROUND_HALF_UP),
                change,
                change_pct,
                str(method),
                release_at,
            )
        )
        previous = mid
    return out


def publication_stamp_query(series_id: Any, as_of: Any) -> Select[int, dt.datetime | None]:
    """(approvals of the series so far, newest release instant as of an instant).

    Together they change whenever what a reader may see can have changed: every approval (an
    original, a late one, a correction) bumps the sequence, and when time passes a release, that
    release is later than any before it, so the newest instant moves. Both are index lookups,
    whatever the length of the history.
    """
    newest = (
        select(func.max(Assessment.release_at))
        .where(
            Assessment.series_id == series_id,
            Assessment.status == AssessmentStatus.APPROVED,
            Assessment.release_at <= as_of,
        )
        .scalar_subquery()
    )
    return select(PriceSeries.publication_seq, newest).where(PriceSeries.id == series_id)


class SeriesStanding(NamedTuple):
    """What the gate and the body cache need of a series, read in one statement."""

    series_id: int
    tier: str
    group: str
    stamp: tuple[int, dt.datetime | None]


def _standing_statement() -> Select[Any]:
    seq, newest = publication_stamp_query(PriceSeries.id, bindparam("as_of")).selected_columns
    return (
        select(PriceSeries.id, PriceSeries.tier, CatalogGroup.code, seq, newest)
        .join(Commodity, Commodity.id == PriceSeries.commodity_id)
        .join(CatalogEntry, CatalogEntry.id == Commodity.entry_id)
        .join(CatalogGroup, CatalogGroup.id == CatalogEntry.group_id)
        .where(PriceSeries.code == bindparam("code"))
    )


SERIES_STANDING = _standing_statement()  # built once: it serves the API's fast path


def series_standing(
    connection: Connection, code: str, *, as_of: dt.datetime
) -> SeriesStanding | None:
    row = connection.execute(SERIES_STANDING, {"code": code, "as_of": as_of}).one_or_none()
    return None if row is None else standing_of(tuple(row))


def standing_of(row: tuple[Any, ...]) -> SeriesStanding:
    """A SERIES_STANDING row."""
    return SeriesStanding(row[0], str(row[1]), row[2], (int(row[3]), row[4]))


def publication_stamp(
    session: Session, series_id: int, *, as_of: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """The series' publication stamp as of an instant (see publication_stamp_query)."""
    seq, newest = session.execute(publication_stamp_query(series_id, as_of)).one()
    return int(seq), newest


def published_prices(
    session: Session,
    series: PriceSeries,
    *,
    as_of: dt.datetime,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[PublishedPrice]:
    """The series' history as it was published at ``as_of``: the latest released version per day."""
    rows = _published_rows(session, [series.id], as_of, start, end)
    seed = None
    if start is not None:
        before = _published_rows_before(session, series.id, start, as_of)
        seed = round_price(before, series.decimals) if before is not None else None
    return _with_changes(rows, series.decimals, seed, series.kind.has_relative_change)


def _published_rows_before(
    session: Session, series_id: int, day: dt.date, as_of: dt.datetime
) -> Decimal | None:
    last_date = session.scalar(
        select(func.max(Assessment.market_date)).where(
            Assessment.series_id == series_id,
            Assessment.market_date < day,
            Assessment.status == AssessmentStatus.APPROVED,
            Assessment.release_at <= as_of,
        )
    )
    if last_date is None:
        return None
    mid: Decimal | None = session.scalar(
        select(Assessment.mid)
        .where(
            Assessment.series_id == series_id,
            Assessment.market_date == last_date,
            Assessment.status == AssessmentStatus.APPROVED,
            Assessment.release_at <= as_of,
        )
        .order_by(Assessment.version.desc())
        .limit(1)
    )
    return mid


def latest_published(
    session: Session, series_list: Sequence[PriceSeries], *, as_of: dt.datetime
) -> dict[int, PublishedPrice]:
    """The newest published value of each series (with its change), as of an instant."""
    if not series_list:
        return {}
    newest = (
        select(Assessment.series_id, func.max(Assessment.market_date).label("day"))
        .where(
            Assessment.series_id.in_([s.id for s in series_list]),
            Assessment.status == AssessmentStatus.APPROVED,
            Assessment.release_at <= as_of,
        )
        .group_by(Assessment.series_id)
        .subquery()
    )
    days = {row.series_id: row.day for row in session.execute(select(newest))}
    out: dict[int, PublishedPrice] = {}
    for series in series_list:
        day = days.get(series.id)
        if day is None:
            continue
        prices = published_prices(session, series, as_of=as_of, start=day, end=day)
        if prices:
            out[series.id] = prices[-1]
    return out


@dataclass(frozen=True)
class CorrectionNotice:
    series: PriceSeries
    market_date: dt.date
    version: int
    old_low: Decimal
    old_high: Decimal
    new_low: Decimal
    new_high: Decimal
    reason: str
    published_at: dt.datetime
    assessment_id: int


def corrections(
    session: Session, *, as_of: dt.datetime, series_ids: Sequence[int] | None = None
) -> list[CorrectionNotice]:
    """Published corrections, newest first: what was wrong, what is right, and why."""
    newer = Assessment
    query = (
        select(newer)
        .where(
            newer.version > 1, newer.status == AssessmentStatus.APPROVED, newer.release_at <= as_of
        )
        .order_by(newer.release_at.desc())
    )
    if series_ids is not None:
        query = query.where(newer.series_id.in_(list(series_ids)))
    notices = []
    for row in session.scalars(query):
        old = session.scalar(
            select(Assessment).where(
                and_(
                    Assessment.series_id == row.series_id,
                    Assessment.market_date == row.market_date,
                    Assessment.version == row.version - 1,
                )
            )
        )
        assert old is not None and row.release_at is not None
        d = row.series.decimals
        notices.append(
            CorrectionNotice(
                row.series,
                row.market_date,
                row.version,
                round_price(old.low, d),
                round_price(old.high, d),
                round_price(row.low, d),
                round_price(row.high, d),
                row.correction_reason or "",
                row.release_at,
                row.id,
            )
        )
    return notices


@dataclass(frozen=True)
class LateRelease:
    """A value released after its scheduled time: the public record of the delay."""

    series: PriceSeries
    market_date: dt.date
    scheduled_at: dt.datetime
    released_at: dt.datetime
    assessment_id: int

    @property
    def late_by(self) -> dt.timedelta:
        return self.released_at - self.scheduled_at


def late_releases(
    session: Session, *, as_of: dt.datetime, series_ids: Sequence[int] | None = None
) -> list[LateRelease]:
    """Values released after their scheduled time, newest first (as known at ``as_of``).

    An original is released at ``max(scheduled, approval)``, so one released when it was
    approved was approved at or after its time: those whose release is past the schedule."""
    query = (
        select(Assessment)
        .where(
            Assessment.version == 1,
            Assessment.status == AssessmentStatus.APPROVED,
            Assessment.release_at <= as_of,
            Assessment.release_at == Assessment.approved_at,
        )
        .order_by(Assessment.release_at.desc(), Assessment.id.desc())
    )
    if series_ids is not None:
        query = query.where(Assessment.series_id.in_(list(series_ids)))
    out = []
    for row in session.scalars(query):
        assert row.release_at is not None
        scheduled = scheduled_release(row.series, row.market_date)
        if row.release_at > scheduled:
            out.append(LateRelease(row.series, row.market_date, scheduled, row.release_at, row.id))
    return out


def assessment_versions(
    session: Session, row: Assessment, *, as_of: dt.datetime
) -> list[Assessment]:
    """The published versions of the same series and date, oldest first."""
    return list(
        session.scalars(
            select(Assessment)
            .where(
                Assessment.series_id == row.series_id,
                Assessment.market_date == row.market_date,
                Assessment.status == AssessmentStatus.APPROVED,
                Assessment.release_at <= as_of,
            )
            .order_by(Assessment.version)
        )
    )


# --- release state -----------------------------------------------------------------------------


class ReleaseState:
    RELEASED = "released"
    PENDING = "pending"  # before its release time today: "expected to be released soon"
    DELAYED = "delayed"  # past its release time and still not released
    NO_SESSION = "no-session"  # not a trading day in the series' market


def release_state(session: Session, series: PriceSeries, now: dt.datetime) -> str:
    """Where today's value of a series stands, computed at read time (no scheduler needed)."""
    from metalwire.catalog.calendars import CalendarError, get_calendar

    today = market_today(series, now)
    try:
        trading = get_calendar(series.calendar).is_trading_day(today)
    except CalendarError:
        trading = today.weekday() < 5
    if not trading:
        return ReleaseState.NO_SESSION
    released = session.scalar(
        select(func.count(Assessment.id)).where(
            Assessment.series_id == series.id,
            Assessment.market_date == today,
            Assessment.status == AssessmentStatus.APPROVED,
            Assessment.release_at <= now,
        )
    )
    if released:
        return ReleaseState.RELEASED
    return ReleaseState.PENDING if now < scheduled_release(series, today) else ReleaseState.DELAYED


def period_averages(
    prices: Sequence[PublishedPrice], period: str, decimals: int
) -> list[tuple[dt.date, dt.date, Decimal, int]]:
    """Weekly (ISO week) or monthly averages: the mean of the daily published mids."""
    groups: dict[tuple[int, int], list[PublishedPrice]] = {}
    for price in prices:
        if period == "week":
            year, week, _ = price.market_date.isocalendar()
            key = (year, week)
        else:
            key = (price.market_date.year, price.market_date.month)
        groups.setdefault(key, []).append(price)
    out = []
    for items in groups.values():
        mean = engine.period_average([p.mid for p in items], decimals)
        out.append((items[0].market_date, items[-1].market_date, mean, len(items)))
    return out


def users_by_email(session: Session, email: str) -> User:
    user: User | None = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise PricingError(f"user: no user {email!r}")
    return user
