"""Finding published articles: substring search in both languages, tags, feeds' lists.

Only published articles whose publish time has come are ever returned (the gate's
``released``). The text searched is ``article_text`` (title, summary, plain body per language
version):

* SQLite: patterns of three characters or more go through the FTS5 trigram index
  (``article_fts``), which answers ``LIKE '%...%'`` from the index. Shorter patterns (a
  two-character Chinese word such as 白银) and patterns holding a wildcard character read
  ``article_text`` itself with an escaped LIKE: SQLite 3.40's trigram index returns nothing
  for a LIKE pattern shorter than three characters when they are not ASCII.
* PostgreSQL: ``ILIKE`` on the same columns, accelerated by pg_trgm GIN indexes.

A premium article's body is searched only for callers whose plan opens it (asked of the gate per
tier and group): for everyone else it matches on title and summary alone, so a search can never
reveal what its body says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, column, false, or_, select, table, true
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from metalwire.accounts.gate import Principal, may_read_tier, released
from metalwire.catalog.models import Tier
from metalwire.newsroom.models import Article, ArticleTag, ArticleText

# SQLite's FTS5 trigram index over article_text (created by the migration).
_FTS = table("article_fts", column("rowid"), column("title"), column("summary"), column("body"))
_WILDCARDS = ("%", "_", "\\")
TRIGRAM = 3

Cursor = tuple[str, int]  # (publish_at ISO, article id) of the last item of a page


def readable_clause(session: Session, principal: Principal | None) -> ColumnElement[bool]:
    """Articles whose body the principal may read: the gate asked for every (tier, group).
    Without a principal, none."""
    if principal is None:
        return false()
    groups: list[str | None] = [
        *session.scalars(
            select(Article.group_code).where(Article.group_code.is_not(None)).distinct()
        ),
        None,
    ]
    allowed, denied = [], 0
    for tier in Tier:
        for group in groups:
            if may_read_tier(principal, tier.value, group):
                allowed.append(
                    and_(
                        Article.tier == tier,
                        Article.group_code == group
                        if group is not None
                        else Article.group_code.is_(None),
                    )
                )
            else:
                denied += 1
    if not denied:
        return true()
    return or_(*allowed) if allowed else false()


def _escaped(q: str) -> str:
    for char in _WILDCARDS:
        q = q.replace(char, "\\" + char)
    return f"%{q}%"


def match_clauses(session: Session, q: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(title or summary matches, body matches) for ``ArticleText`` rows, per dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and len(q) >= TRIGRAM and not any(c in q for c in _WILDCARDS):
        pattern = f"%{q}%"

        def indexed(name: str) -> ColumnElement[bool]:
            return ArticleText.id.in_(select(_FTS.c.rowid).where(_FTS.c[name].like(pattern)))

        return or_(indexed("title"), indexed("summary")), indexed("body")
    escaped = _escaped(q)

    def scanned(text: InstrumentedAttribute[str]) -> ColumnElement[bool]:
        # SQLite's LIKE already ignores ASCII case; PostgreSQL's needs ILIKE for the same match.
        match = text.like if dialect == "sqlite" else text.ilike
        return match(escaped, escape="\\")

    return or_(scanned(ArticleText.title), scanned(ArticleText.summary)), scanned(ArticleText.body)


def search_articles(
    session: Session,
    principal: Principal | None,
    *,
    now: dt.datetime,
    q: str | None = None,
    tag: str | None = None,
    lang: str | None = None,
    limit: int = 20,
    after: Cursor | None = None,
) -> tuple[list[Article], Cursor | None]:
    """A page of visible articles, newest first, matching ``q`` (a substring, any case, in
    the language version ``lang`` or in either) and ``tag``; and the cursor of the next page."""
    query = (
        select(Article)
        .where(released(Article, now))
        .options(selectinload(Article.translations), selectinload(Article.tags))
    )
    if tag:
        query = query.where(
            Article.id.in_(select(ArticleTag.article_id).where(ArticleTag.tag == tag))
        )
    if lang:
        query = query.where(
            Article.id.in_(select(ArticleText.article_id).where(ArticleText.lang == lang))
        )
    q = (q or "").strip()
    if q:
        head, body = match_clauses(session, q)
        matches = select(ArticleText.id).where(
            ArticleText.article_id == Article.id,
            or_(head, and_(body, readable_clause(session, principal))),
        )
        if lang:
            matches = matches.where(ArticleText.lang == lang)
        query = query.where(matches.exists())
    if after is not None:
        at, last_id = dt.datetime.fromisoformat(after[0]), after[1]
        query = query.where(
            or_(Article.publish_at < at, and_(Article.publish_at == at, Article.id < last_id))
        )
    query = query.order_by(Article.publish_at.desc(), Article.id.desc()).limit(limit + 1)
    rows = list(session.scalars(query))
    if len(rows) > limit:
        last = rows[limit - 1]
        assert last.publish_at is not None
        return rows[:limit], (last.publish_at.isoformat(), last.id)
    return rows, None


def feed_articles(
    session: Session, *, now: dt.datetime, tag: str | None, limit: int = 50
) -> Sequence[Article]:
    """The newest visible articles (of a catalog group, by its tag), for a feed."""
    rows, _ = search_articles(session, None, now=now, tag=tag, limit=limit)
    return rows
