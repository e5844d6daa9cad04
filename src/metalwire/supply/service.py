"""Survey operations: periods, surveys and panels, statistics, timed releases.

Statistics are computed by the pure ``supply.stats`` module and published as frozen, versioned
releases, so a revised figure is marked and the earlier one kept; readers see a release only
from its release time on (``supply.published``). Returns come in through ``supply.returns``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
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
from metalwire.errors import ServiceError
from metalwire.outbox.events import announce
from metalwire.outbox.models import EventKind
from metalwire.supply import stats
from metalwire.supply.models import (
    ReleaseStatus,
    Respondent,
    Survey,
    SurveyRelease,
    SurveyReturn,
)
from metalwire.supply.naming import NameProblem, survey_names
from metalwire.supply.published import published_release
from metalwire.supply.reference import provinces
from metalwire.supply.schemas import PERIOD_PATTERN

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


class SupplyError(ServiceError):
    """A refused survey operation; ``field=`` names the field it concerns."""


# --- periods -----------------------------------------------------------------------------------


def parse_period(text: str) -> tuple[int, int]:
    if not re.fullmatch(PERIOD_PATTERN, text):
        raise SupplyError(f"not a month (YYYY-MM): {text!r}", field="period")
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


def period_start(period: str) -> dt.date:
    year, month = parse_period(period)
    return dt.date(year, month, 1)


def period_of(day: dt.date) -> str:
    """The month a date falls in, as a period (YYYY-MM)."""
    return f"{day.year:04d}-{day.month:02d}"


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
    name_en: str | None = None,
    name_zh: str | None = None,
    tier: Tier = Tier.PREMIUM,
    producer_types: list[dict[str, str]] | None = None,
    national_capacity: Decimal | None = None,
    premium_series: str | None = None,
    main_share: Decimal | None = None,
    actor: str,
) -> Survey:
    if session.scalar(select(Survey).where(Survey.code == code)) is not None:
        raise SupplyError(f"a survey {code!r} already exists", field="code")
    catalog_entry = session.scalar(
        select(CatalogEntry).where((CatalogEntry.code == entry) | (CatalogEntry.name_en == entry))
    )
    if catalog_entry is None:
        raise SupplyError(f"no catalog entry {entry!r}", field="entry")
    if unit not in KNOWN_UNITS:
        raise SupplyError(f"unknown unit {unit!r}", field="unit")
    try:
        name_en, name_zh = survey_names(
            name_en, name_zh, entry_en=catalog_entry.name_en, entry_zh=catalog_entry.name_zh
        )
    except NameProblem as problem:
        raise SupplyError(str(problem), field=problem.field) from None
    survey = Survey(
        code=code,
        entry_id=catalog_entry.id,
        name_en=name_en,
        name_zh=name_zh,
        unit=unit,
        tier=tier,
        producer_types=producer_types or DEFAULT_PRODUCER_TYPES,
        national_capacity=national_capacity,
        premium_series=premium_series,
    )
    if main_share is not None:
        if not Decimal(0) < main_share <= Decimal(1):
            raise SupplyError(
                f"must be above 0 and at most 1, got {main_share}", field="main_share"
            )
        survey.main_share = main_share
    session.add(survey)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        object_type="survey",
        object_id=code,
        after={"entry": catalog_entry.code, "unit": unit, "name_en": name_en, "name_zh": name_zh},
    )
    return survey


def rename_survey(
    session: Session,
    code: str,
    *,
    name_en: str | None = None,
    name_zh: str | None = None,
    actor: str,
) -> Survey:
    """New names for a survey (each not given is kept), held to the rule of a new survey's: a
    Chinese name written in Chinese. What a survey created with its English name in both
    languages is fixed with; audited, before and after."""
    survey = require_survey(session, code)
    entry = survey.entry
    try:
        en, zh = survey_names(
            name_en if name_en is not None else survey.name_en,
            name_zh if name_zh is not None else survey.name_zh,
            entry_en=entry.name_en,
            entry_zh=entry.name_zh,
        )
    except NameProblem as problem:
        raise SupplyError(str(problem), field=problem.field) from None
    before = {"name_en": survey.name_en, "name_zh": survey.name_zh}
    survey.name_en, survey.name_zh = en, zh
    session.flush()
    record(
        session,
        actor=actor,
        action="rename",
        object_type="survey",
        object_id=code,
        before=before,
        after={"name_en": en, "name_zh": zh},
    )
    return survey


def get_survey(session: Session, code: str) -> Survey | None:
    survey: Survey | None = session.scalar(select(Survey).where(Survey.code == code))
    return survey


def require_survey(session: Session, code: str) -> Survey:
    survey = get_survey(session, code)
    if survey is None:
        raise SupplyError(f"unknown survey {code!r}", field="survey")
    return survey


def list_surveys(session: Session) -> list[Survey]:
    return list(session.scalars(select(Survey).order_by(Survey.code)))


def panel(session: Session, survey: Survey) -> list[Respondent]:
    return list(
        session.scalars(
            select(Respondent).where(Respondent.survey_id == survey.id).order_by(Respondent.code)
        )
    )


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


def _next_version(session: Session, survey: Survey, period: str) -> int:
    latest = session.scalar(
        select(func.max(SurveyRelease.version)).where(
            SurveyRelease.survey_id == survey.id, SurveyRelease.period == period
        )
    )
    return int(latest or 0) + 1


def _release_version(
    session: Session, survey: Survey, period: str, version: int
) -> SurveyRelease | None:
    row: SurveyRelease | None = session.scalar(
        select(SurveyRelease).where(
            SurveyRelease.survey_id == survey.id,
            SurveyRelease.period == period,
            SurveyRelease.version == version,
        )
    )
    return row


def _already_out(
    previous: SurveyRelease,
    status: ReleaseStatus,
    release_at: dt.datetime | None,
    data: dict[str, Any],
) -> bool:
    """These figures are out already with this status: releasing them again (a retry of a
    release whose outcome was unknown, e.g. killed after its commit) is not a new version."""
    return (
        previous.status is status
        and release_at in (None, previous.release_at)
        and _figures(previous.stats) == _figures(jsonable(data))
    )


def _check_release_order(previous: SurveyRelease, when: dt.datetime) -> None:
    """A revision cannot be released before the version it revises."""
    if when < previous.release_at:
        raise SupplyError(
            f"version {previous.version + 1} cannot be released before version "
            f"{previous.version} ({previous.release_at:%Y-%m-%d %H:%M} UTC)",
            field="release_at",
        )


def _published_previous(
    session: Session, survey: Survey, period: str, data: dict[str, Any], when: dt.datetime
) -> None:
    """Last month's total as published at ``when``, beside the bridge's (last month as its
    returns stand now) where the two differ: last month was revised since, by late or corrected
    returns, and the report says so rather than let its figures miss the published one."""
    before = published_release(session, survey, shift_period(period, -1), as_of=when)
    if before is None:
        return
    for key, figure in (("output_bridge", "production"), ("inventory_bridge", "inventory")):
        bridge, published = data.get(key), before.stats.get(figure)
        if bridge and published is not None and Decimal(published) != Decimal(bridge["previous"]):
            bridge["published_previous"] = published


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
        raise SupplyError(
            f"{user.email} ({user.role.value}) may not release statistics", field="user"
        )
    parse_period(period)
    now = now or utcnow()
    version = _next_version(session, survey, period)
    data = compute_stats(session, survey, period)
    if data.get("production") is None:
        raise SupplyError(f"{survey.code} has no returns for {period}", field="period")
    when = release_at or max(scheduled_release(survey, period), now)
    _published_previous(session, survey, period, data, when)
    previous = _release_version(session, survey, period, version - 1)
    if previous is not None and _already_out(previous, status, release_at, data):
        return previous
    data["status"] = status.value
    data["version"] = version
    # "Revised" marks changed figures; finalising an unchanged preliminary release is not one.
    data["revised"] = previous is not None and any(
        previous.stats.get(key) != data.get(key) for key in REVISION_KEYS
    )
    if previous is not None:
        _check_release_order(previous, when)
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
    _announce(session, row)
    return row


def _announce(session: Session, row: SurveyRelease) -> None:
    """The release's event in the outbox, due at its release instant."""
    announce(
        session,
        EventKind.SURVEY_RELEASED,
        subject=f"{row.survey.code}/{row.period}/v{row.version}",
        code=row.survey.code,
        due_at=row.release_at,
        refs={"release_id": row.id, "survey_id": row.survey_id},
    )


@dataclass(frozen=True)
class SurveyDate:
    """A survey's next scheduled release: the period it covers and when, in the survey's zone."""

    survey: Survey
    period: str  # YYYY-MM
    due: dt.datetime  # UTC
    local: dt.datetime


def next_survey_releases(session: Session, now: dt.datetime) -> list[SurveyDate]:
    """Each survey's next scheduled statistics release (a period's figures come out on its last
    day at the survey's release time), soonest first. The schedule is public; the figures are
    not read here."""
    out = []
    for survey in list_surveys(session):
        zone = ZoneInfo(survey.timezone)
        period = now.astimezone(zone).strftime("%Y-%m")
        due = scheduled_release(survey, period)
        if due <= now:  # this month's is out (or overdue): the next is a month on
            period = shift_period(period, 1)
            due = scheduled_release(survey, period)
        out.append(SurveyDate(survey, period, due, due.astimezone(zone)))
    return sorted(out, key=lambda r: (r.due, r.survey.code))
