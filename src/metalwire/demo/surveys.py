"""Demo production surveys: six China output panels with monthly returns, released on schedule.

Like the demo prices, every figure goes the way a real one does: each smelter's return into
``supply.returns.add_returns``, each month's statistics frozen by ``supply.service.release`` at
the survey's release time (the last calendar day, 20:00 Shanghai). Nothing writes a statistic,
so the demo exercises imputation, matched changes, panel additions and revisions as they are.
The panels are data (data/survey_panels.json, read by demo/survey_panels.py); the market behind
the returns is simulated in demo/survey_simulation.py.

Rerunnable: a period with a release is left alone, so a second build with the same ``seed`` and
``now`` adds nothing; a later ``now`` appends the new months and turns the former preliminary
figure final.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.models import User
from metalwire.demo.survey_panels import Spec, survey_specs
from metalwire.demo.survey_simulation import SILVER, Member, Plan, Row, survey_plan
from metalwire.supply import service
from metalwire.supply.models import ReleaseStatus, Survey, SurveyRelease
from metalwire.supply.returns import add_returns
from metalwire.supply.schemas import ReturnIn

DEMO_ACTOR = "demo"
DEFAULT_MONTHS = 36
# Revisions come out with the next month's release, as SMM publishes them.
REVISION_LAG = 1


# --- returns -----------------------------------------------------------------------------------


def _quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def _return(spec: Spec, member: Member, period: str, row: Row, note: str = "") -> ReturnIn:
    q = _quantum(spec.decimals)
    # The panel details ride along on every return: the service uses them only when the
    # respondent is new, so a rebuild on a partly built database still adds it.
    return ReturnIn(
        period=period,
        respondent=member.code,
        name=member.name,
        province=member.province,
        producer_type=member.kind.code,
        capacity=Decimal(member.capacity),
        production=Decimal(repr(row.production)).quantize(q),
        inventory=Decimal(repr(row.stock)).quantize(q),
        forecast_next=Decimal(repr(row.forecast)).quantize(q),
        reasons=list(row.reasons),
        note=note or row.note,
    )


def _returns(spec: Spec, plan: Plan, period: str, *, late: bool) -> list[ReturnIn]:
    """The returns received by the period's deadline, or (``late``) those that missed it."""
    silent = set(plan.silent.get(period, []))
    items = []
    for member in plan.members:
        row = plan.rows[period].get(member.code)
        if row is None or (member.code in silent) != late:
            continue
        items.append(_return(spec, member, period, row, "late return" if late else ""))
    return items


# --- building ----------------------------------------------------------------------------------


@dataclass
class _Tally:
    returns: int = 0
    releases: int = 0
    revisions: int = 0


def latest_full_month(survey_timezone: str, now: dt.datetime) -> str:
    """The last month that has ended at ``now`` in the survey's timezone."""
    local = now.astimezone(ZoneInfo(survey_timezone))
    return service.shift_period(f"{local.year:04d}-{local.month:02d}", -1)


def _statuses(session: Session, survey: Survey) -> dict[str, list[ReleaseStatus]]:
    """Each released period's versions' statuses, oldest version first."""
    out: dict[str, list[ReleaseStatus]] = {}
    rows = session.execute(
        select(SurveyRelease.period, SurveyRelease.status)
        .where(SurveyRelease.survey_id == survey.id)
        .order_by(SurveyRelease.period, SurveyRelease.version)
    )
    for period, status in rows:
        out.setdefault(period, []).append(status)
    return out


def _ensure_survey(session: Session, spec: Spec, members: Sequence[Member]) -> Survey:
    survey = service.get_survey(session, spec.code)
    if survey is not None:
        return survey
    panel = sum(m.capacity for m in members)
    step = spec.capacity_step * 10
    # National capacity a little above the panel's (coverage below 100 %), in round numbers.
    national = math.ceil(panel / spec.coverage / step) * step
    return service.create_survey(
        session,
        spec.code,
        entry=spec.entry,
        unit="mt",
        name_en=spec.name_en,
        name_zh=spec.name_zh,
        tier=spec.tier,
        producer_types=spec.producer_types,
        national_capacity=Decimal(national),
        premium_series=spec.premium_series,
        main_share=spec.main_share,
        actor=DEMO_ACTOR,
    )


