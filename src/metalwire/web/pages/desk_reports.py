"""The desk's newsroom and survey pages: draft reports, edit and publish them, take survey returns
and release a period.

A browser face on the articles and surveys APIs (web/api/articles.py, web/api/surveys.py): the
same service calls and the same role checks (``acting_user``: analysts draft and enter returns,
editors publish and release). The pages only turn form text into arguments and the services'
refusals ("FIELD: message", "row N: FIELD: message") into errors next to the form. Each write runs
in one transaction, so a refused form or file writes nothing.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from metalwire.accounts.gate import Principal, is_released, may_act
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
from metalwire.supply.models import ReleaseStatus, Survey, SurveyRelease
from metalwire.supply.schemas import PERIOD_PATTERN, RETURN_COLUMNS
from metalwire.tabular import ImportRejected, Problems, TableError, parse_date, read_table
from metalwire.web.access import access
from metalwire.web.api.desk import acting_user
from metalwire.web.auth import CurrentPrincipal, check_csrf
from metalwire.web.deps import request_session, resolve_lang, unit_of_work
from metalwire.web.pages.desk import (
    DESK_TIMEZONE,
    MAX_UPLOAD_BYTES,
    CsrfField,
    FormFailure,
    FormText,
    _refuse_non_staff,
    _safe_name,
    _sign_in,
    _t,
    desk_today,
)
from metalwire.web.pages.site import error_page, page
from metalwire.web.problems import ProblemError

router = APIRouter(include_in_schema=False)

# The desk's "newest" list: enough for a month of daily and production reports.
RECENT_ARTICLES = 60
TITLE_MAX = 500  # article_translation.title
# Every release version of a period, scheduled ones included: the desk sees its own work.
_END_OF_TIME = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
# Outcomes named in the redirect after a write (never free text: nothing is reflected).
REPORT_DONE = ("drafted", "saved", "unchanged", "published", "scheduled")


def _now(request: Request) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    return now


def desk_time(moment: dt.datetime | None) -> str | None:
    """A moment in the desk's own time, with its offset: the form the publish field accepts."""
    if moment is None:
        return None
    return moment.astimezone(DESK_TIMEZONE).isoformat(timespec="minutes")


def _field_of(exc: ValueError) -> tuple[str, str]:
    """The services name the field first ("period: no released statistics ...")."""
    name, sep, reason = str(exc).partition(": ")
    return (name, reason) if sep else ("", str(exc))


def _refusal(failure: FormFailure, exc: ValueError) -> None:
    name, reason = _field_of(exc)
    if name in failure.values:
        failure.add(name, reason)
    else:
        failure.add("", str(exc))


# --- the reports list and the report generators ------------------------------------------------


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
    lang = resolve_lang(request, request.query_params.get("lang"))
    with request_session(request) as session:
        groups, _ = catalog.catalog_tree(session)
        return page(
            request,
            "desk_reports.html",
            status_code=status_code,
            rows=report_rows(session, lang, _now(request)),
            surveys=supply.list_surveys(session),
            groups=groups,
            today=desk_today(request),
            failure=failure,
            desk_section="reports",
        )


@router.get("/desk/reports", response_class=HTMLResponse)
@access("staff")
def reports(request: Request, principal: CurrentPrincipal) -> Response:
    refused = _refuse_non_staff(request, principal)
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
        return _sign_in("/desk/reports")
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
                    session, **arguments, actor=user.email, user=user, now=_now(request)
                )
                slug = article.slug
        except newsroom.NewsroomError as exc:
            _refusal(failure, exc)
    if failure.errors:
        return _reports_page(request, status_code=422, failure=failure)
    return _to_report(slug, "drafted")


# --- one report: edit, revisions, provenance, publish ------------------------------------------


def _to_report(slug: str, done: str) -> RedirectResponse:
    return RedirectResponse(
        f"/desk/reports/{quote(slug)}?" + urlencode({"done": done}), status_code=303
    )


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
    now = _now(request)
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
    refused = _refuse_non_staff(request, principal)
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
        return _sign_in(f"/desk/reports/{quote(slug)}")
    typed = {
        "title_en": title_en,
        "summary_en": summary_en,
        "body_en": body_en,
        "title_zh": title_zh,
        "summary_zh": summary_zh,
        "body_zh": body_zh,
    }
    failure = FormFailure("edit", _edit_values(typed), _t(request, "missing"))
    status_code, changed = 422, False
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
                    now=_now(request),
                )
    except newsroom.NotFound:
        return error_page(request, 404, _t(request, "No such article."))
    except newsroom.Conflict as exc:
        # Readers may have seen it: only an editor changes a scheduled or published article.
        status_code = 409
        failure.add("", f"{_t(request, 'Only an editor may change a published article.')} ({exc})")
    except newsroom.NewsroomError as exc:
        _refusal(failure, exc)
    if failure.errors:
        return _report_page(request, principal, slug, status_code=status_code, failure=failure)
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
        return _sign_in(f"/desk/reports/{quote(slug)}")
    failure = FormFailure("publish", {"publish_at": publish_at}, _t(request, "missing"))
    when = _publish_time(failure)
    status_code, done = 422, ""
    if not failure.errors:
        try:
            with unit_of_work(request) as session:
                user = acting_user(session, principal, Scope.PUBLISH, "publish articles")
                article = newsroom.require_article(session, slug)
                publish(session, article, user=user, publish_at=when, now=_now(request))
                done = article.status.value
        except ProblemError as exc:
            if exc.status != 403 or not principal.is_staff:
                raise
            # An analyst on the desk: say who may publish, next to the form.
            status_code = 403
            failure.add("", f"{_t(request, 'Only an editor may publish a report.')} ({exc})")
        except newsroom.NotFound:
            return error_page(request, 404, _t(request, "No such article."))
        except newsroom.NewsroomError as exc:
            _refusal(failure, exc)
    if failure.errors:
        return _report_page(request, principal, slug, status_code=status_code, failure=failure)
    return _to_report(slug, done)


