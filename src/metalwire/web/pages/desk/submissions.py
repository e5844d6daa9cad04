"""The desk's evidence pages: upload a file of submissions, or enter one by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from metalwire.accounts.models import Scope
from metalwire.pricing.engine import SubmissionKind
from metalwire.pricing.schemas import SUBMISSION_COLUMNS, SubmissionIn
from metalwire.pricing.submissions import add_submissions, import_submissions
from metalwire.tabular import ImportRejected, parse_datetime
from metalwire.web.access import access
from metalwire.web.api.desk import acting_user
from metalwire.web.auth import CsrfField, CurrentPrincipal, check_csrf
from metalwire.web.deps import FormText, request_session, unit_of_work
from metalwire.web.i18n import translate as _t
from metalwire.web.pages.desk.forms import (
    FormFailure,
    UploadRefused,
    desk_now,
    desk_today,
    done_redirect,
    import_upload,
    parse_day,
    parse_prices,
    read_upload,
    refuse_non_staff,
    safe_name,
    sign_in,
    too_large,
)
from metalwire.web.pages.desk.prices import assessed_series
from metalwire.web.pages.site import page

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class ImportSummary:
    added: int
    present: int


def _submissions_page(
    request: Request,
    *,
    status_code: int = 200,
    upload_errors: Sequence[str] = (),
    upload_name: str = "",
    failure: FormFailure | None = None,
    summary: ImportSummary | None = None,
) -> HTMLResponse:
    with request_session(request) as session:
        series = assessed_series(session)
    return page(
        request,
        "desk_submissions.html",
        status_code=status_code,
        series=series,
        columns=SUBMISSION_COLUMNS,
        kinds=[k.value for k in SubmissionKind],
        today=desk_today(request),
        upload_errors=list(upload_errors),
        upload_name=upload_name,
        failure=failure,
        summary=summary,
        desk_section="submissions",
    )


def _stored(added: int, present: int) -> RedirectResponse:
    return done_redirect("/desk/submissions", {"added": added, "present": present})


@router.get("/desk/submissions", response_class=HTMLResponse)
@access("staff")
def submissions(
    request: Request,
    principal: CurrentPrincipal,
    added: Annotated[int | None, Query(ge=0)] = None,
    present: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    refused = refuse_non_staff(request, principal)
    if refused is not None:
        return refused
    summary = None if added is None else ImportSummary(added, present or 0)
    return _submissions_page(request, summary=summary)


@router.post("/desk/submissions/upload")
@access("write")
def upload_submissions(
    request: Request,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File()],
    csrf: CsrfField = None,
) -> Response:
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return sign_in("/desk/submissions")
    name = safe_name(file.filename or "")
    content = read_upload(file)
    message = too_large(request, content)
    if message is not None:
        return _submissions_page(
            request, status_code=413, upload_errors=[message], upload_name=name
        )

    def store(path: Path) -> tuple[int, int]:
        with unit_of_work(request) as session:
            user = acting_user(session, principal, Scope.SUBMIT, "submit market evidence")
            return import_submissions(session, path, actor=user.email, now=desk_now(request))

    outcome = import_upload(content, name, "mw-upload-", store)
    if isinstance(outcome, UploadRefused):
        return _submissions_page(
            request, status_code=422, upload_errors=outcome.problems, upload_name=name
        )
    return _stored(*outcome)


def _manual_submission(failure: FormFailure) -> SubmissionIn | None:
    """The hand-entered row as the service's input; each unreadable field becomes an error."""
    values = failure.values
    for name in ("series", "contributor"):
        if not values[name].strip():
            failure.add(name, failure.missing)
    day = parse_day(failure)
    prices = parse_prices(failure, ("price", "low", "high", "volume", "adjustment"), required=False)
    received = None
    if values["received_at"].strip():
        try:
            received = parse_datetime(values["received_at"].strip())
        except ValueError as exc:
            failure.add("received_at", str(exc))
    if failure.errors or day is None:
        return None
    try:
        return SubmissionIn.model_validate(
            {
                **prices,
                "series": values["series"].strip(),
                "date": day,
                "kind": values["kind"],
                "contributor": values["contributor"].strip(),
                "received_at": received,
                "note": values["note"].strip(),
            }
        )
    except ValidationError as exc:  # the kind, or a too-long contributor
        for error in exc.errors():
            location = error.get("loc", ())
            failure.add(str(location[0]) if location else "", error["msg"])
        return None


@router.post("/desk/submissions")
@access("write")
def add_submission(
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    series: FormText = "",
    date: FormText = "",
    kind: FormText = "deal",
    price: FormText = "",
    low: FormText = "",
    high: FormText = "",
    volume: FormText = "",
    contributor: FormText = "",
    received_at: FormText = "",
    adjustment: FormText = "",
    note: FormText = "",
) -> Response:
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return sign_in("/desk/submissions")
    failure = FormFailure(
        "manual",
        {
            "series": series,
            "date": date,
            "kind": kind,
            "price": price,
            "low": low,
            "high": high,
            "volume": volume,
            "contributor": contributor,
            "received_at": received_at,
            "adjustment": adjustment,
            "note": note,
        },
        _t(request, "missing"),
    )
    item = _manual_submission(failure)
    if item is not None:
        try:
            with unit_of_work(request) as session:
                user = acting_user(session, principal, Scope.SUBMIT, "submit market evidence")
                ids, present = add_submissions(
                    session, [item], actor=user.email, source="desk form", now=desk_now(request)
                )
            return _stored(len(ids), present)
        except ImportRejected as exc:
            for problem in exc.problems:  # one row: the field says where
                name = problem.field or ""
                failure.add(name if name in failure.values else "", problem.message)
    return _submissions_page(request, status_code=422, failure=failure)
