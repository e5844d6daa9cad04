"""Articles: search and read (tier and publish time through the gate), draft reports, publish.

Readers see published articles only, from their publish time on; a draft or a scheduled article
looks exactly like an absent one. Without the plan, a premium article shows its title and summary
(``locked: true``) and neither its body nor its facts; search matches its body only for callers
who may read it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator

from metalwire.accounts.gate import is_readable
from metalwire.accounts.models import Scope
from metalwire.db.base import utcnow
from metalwire.newsroom import publishing, reports, search, service
from metalwire.supply.schemas import PERIOD_PATTERN
from metalwire.tabular import Window, date_problems
from metalwire.web.access import access
from metalwire.web.api.desk import WRITE_RESPONSES, acting_user
from metalwire.web.api.prices import NOT_FOUND, now_of
from metalwire.web.auth import CurrentPrincipal
from metalwire.web.deps import DbSession, Lang, Slug, resolve_lang
from metalwire.web.http_cache import cached, json_bytes
from metalwire.web.pagination import decode_cursor, encode_cursor
from metalwire.web.problems import (
    InvalidParam,
    Problem,
    ProblemError,
    invalid_parameter,
    not_found,
    service_problem,
)

router = APIRouter(tags=["articles"])


class FactOut(BaseModel):
    key: str = Field(examples=["mom_pct"])
    value: str = Field(description="The figure as the text quotes it", examples=["3.55%"])
    source_kind: str = Field(examples=["survey-statistic"])
    source_ref: str = Field(examples=["AG-INGOT-CN-OUTPUT/2025-10/v1#mom_pct"])
    label: str = Field(examples=["Production, change MoM"])
    href: str | None = Field(
        default=None, description="Where to check it", examples=["/api/v1/surveys/X/stats"]
    )


class CorrectedSince(BaseModel):
    series: str
    date: dt.date
    version: int
    corrected_at: dt.datetime


class ArticleOut(BaseModel):
    slug: str = Field(examples=["ag-ingot-cn-output-2025-10"])
    kind: str = Field(examples=["production"])
    lang: str = Field(examples=["en"])
    languages: list[str]
    title: str
    summary: str
    tier: str = Field(examples=["premium"])
    locked: bool = Field(description="True when the caller's plan does not open the body")
    status: str = Field(examples=["published"], description="draft, scheduled or published")
    publish_at: str | None
    updated_at: str
    revision: int
    byline: str
    source: str
    group: str | None
    tags: list[str]
    url: str
    body_html: str | None = Field(description="Sanitized HTML; null when locked")
    body_markdown: str | None = Field(description="The Markdown source; null when locked")
    corrected_since: list[CorrectedSince] = Field(
        default_factory=list,
        description="Prices this article quotes that a released correction changed since",
    )
    generated_from: list[FactOut] | None = Field(
        description="Provenance: every figure the text quotes and its source; null when locked"
    )


class ArticlePage(BaseModel):
    items: list[ArticleOut]
    next: str | None = Field(description="URL of the next page, or null on the last page")


@router.get(
    "/articles",
    responses={200: {"model": ArticlePage, "description": "A page of articles"}, **NOT_FOUND},
    response_class=Response,
)
@access("gated")
def list_articles(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Substring of title, summary or body", examples=["白银"]),
    ] = None,
    tag: Annotated[
        str | None,
        Query(max_length=100, description="A catalog group or entry, series or survey code"),
    ] = None,
    lang: Annotated[
        Lang | None, Query(description="Search and show this language version only")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(description="Opaque cursor from `next`")] = None,
) -> Response:
    """Published articles, newest first: search by substring in either language (Chinese
    included), by tag, by language. Premium articles show title and summary only, and match
    on their body only, for callers whose plan opens them."""
    after = decode_cursor(cursor)
    if after is not None and not (
        isinstance(after, list)
        and len(after) == 2
        and isinstance(after[0], str)
        and isinstance(after[1], int)
    ):
        raise invalid_parameter("cursor", "not a cursor returned by this API")
    if after is not None:
        try:
            dt.datetime.fromisoformat(after[0])
        except ValueError:
            raise invalid_parameter("cursor", "not a cursor returned by this API") from None
    now = now_of(request)
    rows, last = search.search_articles(
        session,
        principal,
        now=now,
        q=q,
        tag=tag,
        lang=lang,
        limit=limit,
        after=(after[0], after[1]) if after is not None else None,
    )
    shown = lang or resolve_lang(request)
    headers = {}
    next_url = None
    if last is not None:
        next_url = str(request.url.include_query_params(cursor=encode_cursor(list(last))))
        headers["Link"] = f'<{next_url}>; rel="next"'
    body = {
        "items": [service.article_view(a, shown, principal, now) for a in rows],
        "next": next_url,
    }
    return cached(request, principal, json_bytes(body), "application/json", headers)


@router.get(
    "/articles/{slug}",
    responses={200: {"model": ArticleOut, "description": "The article"}, **NOT_FOUND},
    response_class=Response,
)
@access("gated")
def get_article(
    slug: Slug,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    lang: Annotated[Lang | None, Query(description="Language version: en or zh")] = None,
) -> Response:
    """One published article in the language asked for (or the one it has): title, summary,
    body (sanitized HTML and Markdown) and the facts it quotes with their sources — or, for a
    premium article above the caller's plan, title and summary only (``locked``)."""
    article = service.get_article(session, slug)
    now = now_of(request)
    if article is None or not is_readable(article, now):
        raise not_found(f"no article {slug!r}")
    body = service.article_view(article, lang or resolve_lang(request), principal, now)
    body["corrected_since"] = service.corrected_since(session, article, now)
    return cached(request, principal, json_bytes(body), "application/json")