# --- survey returns and releases ---------------------------------------------------------------


@dataclass(frozen=True)
class SurveyRow:
    survey: Survey
    respondents: int
    latest_period: str | None  # the newest period readers can see


@dataclass(frozen=True)
class PeriodView:
    """A survey period as the desk sees it: the statistics computed from the returns as they
    stand (what a release would freeze) and every release version, scheduled ones included."""

    survey: Survey
    period: str
    production: Decimal | None
    reporting: int
    missing: int
    imputed: int
    versions: list[tuple[SurveyRelease, bool, str | None]]  # (row, out already, desk time)


@dataclass(frozen=True)
class StoredReturns:
    added: int
    replaced: int
    joined: int


def period_view(session: Session, survey: Survey, period: str, now: dt.datetime) -> PeriodView:
    data = supply.compute_stats(session, survey, period)
    production = data.get("production")
    versions = supply.release_versions(session, survey, period, as_of=_END_OF_TIME)
    return PeriodView(
        survey=survey,
        period=period,
        production=None if production is None else Decimal(str(production)),
        reporting=int(data.get("respondents_reporting") or 0),
        missing=len(data.get("missing") or ()),
        imputed=int(data.get("imputed_count") or 0),
        versions=[(v, is_released(v.release_at, now), desk_time(v.release_at)) for v in versions],
    )


def _chosen(session: Session, code: str | None, period: str | None) -> tuple[Survey, str] | None:
    """The survey period named in the query, when both are real."""
    if not code or not period:
        return None
    try:
        supply.parse_period(period)
    except supply.SupplyError:
        return None
    survey = supply.get_survey(session, code)
    return None if survey is None else (survey, period)


def _surveys_page(
    request: Request,
    *,
    status_code: int = 200,
    failure: FormFailure | None = None,
    upload_errors: Sequence[str] = (),
    upload_name: str = "",
    survey: str | None = None,
    period: str | None = None,
    stored: StoredReturns | None = None,
    released: int | None = None,
) -> HTMLResponse:
    now = _now(request)
    with request_session(request) as session:
        surveys = supply.list_surveys(session)
        rows = [
            SurveyRow(s, len(supply.panel(session, s)), supply.latest_period(session, s, as_of=now))
            for s in surveys
        ]
        chosen = _chosen(session, survey, period)
        view = period_view(session, *chosen, now) if chosen else None
        return page(
            request,
            "desk_surveys.html",
            status_code=status_code,
            rows=rows,
            surveys=surveys,
            columns=RETURN_COLUMNS,
            view=view,
            chosen_survey=survey or "",
            chosen_period=period or "",
            failure=failure,
            upload_errors=list(upload_errors),
            upload_name=upload_name,
            stored=stored,
            released=released,
            statuses=[s.value for s in ReleaseStatus],
            desk_section="surveys",
        )


