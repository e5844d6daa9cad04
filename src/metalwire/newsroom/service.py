"""Articles: drafts in English and Chinese, revisions, publishing, and the generated reports.

Writers (analysts) draft; editors publish, now or at a later time (``scheduled``: readers see
the article from ``publish_at`` on, computed at read time, no scheduler). Every change of a
language version's text adds an ``article_revision``; none is overwritten. Reports are drafted
by the pure ``newsroom.generators`` from RELEASED data only (survey releases and published
prices as of now), and each language version keeps the facts it quotes (``generated_from``).

Title and summary of every article are public: a reader without the plan sees them (and not the
body) for a premium article. So the service keeps premium figures out of them: when a generated
title or summary quotes a figure of a premium survey or series, a shorter teaser (or a neutral
line) takes its place and the figures stay in the body.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, selectinload

from metalwire.accounts.gate import SCOPE_ROLES, Decision, Principal, is_released, may_read_tier
from metalwire.accounts.models import Scope, User
from metalwire.audit import record
from metalwire.catalog import service as catalog
from metalwire.catalog.models import CatalogGroup, PriceSeries, Tier
from metalwire.catalog.units import price_unit_label
from metalwire.db.base import utcnow
from metalwire.newsroom import generators as gen
from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.models import (
    Article,
    ArticleKind,
    ArticleRevision,
    ArticleStatus,
    ArticleTag,
    ArticleText,
    ArticleTranslation,
)
from metalwire.newsroom.render import markdown_to_html, markdown_to_text
from metalwire.pricing.models import Assessment, AssessmentStatus
from metalwire.pricing.published import PublishedPrice, corrections, published_prices
from metalwire.supply import service as supply
from metalwire.supply.models import Survey, SurveyRelease

LANGS = ("en", "zh")
BYLINE = "metalwire newsroom"
# The premium sentence of a production report reads this many trading days up to the period end.
PREMIUM_DAYS = 10
_PREMIUM_LOOKBACK = dt.timedelta(days=31)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,199}$")
_FIGURE = re.compile(r"\d(?:[\d,.]*\d)?")


class NewsroomError(ValueError):
    """A refused newsroom operation; the message starts with the field it concerns."""


class NotFound(NewsroomError):
    """No such survey, group, release or article (the message names it)."""


class Conflict(NewsroomError):
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
        raise NotFound(f"slug: no article {slug!r}")
    return article


def is_visible(article: Article, now: dt.datetime) -> bool:
    """Readers see an article once an editor published it and its publish time has come."""
    if article.status is ArticleStatus.DRAFT:
        return False
    return is_released(article.publish_at, now)


def effective_status(article: Article, now: dt.datetime) -> ArticleStatus:
    if article.status is ArticleStatus.DRAFT:
        return ArticleStatus.DRAFT
    return ArticleStatus.PUBLISHED if is_visible(article, now) else ArticleStatus.SCHEDULED


def may_read_body(principal: Principal, article: Article) -> Decision:
    """The body (and its facts) of an article: the article's tier and group, through the gate."""
    return may_read_tier(principal, article.tier.value, article.group_code)


def translation(article: Article, lang: str) -> ArticleTranslation:
    """The language version asked for, or the other one when the article has only that."""
    by_lang = {t.lang: t for t in article.translations}
    found = by_lang.get(lang) or next(iter(by_lang.values()), None)
    if found is None:
        raise NotFound(f"lang: article {article.slug!r} has no text")
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
            newer.status == AssessmentStatus.APPROVED,
            newer.release_at <= now,
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


# --- writing -----------------------------------------------------------------------------------


def _require_role(user: User | None, scope: Scope, what: str) -> None:
    if user is not None and user.role not in SCOPE_ROLES[scope]:
        raise NewsroomError(f"user: {user.email} ({user.role.value}) may not {what}")


@dataclass(frozen=True)
class ArticleInput:
    """Everything an article is stored from: its language versions and where they came from."""

    slug: str
    kind: ArticleKind
    tier: Tier
    drafts: Mapping[str, gen.Draft]
    group_code: str | None = None
    tags: Sequence[str] = ()
    source: str = ""
    byline: str = BYLINE
    data_released_at: dt.datetime | None = None
    # source_ref -> link, added to each stored fact as ``href``.
    links: Mapping[str, str] = field(default_factory=dict)


