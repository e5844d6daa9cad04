"""Article pages, site search and the RSS/Atom feeds, all through the access gate.

``/articles/{slug}`` shows a published article: title, time, source, summary and the body with
its sources, or — for a premium article above the reader's plan — a paywall inviting them to
subscribe. ``/search?q=`` searches both languages. ``/feeds/{code}/rss|atom?lang=`` lists a
catalog group's (or ``all``) published articles; premium items carry their summary only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import is_readable
from metalwire.catalog.models import CatalogGroup
from metalwire.i18n import translations
from metalwire.newsroom import search, service
from metalwire.newsroom.feeds import MEDIA_TYPES, FeedInfo, FeedItem, FeedKind, build_feed
from metalwire.newsroom.models import Article
from metalwire.web.access import access
from metalwire.web.api.prices import now_of
from metalwire.web.auth import CurrentPrincipal
from metalwire.web.deps import DbSession, Lang, resolve_lang
from metalwire.web.http_cache import cached
from metalwire.web.i18n import page_lang
from metalwire.web.pages.plans import opening_plan
from metalwire.web.pages.site import error_page, page
from metalwire.web.pagination import decode_cursor, encode_cursor
from metalwire.web.problems import ProblemError
from metalwire.web.shared import mark_shareable, shared_answer

router = APIRouter(include_in_schema=False)
FEED_SIZE = 50
SEARCH_PAGE = 20


def _local(moment: str | None, request: Request) -> str:
    """A stored UTC instant in the desk's timezone, as the site shows times."""
    if moment is None:
        return ""
    zone = ZoneInfo(request.app.state.settings.timezone)
    return dt.datetime.fromisoformat(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M")


@router.get("/articles/{slug}", response_class=HTMLResponse)
@access("gated")
def article_page(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    now = now_of(request)
    article = service.get_article(session, slug)
    if article is None or not is_readable(article, now):
        return error_page(request, 404, None)
    lang = page_lang(request)
    view = service.article_view(article, lang, principal, now)
    return page(
        request,
        "article.html",
        view=view,
        corrected=service.corrected_since(session, article, now),
        published=_local(view["publish_at"], request),
        facts=view["generated_from"] or [],
        # The plan that opens a locked body, told to a signed-in reader.
        opening_plan=opening_plan(session, article.tier.value, article.group_code, lang)
        if view["locked"]
        else None,
    )


def _cursor(value: str | None) -> tuple[str, int] | None:
    try:
        after = decode_cursor(value)
    except ProblemError:
        return None
    if isinstance(after, list) and len(after) == 2 and isinstance(after[1], int):
        try:
            dt.datetime.fromisoformat(str(after[0]))
        except ValueError:
            return None
        return str(after[0]), after[1]
    return None


@router.get("/search", response_class=HTMLResponse)
@access("gated")
def search_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(max_length=200)] = "",
    tag: Annotated[str | None, Query(max_length=100)] = None,
    cursor: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    now = now_of(request)
    lang = page_lang(request)
    results: list[dict[str, Any]] = []
    next_url = None
    if q.strip() or tag:
        rows, last = search.search_articles(
            session,
            principal,
            now=now,
            q=q,
            tag=tag,
            limit=SEARCH_PAGE,
            after=_cursor(cursor),
        )
        results = [service.article_view(a, lang, principal, now) for a in rows]
        for item in results:
            item["published"] = _local(item["publish_at"], request)
        if last is not None:
            next_url = str(request.url.include_query_params(cursor=encode_cursor(list(last))))
    return page(
        request, "search.html", q=q, tag=tag, results=results, next_url=next_url, searched=bool(q)
    )


def _group(session: Session, code: str) -> CatalogGroup | None:
    group: CatalogGroup | None = session.scalar(
        select(CatalogGroup).where(CatalogGroup.code == code)
    )
    return group


def _feed(
    kind: FeedKind,
    code: str,
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    lang: Lang | None,
) -> Response:
    group = None
    if code != "all":
        group = _group(session, code)
        if group is None:
            return error_page(request, 404, None)
    shown = lang or resolve_lang(request)
    base = str(request.base_url).rstrip("/")

    def make() -> tuple[bytes, str, tuple[str, ...]]:
        body = _feed_body(kind, group, request, session, principal, shown, base)
        return body, MEDIA_TYPES[kind], ()

    # Feed readers poll: one body per feed, language, plan, host and minute.
    shared = shared_answer(request, session, principal, ("feed", kind, code, shown, base), make)
    if principal.is_anonymous:
        mark_shareable(request)
    return cached(request, principal, shared.body, MEDIA_TYPES[kind])


def _feed_body(
    kind: FeedKind,
    group: CatalogGroup | None,
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    shown: Lang,
    base: str,
) -> bytes:
    gettext = translations(shown).gettext
    now = now_of(request)
    rows: list[Article] = list(
        search.feed_articles(session, now=now, tag=group.code if group else None, limit=FEED_SIZE)
    )
    items = []
    for article in rows:
        view = service.article_view(article, shown, principal, now)
        items.append(
            FeedItem(
                url=f"{base}{view['url']}?lang={view['lang']}",
                title=view["title"],
                summary=view["summary"],
                published=dt.datetime.fromisoformat(view["publish_at"]),
                updated=max(
                    dt.datetime.fromisoformat(view["publish_at"]),
                    dt.datetime.fromisoformat(view["updated_at"]),
                ),
                content_html=view["body_html"],
                categories=view["tags"],
            )
        )
    if group is None:
        name = gettext("All reports")
    else:
        name = group.name_zh if shown == "zh" else group.name_en
    info = FeedInfo(
        title=f"metalwire · {name}",
        description=gettext("Market reports from metalwire: %(name)s") % {"name": name},
        lang="zh-CN" if shown == "zh" else "en",
        site_url=f"{base}/search?tag={group.code}&lang={shown}" if group else f"{base}/",
        self_url=f"{base}{request.url.path}?lang={shown}",
        updated=now,
    )
    return build_feed(kind, info, items)


FeedLang = Annotated[Lang | None, Query(description="Language of the items: en or zh")]


def _feed_route(kind: FeedKind) -> None:
    """/feeds/{code}/<kind>: the two feeds' routes differ in the kind alone."""

    @access("gated")
    def feed(
        code: str,
        request: Request,
        session: DbSession,
        principal: CurrentPrincipal,
        lang: FeedLang = None,
    ) -> Response:
        return _feed(kind, code, request, session, principal, lang)

    router.add_api_route(f"/feeds/{{code}}/{kind}", feed, methods=["GET"], name=f"{kind}_feed")


_feed_route("rss")
_feed_route("atom")