class ReportRequest(BaseModel):
    survey: str | None = Field(
        default=None, max_length=64, description="production: the survey code"
    )
    period: str | None = Field(
        default=None, pattern=PERIOD_PATTERN, description="production: YYYY-MM"
    )
    group: str | None = Field(
        default=None, max_length=64, description="daily: the catalog group code"
    )
    date: Annotated[dt.date, Window()] | None = Field(
        default=None, description="daily: the market date"
    )


REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **WRITE_RESPONSES,
    404: {"model": Problem, "description": "No such survey, group, article or released data"},
    409: {"model": Problem, "description": "The article is published: an editor must revise it"},
}


def _refused(exc: service.NewsroomError) -> ProblemError:
    """The refusal as problem+json, from the parts the error carries (never its text)."""
    first = exc.problems[0]
    if isinstance(exc, service.NotFound):
        return not_found(first.message)
    if isinstance(exc, service.Conflict):
        return ProblemError(409, first.message, kind="conflict")
    return service_problem(exc)


def _staff_view(article: Any, request: Request, principal: CurrentPrincipal) -> ArticleOut:
    lang = resolve_lang(request)
    return ArticleOut.model_validate(
        service.article_view(article, lang, principal, now_of(request))
    )


@router.post(
    "/reports/{kind}",
    status_code=201,
    response_model=ArticleOut,
    responses=REPORT_RESPONSES,
)
@access("write")
def post_report(
    kind: Literal["production", "daily"],
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    body: ReportRequest,
) -> ArticleOut:
    """Draft (or refresh) a report from released data, in English and Chinese: `production`
    takes `{survey, period}`, `daily` takes `{group, date}`. Analysts draft; editors publish."""
    user = acting_user(session, principal, Scope.SUBMIT, "draft reports")
    now = now_of(request)
    needed = ("survey", "period") if kind == "production" else ("group", "date")
    missing = [name for name in needed if getattr(body, name) is None]
    if missing:
        raise ProblemError(
            422,
            f"a {kind} report needs {' and '.join(needed)}",
            kind="invalid-parameter",
            invalid_params=[
                InvalidParam(name=name, location="body", reason=f"needed for a {kind} report")
                for name in missing
            ],
        )
    try:
        if kind == "production":
            assert body.survey is not None and body.period is not None
            article = reports.draft_production_report(
                session, body.survey, body.period, actor=user.email, user=user, now=now
            )
        else:
            assert body.group is not None and body.date is not None
            article = reports.draft_daily_report(
                session, body.group, body.date, actor=user.email, user=user, now=now
            )
    except service.NewsroomError as exc:
        raise _refused(exc) from None
    return _staff_view(article, request, principal)


class PublishRequest(BaseModel):
    publish_at: dt.datetime | None = Field(
        default=None,
        description=(
            "When readers may see it (ISO 8601 with offset, on a date from 1990-01-01 to a "
            "year after today); default now"
        ),
        examples=["2026-11-26T03:30:00Z"],
    )

    @field_validator("publish_at")
    @classmethod
    def _in_window(cls, value: dt.datetime | None) -> dt.datetime | None:
        # On the written date, before any conversion: 9999-12-31T23:59:59-05:00 has no UTC.
        if value is not None:
            for _, message in date_problems("publish_at", value.date(), utcnow().date()):
                raise ValueError(message)
        return value


@router.post(
    "/articles/{slug}/publish",
    response_model=ArticleOut,
    responses=REPORT_RESPONSES,
)
@access("write")
def post_publish(
    slug: Slug,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    body: Annotated[PublishRequest | None, Body()] = None,
) -> ArticleOut:
    """Publish an article now, or schedule it (`publish_at`): editors only."""
    user = acting_user(session, principal, Scope.PUBLISH, "publish articles")
    try:
        article = service.require_article(session, slug)
        publishing.publish(
            session,
            article,
            user=user,
            publish_at=body.publish_at if body else None,
            now=now_of(request),
        )
    except service.NewsroomError as exc:
        raise _refused(exc) from None
    return _staff_view(article, request, principal)
