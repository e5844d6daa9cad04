"""The desk's survey pages: create a survey (named in English and Chinese), take a period's
returns and release its statistics.

A browser face on the surveys API (web/api/surveys.py): the same service calls and the same role
checks (``acting_user``: analysts enter returns, editors release). A file of returns is stored
whole or not at all, with every bad row named ("row N: FIELD: message").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from metalwire.accounts.gate import Principal, is_released
from metalwire.accounts.models import Scope
from metalwire.catalog.codes import CODE_PATTERN
from metalwire.catalog.models import Tier
from metalwire.errors import Located
from metalwire.supply import published, returns
from metalwire.supply import service as supply
from metalwire.supply.models import ReleaseStatus, Survey, SurveyRelease
from metalwire.supply.schemas import PERIOD_PATTERN, RETURN_COLUMNS
from metalwire.tabular import ImportRejected, Problems, read_table
from metalwire.web.access import access
from metalwire.web.api.desk import acting_user
from metalwire.web.auth import CsrfField, CurrentPrincipal, check_csrf
from metalwire.web.deps import FormText, request_session, unit_of_work
from metalwire.web.i18n import translate as _t
from metalwire.web.pages.desk.forms import (
    FormFailure,
    UploadRefused,
    desk_now,
    desk_time,
    done_redirect,
    import_upload,
    read_upload,
    refuse_non_staff,
    safe_name,
    sign_in,
    too_large,
)
from metalwire.web.pages.site import page
from metalwire.web.problems import ProblemError

router = APIRouter(include_in_schema=False)

# Every release version of a period, scheduled ones included: the desk sees its own work.
_END_OF_TIME = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


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
    versions = published.release_versions(session, survey, period, as_of=_END_OF_TIME)
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
    now = desk_now(request)
    with request_session(request) as session:
        surveys = supply.list_surveys(session)
        rows = [
            SurveyRow(
                s, len(supply.panel(session, s)), published.latest_period(session, s, as_of=now)
            )
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
    refused = refuse_non_staff(request, principal)
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
            failure.refused(exc)


def foreign_rows(request: Request, path: Path, survey: str, period: str) -> list[Located]:
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
        results = returns.import_returns(session, path, actor=user.email)
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
        return sign_in("/desk/surveys")
    failure = FormFailure("returns", {"survey": survey, "period": period}, _t(request, "missing"))
    _chosen_period(failure)
    content = read_upload(file) if file is not None and file.filename else b""
    message = too_large(request, content)
    if not content:
        failure.add("file", _t(request, "choose a .csv or .xlsx file"))
    elif message is not None:
        failure.add("file", message)
    code, month = survey.strip(), period.strip()
    if failure.errors:
        return _surveys_page(request, status_code=422, failure=failure, survey=code, period=month)
    name = safe_name(file.filename if file is not None and file.filename else "")
    stored = import_upload(
        content,
        name,
        "mw-returns-",
        lambda path: _store_returns(request, principal, path, code, month),
    )
    if isinstance(stored, UploadRefused):
        return _surveys_page(
            request,
            status_code=422,
            upload_errors=stored.problems,
            upload_name=name,
            survey=code,
            period=month,
        )
    query = {"survey": code, "period": month, "added": stored.added}
    query |= {"replaced": stored.replaced, "joined": stored.joined}
    return done_redirect("/desk/surveys", query)


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
        return sign_in("/desk/surveys")
    failure = FormFailure(
        "release", {"survey": survey, "period": period, "status": status}, _t(request, "missing")
    )
    _chosen_period(failure)
    if status not in {s.value for s in ReleaseStatus}:
        failure.add("status", f"use preliminary or final, not {status!r}")
    code, month = survey.strip(), period.strip()
    version = 0
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
                    now=desk_now(request),
                )
                version = row.version
        except ProblemError as exc:
            message = f"{_t(request, 'Only an editor may release statistics.')} ({exc})"
            failure.editors_only(exc, principal, message)
        except supply.SupplyError as exc:
            failure.refused(exc)
    if failure.errors:
        return _surveys_page(
            request, status_code=failure.status, failure=failure, survey=code, period=month
        )
    return done_redirect("/desk/surveys", {"survey": code, "period": month, "released": version})


SURVEY_FIELDS = ("code", "entry", "unit", "name_en", "name_zh", "tier")


@router.post("/desk/surveys/create")
@access("write")
def create_survey(
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    code: FormText = "",
    entry: FormText = "",
    unit: FormText = "mt",
    name_en: FormText = "",
    name_zh: FormText = "",
    tier: FormText = Tier.PREMIUM.value,
) -> Response:
    """An editor creates a survey under a catalog entry, with its English and Chinese names (each
    left empty is made from the entry's; a Chinese name is written in Chinese)."""
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return sign_in("/desk/surveys")
    values = dict(zip(SURVEY_FIELDS, (code, entry, unit, name_en, name_zh, tier), strict=True))
    failure = FormFailure("create", values, _t(request, "missing"))
    for name in ("code", "entry"):
        if not values[name].strip():
            failure.add(name, failure.missing)
    if values["code"].strip() and not re.fullmatch(CODE_PATTERN, values["code"].strip()):
        failure.add("code", _t(request, "capital letters, digits, dots and dashes, e.g. AG-OUT"))
    if tier not in {t.value for t in Tier}:
        failure.add("tier", f"use free or premium, not {tier!r}")
    if not failure.errors:
        try:
            with unit_of_work(request) as session:
                user = acting_user(session, principal, Scope.PUBLISH, "create a survey")
                supply.create_survey(
                    session,
                    values["code"].strip(),
                    entry=values["entry"].strip(),
                    unit="mt" if unit.strip() in ("", "t") else unit.strip(),
                    name_en=name_en,
                    name_zh=name_zh,
                    tier=Tier(tier),
                    actor=user.email,
                )
        except ProblemError as exc:
            message = f"{_t(request, 'Only an editor may create a survey.')} ({exc})"
            failure.editors_only(exc, principal, message)
        except supply.SupplyError as exc:
            failure.refused(exc)
    if failure.errors:
        return _surveys_page(request, status_code=failure.status, failure=failure)
    return done_redirect("/desk/surveys", {"survey": values["code"].strip()})
