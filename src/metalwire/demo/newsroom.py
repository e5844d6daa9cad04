"""The demo newsroom: every released survey period's production report and the recent daily
price reports, drafted by the analyst and published by the editor through the report service.

Nothing writes an article directly: each report is drafted from the released data
(``newsroom.reports``) and published at the time its data was released, so the site's back
catalogue reads as if the desk had written each report the day its figures came out.

Rerunnable: a report whose data has not changed is left alone; a published report whose data
changed (a revised survey release) is revised by the editor, keeping the earlier text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import is_readable
from metalwire.accounts.models import User
from metalwire.catalog.models import CatalogGroup
from metalwire.newsroom import publishing, reports, service
from metalwire.newsroom.models import Article
from metalwire.supply import service as supply
from metalwire.supply.published import published_history

DAILY_DAYS = 30
DESK_TIMEZONE = "Asia/Shanghai"


def _write_and_publish(
    draft: Callable[[User], Article],
    *,
    session: Session,
    analyst: User,
    editor: User,
    now: dt.datetime,
) -> tuple[Article, bool]:
    """The analyst drafts (the editor, when the report is already out); the editor publishes
    it at its data's release time. Returns the article and whether it was published now."""
    try:
        article = draft(analyst)
    except service.Conflict:
        article = draft(editor)
    if is_readable(article, now):
        return article, False
    publishing.publish(
        session, article, user=editor, publish_at=article.data_released_at, now=now, allow_past=True
    )
    return article, True


def _production(session: Session, code: str, period: str, now: dt.datetime, user: User) -> Article:
    return reports.draft_production_report(
        session, code, period, actor=user.email, user=user, now=now
    )


def _daily(session: Session, code: str, day: dt.date, now: dt.datetime, user: User) -> Article:
    return reports.draft_daily_report(session, code, day, actor=user.email, user=user, now=now)


def build_newsroom(
    session: Session,
    *,
    editor: User,
    analyst: User,
    now: dt.datetime,
    days: int = DAILY_DAYS,
) -> list[str]:
    """Draft and publish the demo's reports in the caller's transaction; returns summary lines.

    The production report of every released period of every survey, and the daily price report
    of every catalog group for each of the last ``days`` days (Shanghai dates up to today) with
    released prices.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    production = daily = published = 0
    for survey in supply.list_surveys(session):
        for release in published_history(session, survey, as_of=now):
            _, new = _write_and_publish(
                partial(_production, session, survey.code, release.period, now),
                session=session,
                analyst=analyst,
                editor=editor,
                now=now,
            )
            production += 1
            published += new
    today = now.astimezone(ZoneInfo(DESK_TIMEZONE)).date()
    groups = list(session.scalars(select(CatalogGroup.code).order_by(CatalogGroup.position)))
    for offset in range(days - 1, -1, -1):
        day = today - dt.timedelta(days=offset)
        for code in groups:
            try:
                _, new = _write_and_publish(
                    partial(_daily, session, code, day, now),
                    session=session,
                    analyst=analyst,
                    editor=editor,
                    now=now,
                )
            except service.NotFound:
                continue  # no released prices in this group that day
            daily += 1
            published += new
    return [
        f"demo newsroom: {production} production reports and {daily} daily price reports "
        f"(English and Chinese), {published} newly published"
    ]
