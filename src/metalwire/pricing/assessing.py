"""Assessment: the day's drafts from its submissions (set-wise, whatever the number of series),
and the analyst's judgment over a draft."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, aliased

from metalwire.accounts.models import Scope, User
from metalwire.audit import jsonable, record
from metalwire.catalog.lifecycle import accepts_values_on
from metalwire.catalog.models import PriceSeries, SeriesKind
from metalwire.catalog.units import UNIT_NAMES
from metalwire.pricing import engine
from metalwire.pricing.desk import PricingError, assessed_conditions, require_role
from metalwire.pricing.methodology import licensed_families, methodology_for
from metalwire.pricing.models import Assessment, AssessmentStatus, Submission, SubmissionExclusion
from metalwire.pricing.release_times import scheduled_release
from metalwire.pricing.schemas import NOTE_LIMIT, PRICE_LIMIT
from metalwire.tabular import number_problems


def previous_approved(
    session: Session, series_id: int, market_date: dt.date
) -> engine.Previous | None:
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
            manual.append(engine.Exclusion(submission_id, shown, *_desk_reason(reason)))
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
    """Each series' latest approved assessment before the date (as :func:`previous_approved`)."""
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
    """Each series' latest version on the date, if any (as :func:`latest_version`)."""
    latest: dict[int, Assessment] = {}
    rows = session.scalars(
        select(Assessment)
        .where(Assessment.series_id.in_(scope), Assessment.market_date == market_date)
        .order_by(Assessment.version)
    )
    for row in rows:  # ordered by version: the last one wins
        latest[row.series_id] = row
    return latest


def _desk_reason(reason: str) -> tuple[str, str]:
    """A desk exclusion's reason: the desk's words as written, the platform's in both
    languages."""
    return f"excluded by the desk: {reason}", f"交易台剔除：{reason}"


