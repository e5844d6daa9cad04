"""The desk's newsroom pages: draft reports, edit and publish them.

A browser face on the articles API (web/api/articles.py): the same service calls and the same
role checks (``acting_user``: analysts draft, editors publish). The pages only turn form text
into arguments and the service's refusals into errors next to the form. Each write runs in one
transaction, so a refused form writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from metalwire.accounts.gate import Principal, may_act
from metalwire.accounts.models import Scope
from metalwire.catalog import service as catalog
from metalwire.newsroom import generators as gen
from metalwire.newsroom import phrasing as ph
from metalwire.newsroom import service as newsroom
from metalwire.newsroom.editing import ArticleInput, store_article
from metalwire.newsroom.models import Article
from metalwire.newsroom.publishing import publish
from metalwire.newsroom.reports import draft_daily_report, draft_production_report
from metalwire.supply import service as supply
from metalwire.tabular import parse_date
from metalwire.web.access import access
from metalwire.web.api.desk import acting_user
from metalwire.web.auth import CsrfField, CurrentPrincipal, check_csrf
from metalwire.web.deps import FormText, request_session, unit_of_work
from metalwire.web.i18n import page_lang
from metalwire.web.i18n import translate as _t
from metalwire.web.pages.desk.forms import (
    DESK_TIMEZONE,
    FormFailure,
    desk_now,
    desk_time,
    desk_today,
    done_redirect,
    refuse_non_staff,
    sign_in,
)
from metalwire.web.pages.site import error_page, page
from metalwire.web.problems import ProblemError

router = APIRouter(include_in_schema=False)

# The desk's "newest" list: enough for a month of daily and production reports.
RECENT_ARTICLES = 60
TITLE_MAX = 500  # article_translation.title
# Outcomes named in the redirect after a write (never free text: nothing is reflected).
REPORT_DONE = ("drafted", "saved", "unchanged", "published", "scheduled")


@dataclass(frozen=True)
class ReportRow:
    slug: str
    kind: str
    tier: str
    status: str  # draft, scheduled, published (as readers see it now)
    languages: list[str]
    title: str
    publish_at: str | None
    updated_at: str | None


def report_rows(session: Session, lang: str, now: dt.datetime) -> list[ReportRow]:
    """The newest articles of every status, as the desk sees them."""
    rows = []
    for article in newsroom.list_articles(session, limit=RECENT_ARTICLES):
        if not article.translations:
            continue
        text = newsroom.translation(article, lang)
        rows.append(
            ReportRow(
                slug=article.slug,
                kind=article.kind.value,
                tier=article.tier.value,
                status=newsroom.effective_status(article, now).value,
                languages=sorted(t.lang for t in article.translations),
                title=text.title,
                publish_at=desk_time(article.publish_at),
                updated_at=desk_time(article.updated_at),
            )
        )
    return rows


def _reports_page(
    request: Request, *, status_code: int = 200, failure: FormFailure | None = None
) -> HTMLResponse:
    lang = page_lang(request)
    with request_session(request) as session:
        groups, _ = catalog.catalog_tree(session)
        return page(
            request,
            "desk_reports.html",
            status_code=status_code,
            rows=report_rows(session, lang, desk_now(request)),
            surveys=supply.list_surveys(session),
            groups=groups,
            today=desk_today(request),
            failure=failure,
            desk_section="reports",
        )


@router.get("/desk/reports", response_class=HTMLResponse)
@access("staff")
def reports(request: Request, principal: CurrentPrincipal) -> Response:
    refused = refuse_non_staff(request, principal)
    if refused is not None:
        return refused
    return _reports_page(request)


def _report_arguments(failure: FormFailure, kind: str) -> dict[str, Any] | None:
    """The generator's arguments from the form, or None with an error per bad field."""
    values = failure.values
    if kind == "production":
        for name in ("survey", "period"):
            if not values[name].strip():
                failure.add(name, failure.missing)
        if failure.errors:
            return None
        return {"survey_code": values["survey"].strip(), "period": values["period"].strip()}
    if not values["group"].strip():
        failure.add("group", failure.missing)
    day = None
    if not values["date"].strip():
        failure.add("date", failure.missing)
    else:
        try:
            day = parse_date(values["date"].strip())
        except ValueError as exc:
            failure.add("date", str(exc))
    if failure.errors or day is None:
        return None
    return {"group_code": values["group"].strip(), "day": day}


