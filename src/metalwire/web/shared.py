"""Answers shared by every reader of a plan within a minute, validated by the database.

At a release instant every reader asks for the same few pages, the latest prices and the feeds.
What they get depends only on the plan's entitlements, the language, the minute and what was
released; the key of a shared answer holds all of those, with a stamp read from the database, so
any worker may keep one and none needs another's to be right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import Principal
from metalwire.audit import AuditEvent
from metalwire.catalog import service as catalog
from metalwire.catalog.models import PriceSeries
from metalwire.catalog.service import NavGroup
from metalwire.db.constants import written_constant
from metalwire.newsroom.models import Article, ArticleRevision
from metalwire.supply.models import SurveyRelease
from metalwire.web.body_cache import BodyCache, CachedBody
from metalwire.web.i18n import page_lang
from metalwire.web.minute_turn import minute_of

# Audited changes of what shared answers are made from (an article published or scheduled, a
# series' tier, name or release time, the catalog, indices, instruments, plans, surveys, market
# data): the newest such event's id moves with each. Sign-ins, keys and alerts are audited too
# but change no shared answer.
DEFINITIONS = (
    "article",
    "price_series",
    "catalog_group",
    "catalog_entry",
    "commodity",
    "index",
    "instrument",
    "plan",
    "survey",
    "market_price",
)


def content_stamp() -> Select[Any]:
    """What shared answers show beyond the clock: approvals, series, articles, survey releases
    and audited definitions. Every shared answer pays for it per request, so each part is a
    count, a sum over the series or a newest value that the databases answer from an index."""
    return select(
        select(func.coalesce(func.sum(PriceSeries.publication_seq), 0)).scalar_subquery(),
        select(func.count()).select_from(PriceSeries).scalar_subquery(),
        select(func.max(Article.updated_at)).scalar_subquery(),
        select(func.count()).select_from(Article).scalar_subquery(),
        select(func.count()).select_from(ArticleRevision).scalar_subquery(),
        select(func.count()).select_from(SurveyRelease).scalar_subquery(),
        # Publishing or scheduling an article is audited (its instant need not move updated_at).
        # The kinds written into the SQL, not bound (db/constants.py).
        *(
            select(func.max(AuditEvent.id))
            .where(AuditEvent.object_type == written_constant(kind))
            .scalar_subquery()
            for kind in DEFINITIONS
        ),
    )


CONTENT_STAMP = content_stamp()  # built once: building it is most of its cost on a cached answer
SHAREABLE = "shareable"  # the request state's mark: this answer names no one
PLACEHOLDERS = "reader_placeholders"  # the request state's Placeholders, when a layer asks


@dataclass(frozen=True)
class Placeholders:
    """What a signed-in page shows of its reader, as the shared signed-in pages layer
    (web/signed_in_pages.py) asks for it: markers in place of the e-mail and the session's form
    token, which it fills in per request, and the colour convention it keyed the page by."""

    email: str
    csrf_token: str
    colour_convention: str | None


def placeholders(request: Request) -> Placeholders | None:
    found = getattr(request.state, PLACEHOLDERS, None)
    return found if isinstance(found, Placeholders) else None


def mark_shareable(request: Request) -> None:
    """Say that the answer being made is the same for every anonymous visitor asking the same
    (path, query, cookies, languages) in the same minute and database state, so the shared
    pages layer (web/shared_pages.py) may keep it whole and send it again."""
    setattr(request.state, SHAREABLE, True)


def shared_answer(
    request: Request,
    session: Session,
    principal: Principal,
    what: tuple[Hashable, ...],
    make: Callable[[], tuple[bytes, str, tuple[str, ...]]],
) -> CachedBody:
    """An answer as every reader of a plan sees it within a minute, made once.

    A page's content (not the page around it, which names the reader), the latest prices or a
    feed are the same for all readers of a plan and language within a minute, as long as nothing
    was approved, published or defined meanwhile: the key holds the plan's entitlements, the
    minute and a stamp of all that. The minute only ever makes an answer late, never early: a
    body made before a release time is not served after the minute it was made in. ``make``
    returns the body, its media type and the marks a page needs besides (e.g. "pending" for the
    release banner). ``what`` names the answer and everything it depends on (path parameters,
    filters, host)."""
    now: dt.datetime = request.app.state.clock()
    lang = page_lang(request)
    stamp = tuple(session.execute(CONTENT_STAMP).one())
    request.state.content_stamp = stamp  # the page around the content may key on it too
    key = shared_key(what, lang, principal, now, stamp)
    cache: BodyCache = request.app.state.body_cache
    return cache.obtain(key, make, now=now)


def navigation(request: Request, session: Session) -> list[NavGroup]:
    """The commodity navigation every page carries, kept per content stamp when the request has
    read one for its content (the stamp moves with every audited change of the catalog)."""
    stamp = getattr(request.state, "content_stamp", None)
    if stamp is None:
        return catalog.navigation(session)
    kept: tuple[tuple[Hashable, ...], list[NavGroup]] | None = getattr(
        request.app.state, "navigation", None
    )
    if kept is not None and kept[0] == stamp:
        return kept[1]
    groups = catalog.navigation(session)
    request.app.state.navigation = (stamp, groups)  # one tuple: threads swap it whole
    return groups


def shared_key(
    what: tuple[Hashable, ...],
    lang: str,
    principal: Principal,
    now: dt.datetime,
    stamp: tuple[Hashable, ...],
) -> tuple[Hashable, ...]:
    """The body cache's key of a shared answer (also built by web/fast_history.py); it ends in
    its minute (web/minute_turn.py)."""
    return (*what, lang, principal.entitlements, stamp, minute_of(now))


def shared_content(
    request: Request,
    session: Session,
    principal: Principal,
    what: tuple[Hashable, ...],
    render: Callable[[], tuple[str, tuple[str, ...]]],
) -> CachedBody:
    """A page's content (HTML and marks), shared as ``shared_answer`` says."""

    def make() -> tuple[bytes, str, tuple[str, ...]]:
        html, marks = render()
        return html.encode(), "text/html", marks

    return shared_answer(request, session, principal, what, make)