@router.get("/desk/surveys", response_class=HTMLResponse)
@access("staff")
def surveys(
    request: Request,
    principal: CurrentPrincipal,
    survey: Annotated[str | None, Query(max_length=64)] = None,
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
    added: Annotated[int | None, Query(ge=0)] = None,
    replaced: Annotated[int | None, Query(ge=0)] = None,
    joined: Annotated[int | None, Query(ge=0)] = None,
    released: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    refused = _refuse_non_staff(request, principal)
    if refused is not None:
        return refused
    stored = None if added is None else StoredReturns(added, replaced or 0, joined or 0)
    return _surveys_page(request, survey=survey, period=period, stored=stored, released=released)


def _chosen_period(failure: FormFailure) -> None:
    """The form's survey and period: both needed, the period a month."""
    for name in ("survey", "period"):
        if not failure.values[name].strip():
            failure.add(name, failure.missing)
    text = failure.values["period"].strip()
    if text:
        try:
            supply.parse_period(text)
        except supply.SupplyError as exc:
            _refusal(failure, exc)


def foreign_rows(request: Request, path: Path, survey: str, period: str) -> list[str]:
    """Rows of another survey or period than the form names: the wrong file, refused whole."""
    problems = Problems()
    for number, cells in read_table(path, RETURN_COLUMNS):
        if cells["survey"] != survey:
            message = _t(request, "this row is for %(found)s, the form for %(chosen)s")
            problems.add(number, "survey", message % {"found": cells["survey"], "chosen": survey})
        if cells["period"] != period:
            message = _t(request, "this row is for %(found)s, the form for %(chosen)s")
            problems.add(number, "period", message % {"found": cells["period"], "chosen": period})
    return problems.items


def _store_returns(
    request: Request, principal: Principal, path: Path, survey: str, period: str
) -> StoredReturns:
    """All or nothing: every row checked (``import_returns``) before any is written."""
    problems = foreign_rows(request, path, survey, period)
    if problems:
        raise ImportRejected(path.name, problems)
    with unit_of_work(request) as session:
        user = acting_user(session, principal, Scope.SUBMIT, "enter survey returns")
        results = supply.import_returns(session, path, actor=user.email)
    result = results.get(survey)
    if result is None:
        return StoredReturns(0, 0, 0)
    return StoredReturns(result.added, result.replaced, len(result.new_respondents))


@router.post("/desk/surveys/returns")
@access("write")
def upload_returns(
    request: Request,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile | None, File()] = None,
    csrf: CsrfField = None,
    survey: FormText = "",
    period: FormText = "",
) -> Response:
    """A CSV or XLSX of one survey period's returns: stored whole, or nothing and every bad row."""
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return _sign_in("/desk/surveys")
    failure = FormFailure("returns", {"survey": survey, "period": period}, _t(request, "missing"))
    _chosen_period(failure)
    content = file.file.read(MAX_UPLOAD_BYTES + 1) if file is not None and file.filename else b""
    if not content:
        failure.add("file", _t(request, "choose a .csv or .xlsx file"))
    elif len(content) > MAX_UPLOAD_BYTES:
        failure.add(
            "file", _t(request, "The file is larger than 20 MB; split it into smaller files.")
        )
    code, month = survey.strip(), period.strip()
    if failure.errors:
        return _surveys_page(request, status_code=422, failure=failure, survey=code, period=month)
    name = _safe_name(file.filename if file is not None and file.filename else "")
    with tempfile.TemporaryDirectory(prefix="mw-returns-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            stored = _store_returns(request, principal, path, code, month)
        except ImportRejected as exc:
            return _surveys_page(
                request,
                status_code=422,
                upload_errors=exc.problems,
                upload_name=name,
                survey=code,
                period=month,
            )
        except TableError as exc:
            # The message names the temporary copy; the analyst knows the file by its own name.
            return _surveys_page(
                request,
                status_code=422,
                upload_errors=[str(exc).replace(str(path), name)],
                upload_name=name,
                survey=code,
                period=month,
            )
    query = {"survey": code, "period": month, "added": stored.added}
    query |= {"replaced": stored.replaced, "joined": stored.joined}
    return RedirectResponse(f"/desk/surveys?{urlencode(query)}", status_code=303)


@router.post("/desk/surveys/release")
@access("write")
def release_period(
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    survey: FormText = "",
    period: FormText = "",
    status: FormText = ReleaseStatus.PRELIMINARY.value,
) -> Response:
    """An editor freezes the period's statistics as a new release version (at its schedule)."""
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return _sign_in("/desk/surveys")
    failure = FormFailure(
        "release", {"survey": survey, "period": period, "status": status}, _t(request, "missing")
    )
    _chosen_period(failure)
    if status not in {s.value for s in ReleaseStatus}:
        failure.add("status", f"use preliminary or final, not {status!r}")
    code, month = survey.strip(), period.strip()
    status_code, version = 422, 0
    if not failure.errors:
        try:
            with unit_of_work(request) as session:
                user = acting_user(session, principal, Scope.PUBLISH, "release survey statistics")
                row = supply.release(
                    session,
                    supply.require_survey(session, code),
                    month,
                    status=ReleaseStatus(status),
                    user=user,
                    now=_now(request),
                )
                version = row.version
        except ProblemError as exc:
            if exc.status != 403 or not principal.is_staff:
                raise
            status_code = 403
            failure.add("", f"{_t(request, 'Only an editor may release statistics.')} ({exc})")
        except supply.SupplyError as exc:
            _refusal(failure, exc)
    if failure.errors:
        return _surveys_page(
            request, status_code=status_code, failure=failure, survey=code, period=month
        )
    query = urlencode({"survey": code, "period": month, "released": version})
    return RedirectResponse(f"/desk/surveys?{query}", status_code=303)