@router.post("/desk/reports")
@access("write")
def generate_report(
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    kind: FormText = "production",
    survey: FormText = "",
    period: FormText = "",
    group: FormText = "",
    date: FormText = "",
) -> Response:
    """Draft (or refresh) a production or daily report, then open it for editing."""
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return sign_in("/desk/reports")
    form = "daily" if kind == "daily" else "production"
    fields = (
        {"survey": survey, "period": period}
        if form == "production"
        else {"group": group, "date": date}
    )
    failure = FormFailure(form, fields, _t(request, "missing"))
    arguments = _report_arguments(failure, form)
    slug = ""
    if arguments is not None:
        try:
            with unit_of_work(request) as session:
                user = acting_user(session, principal, Scope.SUBMIT, "draft reports")
                draft = draft_production_report if form == "production" else draft_daily_report
                article = draft(
                    session, **arguments, actor=user.email, user=user, now=desk_now(request)
                )
                slug = article.slug
        except newsroom.NewsroomError as exc:
            failure.refused(exc)
    if failure.errors:
        return _reports_page(request, status_code=422, failure=failure)
    return _to_report(slug, "drafted")


# --- one report: edit, revisions, provenance, publish ------------------------------------------


def _to_report(slug: str, done: str) -> RedirectResponse:
    return done_redirect(f"/desk/reports/{quote(slug)}", {"done": done})


def _texts(article: Article, now: dt.datetime) -> dict[str, dict[str, Any] | None]:
    """Each language version as the desk sees it (body and facts whatever the tier), or None
    for a language the article is not written in yet."""
    have = {t.lang for t in article.translations}
    return {
        lang: newsroom.article_view(article, lang, None, now) if lang in have else None
        for lang in newsroom.LANGS
    }


def _report_page(
    request: Request,
    principal: Principal,
    slug: str,
    *,
    status_code: int = 200,
    failure: FormFailure | None = None,
    done: str | None = None,
) -> HTMLResponse:
    now = desk_now(request)
    with request_session(request) as session:
        article = newsroom.get_article(session, slug)
        if article is None:
            return error_page(request, 404, _t(request, "No such article."))
        return page(
            request,
            "desk_report_edit.html",
            status_code=status_code,
            article=article,
            status=newsroom.effective_status(article, now).value,
            texts=_texts(article, now),
            revisions=[(r, desk_time(r.created_at)) for r in newsroom.revisions(session, article)],
            publish_at=desk_time(article.publish_at),
            data_released_at=desk_time(article.data_released_at),
            created_at=desk_time(article.created_at),
            failure=failure,
            done=done if done in REPORT_DONE else None,
            # The publish form says beforehand who may use it; the service decides.
            may_publish=bool(may_act(principal, Scope.PUBLISH)),
            desk_section="reports",
        )


