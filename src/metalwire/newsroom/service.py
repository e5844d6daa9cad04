"""Articles as readers and the desk read them: lookups, visibility, the reader's view of an
article (premium bodies locked), its sources' links and the corrections made since.

Writers (analysts) draft and editors publish (``editing``, ``publishing``); reports are drafted
from released data (``reports``), with public teasers free of premium figures (``teaser``).
Readers see an article from ``publish_at`` on (``scheduled`` until then), computed at read
time: there is no scheduler.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, selectinload

from metalwire import errors
from metalwire.accounts.gate import Decision, Principal, is_readable, may_read_tier, released
from metalwire.catalog.models import PriceSeries, Tier
from metalwire.newsroom.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    ArticleTag,
    ArticleTranslation,
)
from metalwire.pricing.models import Assessment

LANGS = ("en", "zh")


class NewsroomError(errors.ServiceError):
    """A refused newsroom operation; ``field=`` names the field it concerns."""


class NotFound(NewsroomError, errors.NotFound):
    """No such survey, group, release or article (the message names it)."""


class Conflict(NewsroomError, errors.Conflict):
    """The article's state does not allow it (a published article changed by a writer)."""


# --- reading -----------------------------------------------------------------------------------


def get_article(session: Session, slug: str) -> Article | None:
    article: Article | None = session.scalar(
        select(Article)
        .where(Article.slug == slug)
        .options(selectinload(Article.translations), selectinload(Article.tags))
    )
    return article


def require_article(session: Session, slug: str) -> Article:
    article = get_article(session, slug)
    if article is None:
        raise NotFound(f"no article {slug!r}", field="slug")
    return article


def effective_status(article: Article, now: dt.datetime) -> ArticleStatus:
    if article.status is ArticleStatus.DRAFT:
        return ArticleStatus.DRAFT
    return ArticleStatus.PUBLISHED if is_readable(article, now) else ArticleStatus.SCHEDULED


def may_read_body(principal: Principal, article: Article) -> Decision:
    """The body (and its facts) of an article: the article's tier and group, through the gate."""
    return may_read_tier(principal, article.tier.value, article.group_code)


def translation(article: Article, lang: str) -> ArticleTranslation:
    """The language version asked for, or the other one when the article has only that."""
    by_lang = {t.lang: t for t in article.translations}
    found = by_lang.get(lang) or next(iter(by_lang.values()), None)
    if found is None:
        raise NotFound(f"article {article.slug!r} has no text", field="lang")
    return found


def revisions(session: Session, article: Article, lang: str | None = None) -> list[ArticleRevision]:
    query = select(ArticleRevision).where(ArticleRevision.article_id == article.id)
    if lang is not None:
        query = query.where(ArticleRevision.lang == lang)
    return list(session.scalars(query.order_by(ArticleRevision.lang, ArticleRevision.revision)))


def list_articles(
    session: Session, *, status: ArticleStatus | None = None, limit: int = 100
) -> list[Article]:
    """Newest first, every status (the desk's view)."""
    query = select(Article).options(selectinload(Article.translations))
    if status is not None:
        query = query.where(Article.status == status)
    query = query.order_by(Article.created_at.desc(), Article.id.desc()).limit(limit)
    return list(session.scalars(query))


def fact_link(fact: Mapping[str, Any]) -> str | None:
    """Where a reader can check a fact: the stored link, or one read off its reference."""
    href = fact.get("href")
    if isinstance(href, str) and href:
        return href
    ref = str(fact.get("source_ref") or "")
    kind = fact.get("source_kind")
    if kind == "survey-statistic" and ref.count("/") >= 2:
        code, period = ref.split("/")[:2]
        return f"/api/v1/surveys/{code}/stats?period={period}"
    if kind == "assessment" and ref.startswith("assessment:"):
        return f"/api/v1/assessments/{ref.removeprefix('assessment:')}"
    if kind == "series" and ref:
        code = ref.split("/")[0]
        return f"/api/v1/series/{code}/prices"
    if kind == "arbitrage" and ref.startswith("arbitrage:"):
        code, _, day = ref.removeprefix("arbitrage:").partition("@")
        return f"/api/v1/arbitrage/{code}?start={day}&end={day}"
    return None


def article_view(
    article: Article, lang: str, principal: Principal | None, now: dt.datetime
) -> dict[str, Any]:
    """An article as a reader may see it: without the plan, a premium article's body and facts
    are left out (``locked``). ``principal`` None is the desk's own view (command line)."""
    text = translation(article, lang)
    readable = principal is None or bool(may_read_body(principal, article))
    return {
        "slug": article.slug,
        "kind": article.kind.value,
        "lang": text.lang,
        "languages": sorted(t.lang for t in article.translations),
        "title": text.title,
        "summary": text.summary,
        "tier": article.tier.value,
        "locked": not readable,
        "status": effective_status(article, now).value,
        "publish_at": article.publish_at.isoformat() if article.publish_at else None,
        "updated_at": text.updated_at.isoformat(),
        "revision": text.revision,
        "byline": article.byline,
        "source": article.source,
        "group": article.group_code,
        "tags": [t.tag for t in article.tags],
        "url": f"/articles/{article.slug}",
        "body_html": text.body_html if readable else None,
        "body_markdown": text.body_markdown if readable else None,
        "generated_from": (
            [{**fact, "href": fact_link(fact)} for fact in text.facts] if readable else None
        ),
    }


def corrected_since(session: Session, article: Article, now: dt.datetime) -> list[dict[str, Any]]:
    """The prices this article quotes that a released correction has changed since: series,
    market date, the corrected version and when it came out (newest first). Names no value, so
    it shows whatever the reader's plan; the corrected figures are on /corrections."""
    quoted_ids = {
        int(ref.removeprefix("assessment:"))
        for text in article.translations
        for fact in text.facts
        if (ref := str(fact.get("source_ref") or "")).startswith("assessment:")
        and ref.removeprefix("assessment:").isdigit()
    }
    if not quoted_ids:
        return []
    quoted, newer = aliased(Assessment), aliased(Assessment)
    rows = session.execute(
        select(PriceSeries.code, newer.market_date, newer.version, newer.release_at)
        .select_from(quoted)
        .join(
            newer,
            (newer.series_id == quoted.series_id)
            & (newer.market_date == quoted.market_date)
            & (newer.version > quoted.version),
        )
        .join(PriceSeries, PriceSeries.id == newer.series_id)
        .where(
            quoted.id.in_(sorted(quoted_ids)),
            released(newer, now),
        )
        .order_by(newer.release_at.desc(), PriceSeries.code)
    ).all()
    return [
        {
            "series": code,
            "date": day.isoformat(),
            "version": version,
            "corrected_at": released.isoformat(),
        }
        for code, day, version, released in rows
        if released is not None
    ]


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
