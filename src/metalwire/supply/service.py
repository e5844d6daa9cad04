"""Survey operations: panels, returns (API and file import), statistics, timed releases.

Statistics are computed by the pure ``supply.stats`` module and published as frozen, versioned
releases, so a revised figure is marked and the earlier one kept; readers see a release only
from its release time on.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import SCOPE_ROLES
from metalwire.accounts.models import Scope, User
from metalwire.audit import jsonable, record
from metalwire.catalog.models import CatalogEntry, Tier
from metalwire.catalog.units import KNOWN_UNITS
from metalwire.db.base import utcnow
from metalwire.importing import read_rows
from metalwire.supply import stats
from metalwire.supply.models import (
    ReleaseStatus,
    Respondent,
    Survey,
    SurveyRelease,
    SurveyReturn,
)
from metalwire.supply.reference import province_code, provinces, reasons
from metalwire.supply.return_rows import ReturnRow
from metalwire.supply.schemas import (
    PERIOD_PATTERN,
    RETURN_COLUMNS,
    RETURN_VOLUME_LIMIT,
    ReturnIn,
    ReturnsResult,
)
from metalwire.tabular import ImportRejected, Problems, number_problems

DEFAULT_PRODUCER_TYPES = [
    {"code": "primary", "name_en": "primary", "name_zh": "原生"},
    {
        "code": "lead-smelter by-product",
        "name_en": "lead-smelter by-product",
        "name_zh": "铅冶炼副产",
    },
    {
        "code": "copper-smelter by-product",
        "name_en": "copper-smelter by-product",
        "name_zh": "铜冶炼副产",
    },
    {"code": "recycling", "name_en": "recycling", "name_zh": "再生"},
]


# The published figures whose change makes a later release a revision.
REVISION_KEYS = ("production", "mom_abs", "yoy_abs", "inventory", "forecast_next", "imputed")


class SupplyError(ValueError):
    """A refused survey operation; the message starts with the field it concerns."""


# --- periods -----------------------------------------------------------------------------------


def parse_period(text: str) -> tuple[int, int]:
    if not re.fullmatch(PERIOD_PATTERN, text):
        raise SupplyError(f"period: not a month (YYYY-MM): {text!r}")
    return int(text[:4]), int(text[5:])


def shift_period(period: str, months: int) -> str:
    year, month = parse_period(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_range(start: str, end: str) -> list[str]:
    out, current = [], start
    while current <= end:
        out.append(current)
        current = shift_period(current, 1)
    return out


def _period_start(period: str) -> dt.date:
    year, month = parse_period(period)
    return dt.date(year, month, 1)


def scheduled_release(survey: Survey, period: str) -> dt.datetime:
    """A period's statistics come out on its last calendar day at the survey's release time."""
    year, month = parse_period(period)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    local = dt.datetime.combine(last, survey.release_time, tzinfo=ZoneInfo(survey.timezone))
    return local.astimezone(dt.UTC)


# --- surveys and panels ------------------------------------------------------------------------


def create_survey(
    session: Session,
    code: str,
    *,
    entry: str,
    unit: str,
    name_en: str,
    name_zh: str | None = None,
    tier: Tier = Tier.PREMIUM,
    producer_types: list[dict[str, str]] | None = None,
    national_capacity: Decimal | None = None,
    premium_series: str | None = None,
    main_share: Decimal | None = None,
    actor: str,
) -> Survey:
    if session.scalar(select(Survey).where(Survey.code == code)) is not None:
        raise SupplyError(f"code: a survey {code!r} already exists")
    catalog_entry = session.scalar(
        select(CatalogEntry).where((CatalogEntry.code == entry) | (CatalogEntry.name_en == entry))
    )
    if catalog_entry is None:
        raise SupplyError(f"entry: no catalog entry {entry!r}")
    if unit not in KNOWN_UNITS:
        raise SupplyError(f"unit: unknown unit {unit!r}")
    survey = Survey(
        code=code,
        entry_id=catalog_entry.id,
        name_en=name_en,
        name_zh=name_zh or name_en,
        unit=unit,
        tier=tier,
        producer_types=producer_types or DEFAULT_PRODUCER_TYPES,
        national_capacity=national_capacity,
        premium_series=premium_series,
    )
    if main_share is not None:
        if not Decimal(0) < main_share <= Decimal(1):
            raise SupplyError(f"main_share: must be above 0 and at most 1, got {main_share}")
        survey.main_share = main_share
    session.add(survey)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        object_type="survey",
        object_id=code,
        after={"entry": catalog_entry.code, "unit": unit, "name_en": name_en},
    )
    return survey


def get_survey(session: Session, code: str) -> Survey | None:
    survey: Survey | None = session.scalar(select(Survey).where(Survey.code == code))
    return survey


def require_survey(session: Session, code: str) -> Survey:
    survey = get_survey(session, code)
    if survey is None:
        raise SupplyError(f"survey: unknown survey {code!r}")
    return survey


def list_surveys(session: Session) -> list[Survey]:
    return list(session.scalars(select(Survey).order_by(Survey.code)))


def panel(session: Session, survey: Survey) -> list[Respondent]:
    return list(
        session.scalars(
            select(Respondent).where(Respondent.survey_id == survey.id).order_by(Respondent.code)
        )
    )


# --- returns -----------------------------------------------------------------------------------


def _check(survey: Survey, item: ReturnIn, known: Respondent | None) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    types = {t["code"] for t in survey.producer_types}
    if known is None:
        for name in ("name", "province", "producer_type", "capacity"):
            if getattr(item, name) in (None, ""):
                problems.append((name, f"needed for the new respondent {item.respondent!r}"))
    if item.province and province_code(item.province) is None:
        problems.append(("province", f"unknown province {item.province!r}"))
    if item.producer_type and item.producer_type not in types:
        problems.append(
            (
                "producer_type",
                f"unknown producer type {item.producer_type!r}; "
                f"use one of {', '.join(sorted(types))}",
            )
        )
    # Volumes in the survey's unit (tonnes): finite, within the limit, to the stored scale.
    numbers = [
        problem
        for name in ("capacity", "production", "inventory", "forecast_next")
        for problem in number_problems(name, getattr(item, name), RETURN_VOLUME_LIMIT)
    ]
    if numbers:
        return problems + numbers  # the sign checks below need sane numbers
    if item.capacity is not None and item.capacity <= 0:
        problems.append(("capacity", f"must be positive, got {item.capacity}"))
    for name in ("production", "inventory", "forecast_next"):
        value = getattr(item, name)
        if value is not None and value < 0:
            problems.append((name, f"must not be negative, got {value}"))
    unknown = [r for r in item.reasons if r not in reasons()]
    if unknown:
        problems.append(("reasons", f"unknown reason code(s) {', '.join(unknown)}"))
    return problems


def add_returns(
    session: Session,
    survey: Survey,
    items: Sequence[ReturnIn],
    *,
    actor: str,
    source: str = "api",
    row_numbers: Sequence[int] | None = None,
) -> ReturnsResult:
    """Validate every return, then write all of them (new respondents join the panel)."""
    respondents = {r.code: r for r in panel(session, survey)}
    problems, firsts = _validate(survey, items, respondents, row_numbers)
    if problems:
        raise ImportRejected(source, problems.items)
    return _write(session, survey, items, firsts, respondents, actor=actor, source=source)


def _validate(
    survey: Survey,
    items: Sequence[ReturnIn],
    respondents: dict[str, Respondent],
    row_numbers: Sequence[int] | None,
) -> tuple[Problems, dict[str, ReturnIn]]:
    """Every problem of a batch, and the first return of each respondent new to the panel."""
    problems = Problems()
    firsts: dict[str, ReturnIn] = {}
    for index, item in enumerate(items):
        number = row_numbers[index] if row_numbers else index + 1
        known = respondents.get(item.respondent)
        if known is None and item.respondent in firsts:
            known_item = firsts[item.respondent]  # joined earlier in the same batch
            item = item.model_copy(
                update={
                    k: getattr(item, k) or getattr(known_item, k)
                    for k in ("name", "province", "producer_type", "capacity")
                }
            )
        for name, message in _check(survey, item, known):
            problems.add(number, name, message)
        if known is None:
            firsts.setdefault(item.respondent, item)
    return problems, firsts


def _write(
    session: Session,
    survey: Survey,
    items: Sequence[ReturnIn],
    firsts: dict[str, ReturnIn],
    respondents: dict[str, Respondent],
    *,
    actor: str,
    source: str,
) -> ReturnsResult:
    new_codes = []
    for code, item in firsts.items():
        respondent = Respondent(
            survey_id=survey.id,
            code=code,
            name=item.name or code,
            province=province_code(item.province or "") or "",
            producer_type=item.producer_type or "",
            capacity=item.capacity or Decimal(0),
            # A respondent joins the panel with its first return's month.
            active_from=_period_start(item.period),
        )
        session.add(respondent)
        respondents[code] = respondent
        new_codes.append(code)
    for item in items:
        if item.respondent not in firsts:
            _update_panel_details(session, survey, respondents[item.respondent], item, actor)
    session.flush()
    existing = {
        (r.respondent_id, r.period): r
        for r in session.scalars(
            select(SurveyReturn).where(
                SurveyReturn.survey_id == survey.id,
                SurveyReturn.period.in_({i.period for i in items}),
            )
        )
    }
    added = replaced = 0
    for item in items:
        respondent = respondents[item.respondent]
        values = {
            "production": item.production,
            "inventory": item.inventory,
            "forecast_next": item.forecast_next,
            "reasons": list(item.reasons),
            "note": item.note,
        }
        row = existing.get((respondent.id, item.period))
        if row is None:
            row = SurveyReturn(
                survey_id=survey.id,
                respondent_id=respondent.id,
                period=item.period,
                entered_by=actor,
                **values,
            )
            session.add(row)
            existing[(respondent.id, item.period)] = row
            added += 1
        else:
            before = {k: getattr(row, k) for k in values}
            if before != values:
                for key, value in values.items():
                    setattr(row, key, value)
                row.entered_by, row.received_at = actor, utcnow()
                record(
                    session,
                    actor=actor,
                    action="revise-return",
                    object_type="survey_return",
                    object_id=f"{survey.code}/{item.respondent}/{item.period}",
                    before=before,
                    after=values,
                )
                replaced += 1
    if added or new_codes:
        record(
            session,
            actor=actor,
            action="add-returns",
            object_type="survey",
            object_id=survey.code,
            after={"source": source, "added": added, "new_respondents": new_codes},
        )
    return ReturnsResult(added=added, replaced=replaced, new_respondents=new_codes)


def _update_panel_details(
    session: Session, survey: Survey, respondent: Respondent, item: ReturnIn, actor: str
) -> None:
    """A later return may carry new panel details (a capacity expansion, a corrected province)."""
    wanted = {
        "name": item.name,
        "province": province_code(item.province) if item.province else None,
        "producer_type": item.producer_type,
        "capacity": item.capacity,
    }
    changes = {k: v for k, v in wanted.items() if v is not None and getattr(respondent, k) != v}
    if not changes:
        return
    before = {k: getattr(respondent, k) for k in changes}
    for key, value in changes.items():
        setattr(respondent, key, value)
    record(
        session,
        actor=actor,
        action="update",
        object_type="respondent",
        object_id=f"{survey.code}/{respondent.code}",
        before=before,
        after=changes,
    )


def import_returns(session: Session, path: Path, *, actor: str) -> dict[str, ReturnsResult]:
    """All-or-nothing import of a survey file (CSV/XLSX): every bad row listed, nothing written."""
    surveys: dict[str, Survey | None] = {}

    def check(rows: Sequence[tuple[int, ReturnRow]], problems: Problems) -> None:
        by_survey: dict[str, list[tuple[int, ReturnRow]]] = {}
        for number, item in rows:
            if item.survey not in surveys:
                surveys[item.survey] = get_survey(session, item.survey)
            if surveys[item.survey] is None:
                problems.add(number, "survey", f"unknown survey {item.survey!r}")
            else:
                by_survey.setdefault(item.survey, []).append((number, item))
        # Every survey's rows checked before any is written: one bad row anywhere rejects the file.
        for code, group in by_survey.items():
            survey = surveys[code]
            assert survey is not None
            found, _ = _validate(
                survey,
                [item for _, item in group],
                {r.code: r for r in panel(session, survey)},
                [number for number, _ in group],
            )
            for problem in found.items:
                problems.add(problem.row, problem.field, problem.message)

    by_survey: dict[str, list[tuple[int, ReturnRow]]] = {}
    for number, item in read_rows(path, ReturnRow, RETURN_COLUMNS, check=check):
        by_survey.setdefault(item.survey, []).append((number, item))
    results: dict[str, ReturnsResult] = {}
    for code, rows in by_survey.items():
        survey = surveys[code]
        assert survey is not None
        results[code] = add_returns(
            session,
            survey,
            [r for _, r in rows],
            actor=actor,
            source=str(path),
            row_numbers=[n for n, _ in rows],
        )
    return results


# --- statistics and releases -------------------------------------------------------------------


def compute_stats(session: Session, survey: Survey, period: str) -> dict[str, Any]:
    """The period's statistics from the returns as they stand now (the desk's view)."""
    year, _ = parse_period(period)
    # From December two years back: last January's late returns can be imputed from the
    # December before, so the year-on-year base is the one that was published.
    first = f"{year - 2:04d}-12"
    respondents = panel(session, survey)
    by_id = {r.id: r for r in respondents}
    rows = session.scalars(
        select(SurveyReturn).where(
            SurveyReturn.survey_id == survey.id,
            SurveyReturn.period >= first,
            SurveyReturn.period <= period,
        )
    )
    returns = [
        stats.Return(
            respondent=by_id[r.respondent_id].code,
            period=r.period,
            production=r.production,
            inventory=r.inventory,
            forecast_next=r.forecast_next,
            reasons=tuple(r.reasons or ()),
        )
        for r in rows
    ]
    result = stats.compute(
        period,
        [
            stats.Respondent(
                id=r.code,
                name=r.name,
                province=r.province,
                producer_type=r.producer_type,
                capacity=r.capacity,
                active_from=r.active_from,
                active_to=r.active_to,
            )
            for r in respondents
        ],
        returns,
        national_capacity=survey.national_capacity,
        main_share=survey.main_share,
    )
    data = result.to_dict()
    data["survey"] = survey.code
    data["unit"] = survey.unit
    return localize(data)


def localize(data: dict[str, Any]) -> dict[str, Any]:
    """Province codes become names: main_provinces in English (as published), and each
    province line and forecast mover gains name_en / name_zh for either language's report."""
    known = provinces()

    def names(code: str) -> dict[str, str]:
        item = known.get(code)
        return {
            "name_en": item.name_en if item else code,
            "name_zh": item.name_zh if item else code,
        }

    data["main_provinces"] = [names(c)["name_en"] for c in data.get("main_provinces") or []]
    for line in data.get("by_province") or []:
        line.update(names(line["name"]))
    for side in (data.get("forecast_movers") or {}).values():
        for mover in side:
            if mover.get("kind") == "province":
                mover.update(names(mover["name"]))
    return data