def _build_one(
    session: Session,
    spec: Spec,
    *,
    editor: User,
    now: dt.datetime,
    seed: int,
    window: Sequence[str],
    tally: _Tally,
    progress: Callable[[str], None] | None,
    export_months: Collection[str] = (),
) -> Survey:
    plan = survey_plan(spec, seed, window, export_months if spec.code == SILVER else ())
    survey = _ensure_survey(session, spec, plan.members)
    statuses = _statuses(session, survey)
    latest = window[-1]
    for number, period in enumerate(window, start=1):
        previous = service.shift_period(period, -REVISION_LAG)
        # Published together with this month's release: last month's revision (its late
        # returns are in), or the final figure of a month first released as preliminary.
        if previous == plan.revised and len(statuses.get(previous, [])) == 1:
            tally.returns += _submit_returns(session, survey, spec, plan, previous, late=True)
            _release(session, survey, previous, ReleaseStatus.FINAL, editor, now, period)
            statuses[previous].append(ReleaseStatus.FINAL)
            tally.revisions += 1
            tally.releases += 1
        if statuses.get(previous, [None])[-1] is ReleaseStatus.PRELIMINARY:
            _release(session, survey, previous, ReleaseStatus.FINAL, editor, now, period)
            statuses[previous].append(ReleaseStatus.FINAL)
            tally.releases += 1
        if period not in statuses:
            tally.returns += _submit_returns(session, survey, spec, plan, period, late=False)
            status = ReleaseStatus.PRELIMINARY if period == latest else ReleaseStatus.FINAL
            _release(session, survey, period, status, editor, now, period)
            statuses[period] = [status]
            tally.releases += 1
        if progress and (number % 12 == 0 or number == len(window)):
            progress(f"{spec.code}: {number}/{len(window)} months")
    return survey


def _submit_returns(
    session: Session, survey: Survey, spec: Spec, plan: Plan, period: str, *, late: bool
) -> int:
    """Submit the period's returns (on time, or ``late``); how many were new."""
    added = add_returns(
        session, survey, _returns(spec, plan, period, late=late), actor=DEMO_ACTOR, source="demo"
    )
    return added.added


def _release(
    session: Session,
    survey: Survey,
    period: str,
    status: ReleaseStatus,
    editor: User,
    now: dt.datetime,
    at: str,
) -> None:
    """Release ``period``'s statistics at the scheduled time of month ``at``."""
    service.release(
        session,
        survey,
        period,
        status=status,
        user=editor,
        release_at=service.scheduled_release(survey, at),
        now=now,
    )


def build_surveys(
    session: Session,
    *,
    editor: User,
    now: dt.datetime,
    seed: int = 7,
    months: int = DEFAULT_MONTHS,
    progress: Callable[[str], None] | None = None,
    export_months: Collection[str] | None = None,
) -> list[str]:
    """Build (or extend) the demo surveys in the caller's transaction; returns summary lines.

    ``months`` monthly periods ending with the last full month before ``now`` (Shanghai time),
    each released at its schedule, final except the latest (preliminary). The same ``seed`` and
    ``now`` build the same surveys; a second call adds nothing. Needs the catalog synced (the
    surveys hang off its silver, copper, zinc, lead, aluminum and lithium entries) and an
    ``editor`` allowed to publish. Silver smelters cite export orders only in the months given
    by ``export_months`` (default: those in which the database's silver export window opened on
    at least one market day, so the markets must be built first).
    """
    if months < 1:
        raise ValueError("months must be >= 1")
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    latest = latest_full_month("Asia/Shanghai", now)
    window = service.period_range(service.shift_period(latest, -(months - 1)), latest)
    if export_months is None:
        export_months = export_window_months(session, window, now)
    lines = []
    for spec in survey_specs():
        tally = _Tally()
        survey = _build_one(
            session,
            spec,
            editor=editor,
            now=now,
            seed=seed,
            window=window,
            tally=tally,
            progress=progress,
            export_months=export_months,
        )
        panel = service.panel(session, survey)
        capacity = sum((r.capacity for r in panel), Decimal(0))
        lines.append(
            f"demo survey {spec.code}: {len(panel)} respondents in "
            f"{len({r.province for r in panel})} provinces, {capacity:,.0f} t/yr; "
            f"{tally.returns:,} returns added, {tally.releases} releases "
            f"({tally.revisions} revised) for {window[0]}..{latest}"
        )
    return lines


def export_window_months(session: Session, window: Sequence[str], now: dt.datetime) -> set[str]:
    """The months of ``window`` in which the silver export window (AG-EXPORT) opened on at least
    one market day, as published at ``now``."""
    from metalwire.markets import windows

    definition = next((d for d in windows.definitions() if d.kind == "silver-export"), None)
    if definition is None:
        return set()
    first = dt.date(*service.parse_period(window[0]), 1)
    year, month = service.parse_period(window[-1])
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    history = windows.compute(session, definition, as_of=now, start=first, end=last)
    return {row.date.strftime("%Y-%m") for row in history.rows if row.result.open}
