"""Published survey statistics: the releases a reader may see at an instant (``as_of``), each
from its release time on (the gate's embargo, ``released``): one period's latest version, its
versions, the history of periods, the newest period released.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import released
from metalwire.supply.models import Survey, SurveyRelease


def published_release(
    session: Session, survey: Survey, period: str, *, as_of: dt.datetime
) -> SurveyRelease | None:
    row: SurveyRelease | None = session.scalar(
        select(SurveyRelease)
        .where(
            SurveyRelease.survey_id == survey.id,
            SurveyRelease.period == period,
            released(SurveyRelease, as_of),
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
                released(SurveyRelease, as_of),
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
        SurveyRelease.survey_id == survey.id, released(SurveyRelease, as_of)
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
            SurveyRelease.survey_id == survey.id, released(SurveyRelease, as_of)
        )
    )
    return period