@router.get("/desk/reports/{slug}", response_class=HTMLResponse)
@access("staff")
def report(
    slug: str,
    request: Request,
    principal: CurrentPrincipal,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    refused = refuse_non_staff(request, principal)
    if refused is not None:
        return refused
    return _report_page(request, principal, slug, done=done)


@dataclass(frozen=True)
class EditedText:
    title: str
    summary: str
    body: str


def _as_typed(text: str) -> str:
    """Browsers send a textarea's lines with CRLF: without undoing that, saving an untouched
    language version would add a revision. The text is otherwise kept exactly as typed."""
    return text.replace("\r\n", "\n")


def _edited_texts(failure: FormFailure, existing: Sequence[str]) -> dict[str, EditedText] | None:
    """The form's language versions: every existing one needs a title and a body; a new one is
    added only when something was typed for it."""
    texts: dict[str, EditedText] = {}
    for lang in newsroom.LANGS:
        values = failure.values
        text = EditedText(
            title=values[f"title_{lang}"].strip(),
            summary=_as_typed(values[f"summary_{lang}"]),
            body=_as_typed(values[f"body_{lang}"]),
        )
        if lang not in existing and not (text.title or text.summary.strip() or text.body.strip()):
            continue
        if not text.title:
            failure.add(f"title_{lang}", failure.missing)
        elif len(text.title) > TITLE_MAX:
            failure.add(f"title_{lang}", f"at most {TITLE_MAX} characters, got {len(text.title)}")
        if not text.body.strip():
            failure.add(f"body_{lang}", failure.missing)
        texts[lang] = text
    return None if failure.errors else texts


def _facts_of(stored: Sequence[Mapping[str, Any]]) -> tuple[list[gen.Fact], dict[str, str]]:
    """The stored facts back as the generator's, with their links: an edit keeps provenance."""
    facts, links = [], {}
    for item in stored:
        facts.append(
            gen.Fact(
                key=item["key"],
                value=item["value"],
                source_kind=item["source_kind"],
                source_ref=item["source_ref"],
                label=item["label"],
            )
        )
        if item.get("href"):
            links[item["source_ref"]] = item["href"]
    return facts, links


def edited_input(article: Article, texts: Mapping[str, EditedText]) -> ArticleInput:
    """The article as stored with new words: its kind, tier, tags, source and facts unchanged,
    so ``store_article`` adds a revision for each language version whose text changed."""
    stored = {t.lang: t for t in article.translations}
    drafts: dict[str, gen.Draft] = {}
    links: dict[str, str] = {}
    for lang, text in texts.items():
        facts, found = _facts_of(stored[lang].facts if lang in stored else [])
        links.update(found)
        drafts[lang] = gen.Draft(
            lang=ph.check_lang(lang),
            title=text.title,
            summary=text.summary,
            body_markdown=text.body,
            facts=facts,
            tags=[],
        )
    return ArticleInput(
        slug=article.slug,
        kind=article.kind,
        tier=article.tier,
        drafts=drafts,
        group_code=article.group_code,
        tags=[t.tag for t in article.tags],
        source=article.source,
        byline=article.byline,
        data_released_at=article.data_released_at,
        links=links,
    )


def _edit_values(form: Mapping[str, str]) -> dict[str, str]:
    return {
        f"{name}_{lang}": form.get(f"{name}_{lang}", "")
        for lang in newsroom.LANGS
        for name in ("title", "summary", "body")
    }


@router.post("/desk/reports/{slug}")
@access("write")
def save_report(
    slug: str,
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    title_en: FormText = "",
    summary_en: FormText = "",
    body_en: FormText = "",
    title_zh: FormText = "",
    summary_zh: FormText = "",
    body_zh: FormText = "",
) -> Response:
    """Store the edited text: a new revision of each language version that changed."""
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return sign_in(f"/desk/reports/{quote(slug)}")
    typed = {
        "title_en": title_en,
        "summary_en": summary_en,
        "body_en": body_en,
        "title_zh": title_zh,
        "summary_zh": summary_zh,
        "body_zh": body_zh,
    }
    failure = FormFailure("edit", _edit_values(typed), _t(request, "missing"))
    changed = False
    try:
        with unit_of_work(request) as session:
            user = acting_user(session, principal, Scope.SUBMIT, "edit articles")
            article = newsroom.require_article(session, slug)
            texts = _edited_texts(failure, [t.lang for t in article.translations])
            if texts is not None:
                _, changed = store_article(
                    session,
                    edited_input(article, texts),
                    actor=user.email,
                    user=user,
                    now=desk_now(request),
                )
    except newsroom.NotFound:
        return error_page(request, 404, _t(request, "No such article."))
    except newsroom.Conflict as exc:
        # Readers may have seen it: only an editor changes a scheduled or published article.
        failure.status = 409
        failure.add("", f"{_t(request, 'Only an editor may change a published article.')} ({exc})")
    except newsroom.NewsroomError as exc:
        failure.refused(exc)
    if failure.errors:
        return _report_page(request, principal, slug, status_code=failure.status, failure=failure)
    return _to_report(slug, "saved" if changed else "unchanged")


def _publish_time(failure: FormFailure) -> dt.datetime | None:
    """Empty: now. A time without an offset is the desk's own (Shanghai) time."""
    text = failure.values["publish_at"].strip()
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        failure.add("publish_at", f"not a date-time (ISO 8601): {text!r}")
        return None
    return when if when.tzinfo else when.replace(tzinfo=DESK_TIMEZONE)


@router.post("/desk/reports/{slug}/publish")
@access("write")
def publish_report(
    slug: str,
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    publish_at: FormText = "",
) -> Response:
    """An editor publishes the report now, or schedules it."""
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return sign_in(f"/desk/reports/{quote(slug)}")
    failure = FormFailure("publish", {"publish_at": publish_at}, _t(request, "missing"))
    when = _publish_time(failure)
    done = ""
    if not failure.errors:
        try:
            with unit_of_work(request) as session:
                user = acting_user(session, principal, Scope.PUBLISH, "publish articles")
                article = newsroom.require_article(session, slug)
                publish(session, article, user=user, publish_at=when, now=desk_now(request))
                done = article.status.value
        except ProblemError as exc:
            message = f"{_t(request, 'Only an editor may publish a report.')} ({exc})"
            failure.editors_only(exc, principal, message)
        except newsroom.NotFound:
            return error_page(request, 404, _t(request, "No such article."))
        except newsroom.NewsroomError as exc:
            failure.refused(exc)
    if failure.errors:
        return _report_page(request, principal, slug, status_code=failure.status, failure=failure)
    return _to_report(slug, done)
