"""What the home and entry pages list beside the price board (pricing/boards.py): the newest
reports' titles and each survey's next release date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import released
from metalwire.catalog.models import Tier
from metalwire.newsroom.models import Article, ArticleTag, ArticleTranslation
from metalwire.supply import service as supply
from metalwire.supply.models import Survey


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
    for survey in supply.list_surveys(session):
        zone = ZoneInfo(survey.timezone)
        period = now.astimezone(zone).strftime("%Y-%m")
        due = supply.scheduled_release(survey, period)
        if due <= now:  # this month's is out (or overdue): the next is a month on
            period = supply.shift_period(period, 1)
            due = supply.scheduled_release(survey, period)
        out.append(SurveyDate(survey, period, due, due.astimezone(zone)))
    return sorted(out, key=lambda r: (r.due, r.survey.code))


@dataclass(frozen=True)
class ReportLink:
    """A published article as a list shows it: title in the reader's language (or the one it
    has), tier, and publish time. Title and tier are public for every article."""

    slug: str
    title: str
    premium: bool
    published: dt.datetime  # UTC


def latest_reports(
    session: Session,
    now: dt.datetime,
    lang: str,
    limit: int,
    tags: Sequence[str] | None = None,
) -> list[ReportLink]:
    """The newest visible articles (the gate's released: published and due), with
    their titles only: one statement, no bodies read. With ``tags``, those tagged with any
    (series and survey codes: an entry's reports)."""
    newest_query = select(Article.id).where(released(Article, now))
    if tags is not None:
        tagged = select(ArticleTag.article_id).where(ArticleTag.tag.in_(list(tags)))
        newest_query = newest_query.where(Article.id.in_(tagged))
    newest = (
        newest_query.order_by(Article.publish_at.desc(), Article.id.desc()).limit(limit).subquery()
    )
    rows = session.execute(
        select(
            Article.id,
            Article.slug,
            Article.tier,
            Article.publish_at,
            ArticleTranslation.lang,
            ArticleTranslation.title,
        )
        .join(ArticleTranslation, ArticleTranslation.article_id == Article.id)
        .where(Article.id.in_(select(newest.c.id)))
        .order_by(Article.publish_at.desc(), Article.id.desc(), ArticleTranslation.lang)
    ).all()
    found: dict[int, ReportLink] = {}
    for article_id, slug, tier, publish_at, text_lang, title in rows:
        # The page's language when the article has it, else the version it has.
        if publish_at is None:  # never so for a visible article; the type allows it
            continue
        if article_id not in found or text_lang == lang:
            found[article_id] = ReportLink(slug, title, tier is Tier.PREMIUM, publish_at)
    return list(found.values())