def _apply(
    row: Assessment, result: engine.AssessmentResult, manual: Sequence[engine.Exclusion]
) -> None:
    explanation = result.to_dict()
    if manual:
        explanation["excluded"] = [
            *explanation["excluded"],
            *(m.to_dict() for m in manual),
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


class _Drafted(NamedTuple):
    """A draft the run wrote, and the audit action it owes (none when nothing changed)."""

    assessment: Assessment
    action: str | None
    series: PriceSeries
    result: engine.AssessmentResult


def _series_to_assess(
    session: Session, series_code: str | None
) -> tuple[list[PriceSeries], list[ColumnElement[bool]]]:
    """The active series priced from submissions (or the one asked for), by code, and the
    conditions that chose them: the day's set-based reads select by the same ones."""
    conditions = assessed_conditions()
    if series_code is not None:
        conditions.append(PriceSeries.code == series_code)
    series_list = list(
        session.scalars(select(PriceSeries).where(*conditions).order_by(PriceSeries.code))
    )
    if series_code is not None and not series_list:
        if (
            session.scalar(select(PriceSeries.methodology).where(PriceSeries.code == series_code))
            in licensed_families()
        ):
            raise PricingError(
                f"{series_code} is licensed, not assessed: enter the partner's value",
                field="series",
            )
        raise PricingError(f"no assessed series {series_code!r}", field="series")
    return series_list, conditions


def _engine_assessment(
    series: PriceSeries,
    market_date: dt.date,
    evidence: Sequence[engine.Evidence],
    previous: engine.Previous | None,
) -> engine.AssessmentResult:
    """The engine's result for one series on the date under its family's methodology (no
    database work); raises engine.NoEvidence when there is nothing to assess or carry."""
    family = methodology_for(series.methodology)
    return engine.assess(
        evidence,
        family.rule,
        decimals=series.decimals,
        previous=previous,
        cutoff=family.cutoff(scheduled_release(series, market_date)),
        volume_unit=UNIT_NAMES[series.unit][0],
        relative_change=series.kind.has_relative_change,
    )


def _write_draft(
    session: Session,
    current: Assessment | None,
    series: PriceSeries,
    market_date: dt.date,
    result: engine.AssessmentResult,
    manual: Sequence[engine.Exclusion],
    user: User,
) -> _Drafted:
    """A new first draft of the day, or the current draft refreshed in place."""
    if current is None:
        current = Assessment(
            series_id=series.id,
            market_date=market_date,
            version=1,
            status=AssessmentStatus.DRAFT,
            assessor_id=user.id,
        )
        session.add(current)
        _apply(current, result, manual)
        return _Drafted(current, "assess", series, result)
    unchanged = _assessed_state(current)
    current.assessor_id = user.id
    _apply(current, result, manual)
    if _assessed_state(current) == unchanged:
        # Not a state change, so no audit event: rerunning a day whose evidence is as it
        # was (a retry after a crash that had committed) must leave the trail as it was.
        return _Drafted(current, None, series, result)
    return _Drafted(current, "reassess", series, result)


def _record_drafts(
    session: Session, drafted: Sequence[_Drafted], market_date: dt.date, user: User
) -> None:
    """The audit trail of the run's drafts, after the flush that gave each its id."""
    for draft in drafted:
        if draft.action is None:
            continue
        record(
            session,
            actor=user.email,
            action=draft.action,
            object_type="assessment",
            object_id=draft.assessment.id,
            after={
                "series": draft.series.code,
                "date": market_date,
                "low": draft.result.low,
                "high": draft.result.high,
                "method": draft.result.method,
            },
        )


def assess_day(
    session: Session,
    market_date: dt.date,
    *,
    user: User,
    series_code: str | None = None,
) -> AssessRun:
    """Create or refresh the draft assessments of a market date from its submissions."""
    require_role(user, Scope.SUBMIT, "assess prices")
    series_list, conditions = _series_to_assess(session, series_code)
    run = AssessRun([], [])
    if not series_list:
        return run
    scope = select(PriceSeries.id).where(*conditions)
    latest = _latest_by_series(session, scope, market_date)
    inputs = _evidence_by_series(session, scope, market_date)
    previous = _previous_by_series(session, conditions, market_date)
    drafted: list[_Drafted] = []
    for series in series_list:
        current = latest.get(series.id)
        if current is not None and current.status is AssessmentStatus.APPROVED:
            run.skipped.append((series.code, "already approved; publish a correction instead"))
            continue
        if not accepts_values_on(series, market_date):
            run.skipped.append((series.code, "discontinued"))
            continue
        evidence, manual = inputs.get(series.id, ([], []))
        try:
            result = _engine_assessment(series, market_date, evidence, previous.get(series.id))
        except engine.NoEvidence:
            run.skipped.append((series.code, "no submissions and no previous price"))
            continue
        drafted.append(_write_draft(session, current, series, market_date, result, manual, user))
    # One flush writes every draft in a batch and gives each its id for the audit trail.
    session.flush()
    run.assessments.extend(draft.assessment for draft in drafted)
    _record_drafts(session, drafted, market_date, user)
    return run


def latest_version(session: Session, series_id: int, market_date: dt.date) -> Assessment | None:
    row: Assessment | None = session.scalar(
        select(Assessment)
        .where(Assessment.series_id == series_id, Assessment.market_date == market_date)
        .order_by(Assessment.version.desc())
        .limit(1)
    )
    return row


def get_assessment(session: Session, assessment_id: int) -> Assessment | None:
    return session.get(Assessment, assessment_id)


def check_hand_range(
    series: PriceSeries, low: Decimal, high: Decimal, text: tuple[str, str]
) -> None:
    """A low and high given by hand (judgment, correction; API, desk form or CLI) meet the
    submission's rule: finite, within PRICE_LIMIT, at most the stored scale, and above 0 unless
    the series is a premium; the written reason at most a note's length. The first broken one
    is refused by name."""
    label, written = text
    if len(written) > NOTE_LIMIT:
        raise PricingError(f"at most {NOTE_LIMIT:,} characters, got {len(written):,}", field=label)
    for name, value in (("low", low), ("high", high)):
        for field, message in number_problems(name, value, PRICE_LIMIT):
            raise PricingError(message, field=field)
        if series.kind is not SeriesKind.PREMIUM and value <= 0:
            raise PricingError(f"must be positive, got {value}", field=name)


def override(
    session: Session, assessment_id: int, *, low: Decimal, high: Decimal, rationale: str, user: User
) -> Assessment:
    """Replace a draft's result by the analyst's judgment; the engine's figures stay visible."""
    require_role(user, Scope.SUBMIT, "override assessments")
    row = require_draft(session, assessment_id)
    series = row.series
    check_hand_range(series, low, high, ("rationale", rationale))
    previous = previous_approved(session, series.id, row.market_date)
    original = _result_of(row)
    try:
        result = engine.apply_judgment(
            original,
            low=low,
            high=high,
            rationale=rationale,
            decimals=series.decimals,
            previous=previous,
            relative_change=series.kind.has_relative_change,
        )
    except ValueError as exc:
        raise PricingError(str(exc), field="judgment") from None
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


def require_draft(session: Session, assessment_id: int) -> Assessment:
    row = session.get(Assessment, assessment_id)
    if row is None:
        raise PricingError(f"no assessment {assessment_id}", field="assessment")
    if row.status is not AssessmentStatus.DRAFT:
        raise PricingError(f"{assessment_id} is already approved", field="assessment")
    return row