def _figures(stats: dict[str, Any]) -> dict[str, Any]:
    """A release's statistics without what only names the release (its status, version)."""
    return {k: v for k, v in stats.items() if k not in ("status", "version", "revised")}


def release(
    session: Session,
    survey: Survey,
    period: str,
    *,
    status: ReleaseStatus,
    user: User,
    release_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> SurveyRelease:
    """Freeze the period's statistics as a new release version; visible from ``release_at``
    (default: the survey's schedule, or now when that has passed). The figures of the latest
    version, with its status, again: that version is returned and nothing is written."""
    if user.role not in SCOPE_ROLES[Scope.PUBLISH]:
        raise SupplyError(f"user: {user.email} ({user.role.value}) may not release statistics")
    parse_period(period)
    now = now or utcnow()
    version = (
        int(
            session.scalar(
                select(func.max(SurveyRelease.version)).where(
                    SurveyRelease.survey_id == survey.id, SurveyRelease.period == period
                )
            )
            or 0
        )
        + 1
    )
    data = compute_stats(session, survey, period)
    if data.get("production") is None:
        raise SupplyError(f"period: {survey.code} has no returns for {period}")
    previous = session.scalar(
        select(SurveyRelease).where(
            SurveyRelease.survey_id == survey.id,
            SurveyRelease.period == period,
            SurveyRelease.version == version - 1,
        )
    )
    # These figures are out already with this status: releasing them again (a retry of a
    # release whose outcome was unknown, e.g. killed after its commit) is not a new version.
    if (
        previous is not None
        and previous.status is status
        and release_at in (None, previous.release_at)
        and _figures(previous.stats) == _figures(jsonable(data))
    ):
        return previous
    data["status"] = status.value
    data["version"] = version
    # "Revised" marks changed figures; finalising an unchanged preliminary release is not one.
    data["revised"] = previous is not None and any(
        previous.stats.get(key) != data.get(key) for key in REVISION_KEYS
    )
    when = release_at or max(scheduled_release(survey, period), now)
    if previous is not None and when < previous.release_at:
        raise SupplyError(
            f"release_at: version {version} cannot be released before version "
            f"{version - 1} ({previous.release_at:%Y-%m-%d %H:%M} UTC)"
        )
    row = SurveyRelease(
        survey_id=survey.id,
        period=period,
        version=version,
        status=status,
        stats=data,
        release_at=when,
        released_by=user.email,
    )
    session.add(row)
    session.flush()
    record(
        session,
        at=now,
        actor=user.email,
        action="release",
        object_type="survey_release",
        object_id=f"{survey.code}/{period}/v{version}",
        after={"status": status.value, "release_at": when, "production": data.get("production")},
    )
    return row


def published_release(
    session: Session, survey: Survey, period: str, *, as_of: dt.datetime
) -> SurveyRelease | None:
    row: SurveyRelease | None = session.scalar(
        select(SurveyRelease)
        .where(
            SurveyRelease.survey_id == survey.id,
            SurveyRelease.period == period,
            SurveyRelease.release_at <= as_of,
        )
        .order_by(SurveyRelease.version.desc())
        .limit(1)
    )
    return row


def release_versions(
    session: Session, survey: Survey, period: str, *, as_of: dt.datetime
) -> list[SurveyRelease]:
    return list(
        session.scalars(
            select(SurveyRelease)
            .where(
                SurveyRelease.survey_id == survey.id,
                SurveyRelease.period == period,
                SurveyRelease.release_at <= as_of,
            )
            .order_by(SurveyRelease.version)
        )
    )


def published_history(
    session: Session,
    survey: Survey,
    *,
    as_of: dt.datetime,
    start: str | None = None,
    end: str | None = None,
) -> list[SurveyRelease]:
    """The latest released version of each period, oldest period first."""
    query = select(SurveyRelease).where(
        SurveyRelease.survey_id == survey.id, SurveyRelease.release_at <= as_of
    )
    if start:
        query = query.where(SurveyRelease.period >= start)
    if end:
        query = query.where(SurveyRelease.period <= end)
    latest: dict[str, SurveyRelease] = {}
    for row in session.scalars(query.order_by(SurveyRelease.period, SurveyRelease.version)):
        latest[row.period] = row
    return list(latest.values())


def latest_period(session: Session, survey: Survey, *, as_of: dt.datetime) -> str | None:
    period: str | None = session.scalar(
        select(func.max(SurveyRelease.period)).where(
            SurveyRelease.survey_id == survey.id, SurveyRelease.release_at <= as_of
        )
    )
    return period
