"""Drafting and editing articles: storing both language versions of an article, each change of
a version's text as a new ``article_revision`` (none is overwritten), and the plain text search
reads kept in step.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import SCOPE_ROLES
from metalwire.accounts.models import Scope, User
from metalwire.audit import record
from metalwire.catalog.models import Tier
from metalwire.db.base import utcnow
from metalwire.newsroom import generators as gen
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
from metalwire.newsroom.service import (
    LANGS,
    Conflict,
    NewsroomError,
    get_article,
)

BYLINE = "metalwire newsroom"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,199}$")


def require_role(user: User | None, scope: Scope, what: str) -> None:
    if user is not None and user.role not in SCOPE_ROLES[scope]:
        raise NewsroomError(f"{user.email} ({user.role.value}) may not {what}", field="user")


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
    require_role(user, Scope.SUBMIT, "write articles")
    _check_input(data)
    now = now or utcnow()
    article = get_article(session, data.slug)
    created = article is None
    if article is None:
        article = _new_article(session, data, actor=actor, now=now)
    current = {t.lang: t for t in article.translations}
    changes = _changed_texts(data, current)
    meta = _meta(data)
    meta_changed = any(getattr(article, k) != v for k, v in meta.items())
    wanted = set(data.tags) | ({data.group_code} if data.group_code else set())
    tags_changed = {t.tag for t in article.tags} != wanted
    if not (created or changes or meta_changed or tags_changed):
        return article, False
    # Readers may already have seen it: only an editor changes a published article.
    if article.status is not ArticleStatus.DRAFT and (
        user is None or user.role not in SCOPE_ROLES[Scope.PUBLISH]
    ):
        raise Conflict(
            f"{article.slug} is {article.status.value}; an editor must revise it", field="slug"
        )
    for key, value in meta.items():
        setattr(article, key, value)
    revised = {
        lang: _revise(session, article, current.get(lang), lang, values, data, actor, now)
        for lang, values in changes.items()
    }
    if tags_changed:
        _retag(article, wanted)
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


def _meta(data: ArticleInput) -> dict[str, Any]:
    """The article's columns an input sets besides its text."""
    return {
        "tier": data.tier,
        "group_code": data.group_code,
        "source": data.source,
        "byline": data.byline,
        "data_released_at": data.data_released_at,
    }


def _retag(article: Article, wanted: set[str]) -> None:
    kept = [t for t in article.tags if t.tag in wanted]
    have = {t.tag for t in kept}
    article.tags = kept + [
        ArticleTag(article_id=article.id, tag=tag) for tag in sorted(wanted - have)
    ]


def _check_input(data: ArticleInput) -> None:
    if not _SLUG.match(data.slug):
        raise NewsroomError(f"{data.slug!r} is not a slug (a-z, 0-9 and '-')", field="slug")
    if not data.drafts:
        raise NewsroomError("an article needs at least one language version", field="drafts")
    for lang, draft in data.drafts.items():
        if lang not in LANGS or draft.lang != lang:
            raise NewsroomError(f"unknown or mismatched language version {lang!r}", field="lang")


def _new_article(session: Session, data: ArticleInput, *, actor: str, now: dt.datetime) -> Article:
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
    return article


def _changed_texts(
    data: ArticleInput, current: Mapping[str, ArticleTranslation]
) -> dict[str, dict[str, Any]]:
    """The language versions whose title, summary, body or facts differ from the stored ones."""
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
    return changes


def _revise(
    session: Session,
    article: Article,
    existing: ArticleTranslation | None,
    lang: str,
    values: Mapping[str, Any],
    data: ArticleInput,
    actor: str,
    now: dt.datetime,
) -> int:
    """The language version's new text and its revision row; returns the revision number."""
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
    return revision


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