def _facts(draft: gen.Draft, links: Mapping[str, str]) -> list[dict[str, Any]]:
    out = []
    for fact in draft.facts:
        item: dict[str, Any] = fact.to_dict()
        href = links.get(fact.source_ref) or links.get(fact.source_ref.split("#")[0])
        if href:
            item["href"] = href
        out.append(item)
    return out


def store_article(
    session: Session,
    data: ArticleInput,
    *,
    actor: str,
    user: User | None = None,
    now: dt.datetime | None = None,
) -> tuple[Article, bool]:
    """Create the article or update it with new text; returns (article, changed).

    Each language version whose text changed gets a new revision; unchanged text adds nothing.
    A published article's text may be changed only by someone who may publish.
    """
    _require_role(user, Scope.SUBMIT, "write articles")
    if not _SLUG.match(data.slug):
        raise NewsroomError(f"slug: {data.slug!r} is not a slug (a-z, 0-9 and '-')")
    if not data.drafts:
        raise NewsroomError("drafts: an article needs at least one language version")
    for lang, draft in data.drafts.items():
        if lang not in LANGS or draft.lang != lang:
            raise NewsroomError(f"lang: unknown or mismatched language version {lang!r}")
    now = now or utcnow()
    article = get_article(session, data.slug)
    created = article is None
    if article is None:
        article = Article(
            slug=data.slug,
            kind=data.kind,
            tier=data.tier,
            status=ArticleStatus.DRAFT,
            group_code=data.group_code,
            byline=data.byline,
            source=data.source,
            data_released_at=data.data_released_at,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        session.add(article)
        session.flush()
    current = {t.lang: t for t in article.translations}
    changes: dict[str, dict[str, Any]] = {}
    for lang, draft in data.drafts.items():
        values: dict[str, Any] = {
            "title": draft.title,
            "summary": draft.summary,
            "body_markdown": draft.body_markdown,
            "facts": _facts(draft, data.links),
        }
        existing = current.get(lang)
        if existing is None or any(getattr(existing, k) != v for k, v in values.items()):
            changes[lang] = values
    meta = {
        "tier": data.tier,
        "group_code": data.group_code,
        "source": data.source,
        "byline": data.byline,
        "data_released_at": data.data_released_at,
    }
    meta_changed = any(getattr(article, k) != v for k, v in meta.items())
    wanted = set(data.tags) | ({data.group_code} if data.group_code else set())
    tags_changed = {t.tag for t in article.tags} != wanted
    if not (created or changes or meta_changed or tags_changed):
        return article, False
    # Readers may already have seen it: only an editor changes a published article.
    if article.status is not ArticleStatus.DRAFT and (
        user is None or user.role not in SCOPE_ROLES[Scope.PUBLISH]
    ):
        raise Conflict(f"slug: {article.slug} is {article.status.value}; an editor must revise it")
    for key, value in meta.items():
        setattr(article, key, value)
    revised: dict[str, int] = {}
    for lang, values in changes.items():
        existing = current.get(lang)
        revision = (existing.revision if existing else 0) + 1
        if existing is None:
            existing = ArticleTranslation(article_id=article.id, lang=lang)
            article.translations.append(existing)
        existing.title = values["title"]
        existing.summary = values["summary"]
        existing.body_markdown = values["body_markdown"]
        existing.body_html = markdown_to_html(values["body_markdown"])
        existing.facts = values["facts"]
        existing.revision = revision
        existing.updated_at = now
        session.add(
            ArticleRevision(
                article_id=article.id,
                lang=lang,
                revision=revision,
                tier=data.tier,
                created_by=actor,
                created_at=now,
                **values,
            )
        )
        _sync_text(session, article.id, lang, values)
        revised[lang] = revision
    if tags_changed:
        kept = [t for t in article.tags if t.tag in wanted]
        have = {t.tag for t in kept}
        article.tags = kept + [
            ArticleTag(article_id=article.id, tag=tag) for tag in sorted(wanted - have)
        ]
    article.updated_at = now
    session.flush()
    record(
        session,
        at=now,
        actor=actor,
        action="create" if created else "revise",
        object_type="article",
        object_id=article.slug,
        after={
            "kind": data.kind.value,
            "tier": data.tier.value,
            "source": data.source,
            "revisions": revised,
        },
    )
    return article, True


def _sync_text(session: Session, article_id: int, lang: str, values: Mapping[str, Any]) -> None:
    """Keep the searched plain text in step with the current version (indexes follow it)."""
    row = session.scalar(
        select(ArticleText).where(ArticleText.article_id == article_id, ArticleText.lang == lang)
    )
    if row is None:
        row = ArticleText(article_id=article_id, lang=lang)
        session.add(row)
    row.title = values["title"]
    row.summary = values["summary"]
    row.body = markdown_to_text(values["body_markdown"])


def publish(
    session: Session,
    article: Article,
    *,
    user: User,
    publish_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    allow_past: bool = False,
) -> Article:
    """An editor publishes the article now, or schedules it for ``publish_at``.

    Never before the data it quotes is released; not in the past unless ``allow_past`` (the
    demo dates its back catalogue to the data). Publishing a visible article again changes
    nothing.
    """
    _require_role(user, Scope.PUBLISH, "publish articles")
    now = now or utcnow()
    if publish_at is not None and publish_at.utcoffset() is None:
        raise NewsroomError("publish_at: give a timezone offset, e.g. 2026-11-26T03:30:00Z")
    if is_visible(article, now):
        return article
    when = publish_at or now
    if when < now and not allow_past:
        raise NewsroomError(
            f"publish_at: {when.isoformat()} is in the past; leave it out to publish now"
        )
    if article.data_released_at is not None and when < article.data_released_at:
        raise NewsroomError(
            f"publish_at: {when.isoformat()} is before the data it quotes is released "
            f"({article.data_released_at.isoformat()})"
        )
    before = {"status": article.status.value, "publish_at": article.publish_at}
    article.status = ArticleStatus.PUBLISHED if when <= now else ArticleStatus.SCHEDULED
    article.publish_at = when
    article.published_by = user.email
    article.updated_at = now
    session.flush()
    record(
        session,
        at=now,
        actor=user.email,
        action="publish" if when <= now else "schedule",
        object_type="article",
        object_id=article.slug,
        before=before,
        after={"status": article.status.value, "publish_at": when},
    )
    return article


# --- public teaser -----------------------------------------------------------------------------


def figures(text: str) -> set[str]:
    return set(_FIGURE.findall(text))


def _premium_figures(draft: gen.Draft, premium: Iterable[str]) -> set[str]:
    """The figures of the draft's facts that come from premium sources (by source_ref). Facts
    describing a series window (how many days read, the trend's word) carry no price."""
    refs = set(premium)
    out: set[str] = set()
    for fact in draft.facts:
        if fact.source_kind == "series":
            continue
        if fact.source_ref in refs or fact.source_ref.split("#")[0] in refs:
            out |= figures(fact.value)
    return out


def _public_figures(text: str, dates: Sequence[str]) -> set[str]:
    """The figures of a public text, leaving out the report's own dates ("Nov 25, 2026",
    "2025年10月"), whose day and month numbers are not data."""
    for date in sorted(dates, key=len, reverse=True):
        text = text.replace(date, " ")
    return figures(text)


def _teaser(
    draft: gen.Draft,
    premium_refs: Iterable[str],
    *,
    dates: Sequence[str],
    neutral_title: str,
    neutral_summary: str,
    cut_before: Sequence[str] = (),
) -> gen.Draft:
    """The draft with a title and summary free of premium figures (the body keeps them)."""
    secret = _premium_figures(draft, premium_refs)
    if not secret:
        return draft
    title, summary = draft.title, draft.summary
    if _public_figures(title, dates) & secret:
        title = neutral_title
    if _public_figures(summary, dates) & secret:
        # The summary's lead sentence names no series; the figures follow the first name.
        cuts = [summary.find(name) for name in cut_before if name and name in summary]
        short = summary[: min(cuts)].strip() if cuts else ""
        summary = short if short and not _public_figures(short, dates) & secret else neutral_summary
    return gen.Draft(
        lang=draft.lang,
        title=title,
        summary=summary,
        body_markdown=draft.body_markdown,
        facts=draft.facts,
        tags=draft.tags,
    )


# --- the production report ---------------------------------------------------------------------


def production_slug(survey: Survey, period: str) -> str:
    return f"{survey.code.lower()}-{period}"


def daily_slug(group_code: str, day: dt.date) -> str:
    return f"{group_code}-prices-{day.isoformat()}"


def _period_end(period: str) -> dt.date:
    year, month = supply.parse_period(period)
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


@dataclass
class _Sources:
    """What a report quotes: premium refs, links per ref, the latest release time."""

    premium: set[str] = field(default_factory=set)
    links: dict[str, str] = field(default_factory=dict)
    released: list[dt.datetime] = field(default_factory=list)

    def price(self, series: PriceSeries, p: PublishedPrice) -> str:
        ref = f"assessment:{p.assessment_id}"
        day = p.market_date.isoformat()
        self.links[ref] = f"/api/v1/series/{series.code}/prices?start={day}&end={day}"
        if series.tier is Tier.PREMIUM:
            self.premium.add(ref)
        self.released.append(p.release_at)
        return ref


def premium_facts(
    session: Session, survey: Survey, period: str, *, now: dt.datetime, sources: _Sources
) -> gen.PremiumFacts | None:
    """The survey's spot premium series over its last ``PREMIUM_DAYS`` published trading days
    up to the period's end: lowest low, highest high, latest range, trend of the mid."""
    if not survey.premium_series:
        return None
    series = catalog.get_series(session, survey.premium_series)
    if series is None:
        return None
    end = _period_end(period)
    prices = published_prices(session, series, as_of=now, start=end - _PREMIUM_LOOKBACK, end=end)[
        -PREMIUM_DAYS:
    ]
    if not prices:
        return None
    first, last = prices[0], prices[-1]
    lowest = min(prices, key=lambda p: (p.low, p.market_date))
    highest = max(prices, key=lambda p: (p.high, p.market_date))
    for p in prices:
        sources.price(series, p)
    window = f"{series.code}/{first.market_date.isoformat()}..{last.market_date.isoformat()}"
    sources.links[window] = (
        f"/api/v1/series/{series.code}/prices?start={first.market_date.isoformat()}"
        f"&end={last.market_date.isoformat()}"
    )
    if series.tier is Tier.PREMIUM:
        sources.premium.add(window)
    trend: gen.Trend = "up" if last.mid > first.mid else "down" if last.mid < first.mid else "flat"
    return gen.PremiumFacts(
        series_code=series.code,
        unit_en=price_unit_label(series.currency, series.unit, "en"),
        unit_zh=price_unit_label(series.currency, series.unit, "zh"),
        low_min=lowest.low,
        high_max=highest.high,
        latest_low=last.low,
        latest_high=last.high,
        trend=trend,
        days=len(prices),
        series_ref=window,
        low_min_ref=f"assessment:{lowest.assessment_id}",
        high_max_ref=f"assessment:{highest.assessment_id}",
        latest_ref=f"assessment:{last.assessment_id}",
    )


def arbitrage_facts(
    session: Session, survey: Survey, period: str, *, now: dt.datetime
) -> gen.ArbitrageFacts | None:
    """The survey metal's export (silver) or import window over the period's last market days,
    as published when the report is drafted. A window above the survey's tier is left out, so a
    free report never quotes a premium figure."""
    from metalwire.markets import windows

    metal = survey.entry.code
    preferred = ("silver-export",) if metal == "silver" else ("base-metal-import",)
    definition = next(
        (d for d in windows.definitions() if d.metal == metal and d.kind in preferred), None
    )
    if definition is None:
        return None
    if windows.tier_of(session, definition) != "free" and survey.tier.value != "premium":
        return None
    year, month = (int(part) for part in period.split("-"))
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    history = windows.compute(
        session, definition, as_of=now, start=last - dt.timedelta(days=14), end=last
    )
    if not history.rows:
        return None
    first, latest = history.rows[0], history.rows[-1]
    opened_on = next(
        (
            w.opened
            for w in history.windows
            if w.opened <= latest.date and (w.closed is None or w.closed > latest.date)
        ),
        None,
    )
    # Open earlier in these days and closed since: the day it closed.
    closed_on = max(
        (w.closed for w in history.windows if w.closed is not None and w.closed <= latest.date),
        default=None,
    )
    trend: gen.Trend = (
        "up" if latest.profit > first.profit else "down" if latest.profit < first.profit else "flat"
    )
    unit_en, unit_zh = ("yuan/kg", "元/千克") if definition.unit == "kg" else ("yuan/mt", "元/吨")
    return gen.ArbitrageFacts(
        kind="export" if definition.kind == "silver-export" else "import",
        profit=latest.profit,
        unit_en=unit_en,
        unit_zh=unit_zh,
        open=latest.open,
        opened_on=opened_on if latest.open else None,
        closed_on=None if latest.open else closed_on,
        trend=trend,
        source_ref=f"arbitrage:{definition.code}@{latest.date.isoformat()}",
    )


def _producer_types(survey: Survey) -> dict[str, tuple[str, str]]:
    """Names for producer types the generators do not know (the survey's own wording)."""
    return {
        t["code"]: (f"{t['name_en']} producers", f"{t['name_zh']}企业")
        for t in survey.producer_types
        if t["code"] not in gen.PRODUCER_TYPES
    }


def production_input(
    session: Session, survey: Survey, period: str, *, now: dt.datetime
) -> ArticleInput:
    """Both language versions of a period's production report, from the RELEASED statistics."""
    release: SurveyRelease | None = supply.published_release(session, survey, period, as_of=now)
    if release is None:
        raise NotFound(f"period: no released statistics for {survey.code} {period}")
    sources = _Sources(released=[release.release_at])
    source_ref = f"{survey.code}/{period}/v{release.version}"
    sources.links[source_ref] = f"/api/v1/surveys/{survey.code}/stats?period={period}"
    if survey.tier is Tier.PREMIUM:
        sources.premium.add(source_ref)
    premium = premium_facts(session, survey, period, now=now, sources=sources)
    arbitrage = arbitrage_facts(session, survey, period, now=now)
    entry = survey.entry
    drafts: dict[str, gen.Draft] = {}

    def write(lang: str, spot: gen.PremiumFacts | None) -> gen.Draft:
        return gen.production_report(
            release.stats,
            survey_name_en=survey.name_en,
            survey_name_zh=survey.name_zh,
            commodity_en=entry.name_en.lower(),
            commodity_zh=entry.name_zh,
            unit=survey.unit,
            period=period,
            lang=lang,
            source_ref=source_ref,
            premium=spot,
            arbitrage=arbitrage,
            producer_types=_producer_types(survey),
        )

    for lang in LANGS:
        checked = ph.check_lang(lang)
        draft = write(lang, premium)
        # The spot premium belongs in the body: if the title and summary written without it
        # differ, its figures are secret there too.
        secret = {source_ref} & sources.premium
        if premium is not None:
            plain = write(lang, None)
            if (plain.title, plain.summary) != (draft.title, draft.summary):
                secret |= sources.premium
        name = survey.name_zh if lang == "zh" else survey.name_en
        month = ph.month_year(period, checked)
        dates = [
            month,
            period,
            *(ph.month_name(ph.shift_period(period, k), checked) for k in (-1, 0, 1)),
        ]
        drafts[lang] = _teaser(
            draft,
            secret,
            dates=dates,
            neutral_title=(
                f"{name}：{month}产量报告" if lang == "zh" else f"{name}: {month} Production Report"
            ),
            neutral_summary=(
                f"{month}{name}统计及其原因分析，订阅用户可阅读全文。"
                if lang == "zh"
                else f"The {month} statistics of the {name} survey and the reasons behind them; "
                "subscribers read the full report."
            ),
        )
    premium_tier = survey.tier is Tier.PREMIUM or bool(sources.premium)
    tags = {*drafts["en"].tags, *drafts["zh"].tags, entry.code, entry.group.code, survey.code}
    return ArticleInput(
        slug=production_slug(survey, period),
        kind=ArticleKind.PRODUCTION,
        tier=Tier.PREMIUM if premium_tier else Tier.FREE,
        drafts=drafts,
        group_code=entry.group.code,
        tags=sorted(tags),
        source=source_ref,
        data_released_at=max(sources.released),
        links=sources.links,
    )


def draft_production_report(
    session: Session,
    survey_code: str,
    period: str,
    *,
    actor: str,
    user: User | None = None,
    now: dt.datetime | None = None,
) -> Article:
    """Draft (or refresh) the production report of a released survey period."""
    _require_role(user, Scope.SUBMIT, "draft reports")
    now = now or utcnow()
    try:
        supply.parse_period(period)
    except supply.SupplyError as exc:
        raise NewsroomError(str(exc)) from None
    survey = supply.get_survey(session, survey_code)
    if survey is None:
        raise NotFound(f"survey: no survey {survey_code!r}")
    data = production_input(session, survey, period, now=now)
    article, _ = store_article(session, data, actor=actor, user=user, now=now)
    return article


# --- the daily price report --------------------------------------------------------------------


def _local_date(moment: dt.datetime, timezone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def daily_input(
    session: Session, group: CatalogGroup, day: dt.date, *, now: dt.datetime
) -> ArticleInput:
    """Both language versions of a group's daily price report: the prices of ``day`` released
    by now, and the corrections published that day."""
    series, _ = catalog.list_series(session, catalog.SeriesFilter(group=group.code), limit=500)
    sources = _Sources()
    prices: list[gen.PriceFacts] = []
    names_en: list[str] = []
    names_zh: list[str] = []
    for s in series:
        found = published_prices(session, s, as_of=now, start=day, end=day)
        if not found:
            continue
        p = found[-1]
        ref = sources.price(s, p)
        single = p.low == p.high
        prices.append(
            gen.PriceFacts(
                series_code=s.code,
                name_en=s.name_en,
                name_zh=s.name_zh,
                unit_en=price_unit_label(s.currency, s.unit, "en"),
                unit_zh=price_unit_label(s.currency, s.unit, "zh"),
                low=None if single else p.low,
                high=None if single else p.high,
                mid=p.mid,
                change=p.change,
                change_pct=p.change_pct,
                assessment_ref=ref,
            )
        )
        names_en.append(s.name_en)
        names_zh.append(s.name_zh)
    if not prices:
        raise NotFound(f"date: no released prices for {group.code} on {day.isoformat()}")
    by_id = {s.id: s for s in series}
    fixes: list[gen.CorrectionFacts] = []
    for notice in corrections(session, as_of=now, series_ids=list(by_id)):
        if _local_date(notice.published_at, notice.series.timezone) != day:
            continue
        s = notice.series
        ref = f"assessment:{notice.assessment_id}"
        sources.links[ref] = f"/api/v1/assessments/{notice.assessment_id}"
        if s.tier is Tier.PREMIUM:
            sources.premium.add(ref)
        sources.released.append(notice.published_at)
        fixes.append(
            gen.CorrectionFacts(
                series_code=s.code,
                name_en=s.name_en,
                name_zh=s.name_zh,
                unit_en=price_unit_label(s.currency, s.unit, "en"),
                unit_zh=price_unit_label(s.currency, s.unit, "zh"),
                day=notice.market_date,
                old_low=notice.old_low,
                old_high=notice.old_high,
                new_low=notice.new_low,
                new_high=notice.new_high,
                assessment_ref=ref,
                reason=notice.reason,
            )
        )
    fixes.sort(key=lambda c: (c.series_code, c.day))
    drafts: dict[str, gen.Draft] = {}
    for lang in LANGS:
        draft = gen.daily_price_report(group.name_en, group.name_zh, day, prices, fixes, lang=lang)
        checked = ph.check_lang(lang)
        name = group.name_zh if lang == "zh" else group.name_en
        when = ph.format_date(day, checked, short=True)
        drafts[lang] = _teaser(
            draft,
            sources.premium,
            dates=[when, ph.format_date(day, checked)],
            neutral_title=f"{when}{name}价格" if lang == "zh" else f"{name} Prices on {when}",
            neutral_summary=(
                f"{when}{name}价格：当日涨跌及全部评估价，订阅用户可阅读全文。"
                if lang == "zh"
                else f"{name} prices on {when}: the day's movers and every assessment; "
                "subscribers read the full report."
            ),
            cut_before=names_zh if lang == "zh" else names_en,
        )
    tags = {*drafts["en"].tags, *drafts["zh"].tags, group.code}
    return ArticleInput(
        slug=daily_slug(group.code, day),
        kind=ArticleKind.DAILY,
        tier=Tier.PREMIUM if sources.premium else Tier.FREE,
        drafts=drafts,
        group_code=group.code,
        tags=sorted(tags),
        source=f"{group.code}/{day.isoformat()}",
        data_released_at=max(sources.released),
        links=sources.links,
    )


def draft_daily_report(
    session: Session,
    group_code: str,
    day: dt.date,
    *,
    actor: str,
    user: User | None = None,
    now: dt.datetime | None = None,
) -> Article:
    """Draft (or refresh) a catalog group's daily price report."""
    _require_role(user, Scope.SUBMIT, "draft reports")
    now = now or utcnow()
    group = session.scalar(select(CatalogGroup).where(CatalogGroup.code == group_code))
    if group is None:
        raise NotFound(f"group: no catalog group {group_code!r}")
    data = daily_input(session, group, day, now=now)
    article, _ = store_article(session, data, actor=actor, user=user, now=now)
    return article
