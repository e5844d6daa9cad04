"""Newsroom tables: articles, their language versions and revisions, tags, and the search text.

An article has one row per language version (``article_translation``, the current text) and an
append-only ``article_revision`` per language: every change of a version's text adds a revision,
none is updated or deleted. ``article_text`` is the plain text searched (title, summary and the
body without markup); on SQLite an FTS5 trigram index follows it through triggers, on PostgreSQL
pg_trgm GIN indexes cover it (both created by hand in the migration, not declared here).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from metalwire.catalog.models import Tier
from metalwire.db.base import Base, UTCDateTime, trade_enum, utcnow


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # approved by an editor, visible from publish_at
    PUBLISHED = "published"


class ArticleKind(enum.StrEnum):
    PRODUCTION = "production"  # monthly production report from a survey release
    DAILY = "daily"  # a catalog group's daily price report
    NOTE = "note"  # written by hand


class Article(Base):
    """One article, in every language it is written in."""

    __tablename__ = "article"
    __table_args__ = (Index("ix_article_visible", "status", "publish_at"),)
    # What a reader may ever see, from publish_at on (accounts/gate.py: released).
    READABLE_STATUSES: ClassVar[frozenset[ArticleStatus]] = frozenset(
        {ArticleStatus.SCHEDULED, ArticleStatus.PUBLISHED}
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[ArticleKind] = mapped_column(trade_enum(ArticleKind))
    tier: Mapped[Tier] = mapped_column(trade_enum(Tier))
    status: Mapped[ArticleStatus] = mapped_column(trade_enum(ArticleStatus))
    # The catalog group the article belongs to (feeds, plan groups); None: none in particular.
    group_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    byline: Mapped[str] = mapped_column(String(200))
    # What it was written from: "AG-INGOT-CN-OUTPUT/2025-10/v1", "precious-metals/2026-11-24".
    source: Mapped[str] = mapped_column(String(300))
    # The latest release time of the data it quotes: it can never be published before that.
    data_released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    publish_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The gate's one name for a row's release instant, on every versioned table.
    release_at: Mapped[dt.datetime | None] = synonym("publish_at")
    published_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    translations: Mapped[list[ArticleTranslation]] = relationship(
        back_populates="article", order_by="ArticleTranslation.lang"
    )
    tags: Mapped[list[ArticleTag]] = relationship(
        order_by="ArticleTag.tag", cascade="all, delete-orphan"
    )


class ArticleTranslation(Base):
    """The current text of one language version; ``facts`` is its provenance (generated_from)."""

    __tablename__ = "article_translation"
    __table_args__ = (UniqueConstraint("article_id", "lang"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"))
    lang: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text)
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)  # rendered and sanitized
    facts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="translations")


class ArticleRevision(Base):
    """Every text a language version has had, oldest first. Never updated or deleted."""

    __tablename__ = "article_revision"
    __table_args__ = (UniqueConstraint("article_id", "lang", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    revision: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text)
    body_markdown: Mapped[str] = mapped_column(Text)
    facts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    tier: Mapped[Tier] = mapped_column(trade_enum(Tier))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleTag(Base):
    """A tag: a catalog group or entry code, a series or survey code, or a topic word."""

    __tablename__ = "article_tag"
    __table_args__ = (UniqueConstraint("article_id", "tag"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"))
    tag: Mapped[str] = mapped_column(String(100), index=True)


class ArticleText(Base):
    """The searched text of one language version, kept by the service in step with the article.

    Plain text: the body without Markdown or HTML. Search indexes follow this table (FTS5
    trigram on SQLite through triggers, pg_trgm GIN on PostgreSQL).
    """

    __tablename__ = "article_text"
    __table_args__ = (UniqueConstraint("article_id", "lang"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"))
    lang: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
