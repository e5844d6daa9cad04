"""A survey's latest released figures, for its catalog entry's page and the survey pages alike,
through the same gate as /api/v1/surveys/{code}/stats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from metalwire.accounts.gate import Principal, may_read_tier
from metalwire.catalog.units import price_unit_label
from metalwire.supply import service
from metalwire.supply.models import Survey
from metalwire.supply.published import latest_period, published_release
from metalwire.web.api.surveys import period_decision

HEADLINE_KEYS = ("production", "mom_pct", "yoy_pct", "operating_rate")


def figure(value: Any) -> Decimal | None:
    """A published statistic (a decimal string) as a Decimal; None when absent or unreadable."""
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def survey_unit_label(survey: Survey, lang: str) -> str:
    return price_unit_label("", survey.unit, lang)


@dataclass(frozen=True)
class SurveyHeadline:
    """A survey's latest released figures for its catalog entry's page."""

    survey: Survey
    unit_label: str
    locked: bool  # above the reader's plan: the name and a call to subscribe, no figures
    period: str | None = None
    production: Decimal | None = None
    mom_pct: Decimal | None = None
    yoy_pct: Decimal | None = None
    operating_rate: Decimal | None = None


def survey_headlines(
    session: Session, principal: Principal, entry_id: int, now: dt.datetime, lang: str
) -> list[SurveyHeadline]:
    """The entry's surveys with their latest released period, through the same gate as the
    survey page."""
    headlines = []
    for survey in service.list_surveys(session):
        if survey.entry_id != entry_id:
            continue
        unit = survey_unit_label(survey, lang)
        if not may_read_tier(principal, survey.tier.value, survey.entry.group.code):
            headlines.append(SurveyHeadline(survey, unit, locked=True))
            continue
        period = latest_period(session, survey, as_of=now)
        row = published_release(session, survey, period, as_of=now) if period else None
        if row is None or not period_decision(principal, survey, row.period, row, now):
            headlines.append(SurveyHeadline(survey, unit, locked=False))
            continue
        figures = {key: figure(row.stats.get(key)) for key in HEADLINE_KEYS}
        headlines.append(
            SurveyHeadline(
                survey,
                unit,
                locked=False,
                period=row.period,
                production=figures["production"],
                mom_pct=figures["mom_pct"],
                yoy_pct=figures["yoy_pct"],
                operating_rate=figures["operating_rate"],
            )
        )
    return headlines
