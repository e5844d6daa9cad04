"""The analyst desk pages: the day's assessments (run, override, approve, correct) and evidence.

The forms are a browser face on the desk API (web/api/desk.py): the same service calls, the same
role checks (``acting_user``) and the same reading of the service's refusals (``_refused``); the
pages only turn form text into arguments and refusals into inline errors. Each write runs in one
transaction, so a refused form writes nothing. Even here approved prices stay withheld until
their release: the gate lets staff see drafts, not embargoed values.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import (
    SCOPE_ROLES,
    Principal,
    is_released,
    may_read_value,
    may_see_drafts,
)
from metalwire.accounts.models import Scope
from metalwire.catalog.models import PriceSeries, SeriesStatus
from metalwire.pricing import assessing, review
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.desk import ASSESSED_KINDS, PricingError
from metalwire.pricing.engine import SubmissionKind
from metalwire.pricing.models import Assessment, AssessmentStatus
from metalwire.pricing.review import approve_assessment
from metalwire.pricing.schemas import SUBMISSION_COLUMNS, SubmissionIn
from metalwire.pricing.submissions import add_submissions, import_submissions
from metalwire.tabular import ImportRejected, TableError, parse_date, parse_datetime, parse_decimal
from metalwire.web.access import access
from metalwire.web.api.desk import _refused, acting_user
from metalwire.web.auth import CurrentPrincipal, check_csrf
from metalwire.web.deps import RowId, request_session, resolve_lang, unit_of_work
from metalwire.web.i18n import translations
from metalwire.web.pages.site import error_page, page
from metalwire.web.problems import ProblemError

router = APIRouter(include_in_schema=False)

# The desk works Shanghai hours: "today" is the market date the desk is pricing.
DESK_TIMEZONE = ZoneInfo("Asia/Shanghai")
# Larger than any day's evidence file; stops a stray upload from filling the disk.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

FormText = Annotated[str, Form()]
CsrfField = Annotated[str | None, Form(alias="csrf_token")]

# Outcomes named in the redirect after a successful write (never free text: nothing reflected).
DONE_KEYS = ("assessed", "approved", "overridden", "corrected")

DRAFT, AWAITING, RELEASED = "draft", "awaiting-release", "released"


def _t(request: Request, message: str) -> str:
    lang = resolve_lang(request, request.query_params.get("lang"))
    return translations(lang).gettext(message)


def _missing(request: Request) -> str:
    return _t(request, "missing")


def _now(request: Request) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    return now


def desk_today(request: Request) -> dt.date:
    return _now(request).astimezone(DESK_TIMEZONE).date()


# --- who may use the desk ----------------------------------------------------------------------


def _sign_in(target: str) -> RedirectResponse:
    return RedirectResponse("/sign-in?next=" + quote(target, safe="/?=&"), status_code=303)


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _refuse_non_staff(request: Request, principal: Principal) -> Response | None:
    """Anonymous visitors are sent to sign in; signed-in non-staff are refused (403)."""
    if principal.is_anonymous:
        return _sign_in(_here(request))
    if not may_see_drafts(principal):
        return error_page(request, 403, _t(request, "The desk is for analysts and editors."))
    return None


# --- form failures -----------------------------------------------------------------------------


@dataclass
class FormFailure:
    """A refused form, shown again with what was typed and an error next to each bad field."""

    form: str  # "assess", "correct", "override-<id>", "approve-<id>", "manual"
    values: dict[str, str]
    missing: str  # "missing", in the visitor's language
    errors: dict[str, str] = field(default_factory=dict)  # field -> message; "" = whole form

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


def _refusal(failure: FormFailure, exc: PricingError, fields: Sequence[str]) -> None:
    """The service names the field first ("low: ..."), as the API reports it."""
    params = _refused(exc).invalid_params or []
    name, reason = (params[0].name, params[0].reason) if params else ("", str(exc))
    if name in fields:
        failure.add(name, reason)
    else:
        failure.add("", str(exc))


def _parse_prices(
    failure: FormFailure, names: Sequence[str], *, required: bool
) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for name in names:
        text = failure.values.get(name, "").strip()
        if not text:
            if required:
                failure.add(name, failure.missing)
            continue
        try:
            out[name] = parse_decimal(text)
        except ValueError as exc:
            failure.add(name, str(exc))
    return out


def _parse_day(failure: FormFailure, name: str = "date") -> dt.date | None:
    text = failure.values.get(name, "").strip()
    if not text:
        failure.add(name, failure.missing)
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        failure.add(name, str(exc))
        return None


def _form_day(text: str, fallback: dt.date) -> dt.date:
    try:
        return parse_date(text.strip())
    except ValueError:
        return fallback


# --- the desk page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskRow:
    assessment: Assessment
    state: str  # draft, awaiting-release, released
    shown: bool  # the gate lets the caller see its values
    release_local: str | None  # the release instant in the series' own timezone


def _state(row: Assessment, now: dt.datetime) -> str:
    if row.status is AssessmentStatus.DRAFT:
        return DRAFT
    return RELEASED if is_released(row.release_at, now) else AWAITING


def _shown(principal: Principal, row: Assessment, now: dt.datetime) -> bool:
    """Drafts are the desk's work; an approved value is the gate's like any published one."""
    if row.status is AssessmentStatus.DRAFT:
        return bool(may_see_drafts(principal))
    series = row.series
    return bool(
        may_read_value(
            principal,
            tier=series.tier.value,
            group=series.commodity.entry.group.code,
            market_date=row.market_date,
            release_at=row.release_at,
            now=now,
            today=now.date(),
        )
    )


def _release_local(row: Assessment) -> str | None:
    if row.release_at is None:
        return None
    local = row.release_at.astimezone(ZoneInfo(row.series.timezone))
    return f"{local:%Y-%m-%d %H:%M} {row.series.timezone}"


def desk_rows(
    session: Session, principal: Principal, day: dt.date, now: dt.datetime
) -> list[DeskRow]:
    """Every version assessed for the date, series by series, with what the caller may see."""
    rows = session.scalars(
        select(Assessment)
        .join(PriceSeries)
        .where(Assessment.market_date == day)
        .order_by(PriceSeries.code, Assessment.version)
    )
    return [
        DeskRow(row, _state(row, now), _shown(principal, row, now), _release_local(row))
        for row in rows
    ]


def assessed_series(session: Session) -> list[PriceSeries]:
    """The active series the engine assesses from submissions: what the desk prices."""
    return list(
        session.scalars(
            select(PriceSeries)
            .where(
                PriceSeries.status == SeriesStatus.ACTIVE,
                PriceSeries.kind.in_(ASSESSED_KINDS),
            )
            .order_by(PriceSeries.code)
        )
    )


def _desk_page(
    request: Request,
    principal: Principal,
    day: dt.date,
    *,
    status_code: int = 200,
    error: str | None = None,
    failure: FormFailure | None = None,
    done: str | None = None,
) -> HTMLResponse:
    now = _now(request)
    with request_session(request) as session:
        rows = desk_rows(session, principal, day, now)
        series = assessed_series(session)
        assessed = {r.assessment.series_id for r in rows}
        # Rendered inside the session: the rows' series and people load lazily.
        return page(
            request,
            "desk.html",
            status_code=status_code,
            day=day,
            rows=rows,
            series=series,
            unassessed=[s for s in series if s.id not in assessed],
            error=error,
            failure=failure,
            done=done if done in DONE_KEYS else None,
            desk_section="desk",
            # Four eyes, shown before it is tried: an analyst never approves, an editor never
            # their own draft; neither gets a button that can only fail.
            may_publish=principal.role in SCOPE_ROLES[Scope.PUBLISH],
            user_id=principal.user_id,
        )


def _back_to_desk(day: dt.date, done: str) -> RedirectResponse:
    return RedirectResponse(
        "/desk?" + urlencode({"date": day.isoformat(), "done": done}), status_code=303
    )


@router.get("/desk", response_class=HTMLResponse)
@access("staff")
def desk(
    request: Request,
    principal: CurrentPrincipal,
    date: Annotated[dt.date | None, Query(description="Market date")] = None,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    refused = _refuse_non_staff(request, principal)
    if refused is not None:
        return refused
    return _desk_page(request, principal, date or desk_today(request), done=done)


@router.post("/desk/assess")
@access("write")
def run_assessment(
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    date: FormText = "",
    series: FormText = "",
) -> Response:
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return _sign_in("/desk")
    failure = FormFailure("assess", {"date": date, "series": series}, _missing(request))
    day = _parse_day(failure)
    if day is None:
        return _desk_page(request, principal, desk_today(request), status_code=422, failure=failure)
    try:
        with unit_of_work(request) as session:
            user = acting_user(session, principal, Scope.SUBMIT, "assess prices")
            assess_day(session, day, user=user, series_code=series.strip() or None)
    except PricingError as exc:
        _refusal(failure, exc, ("date", "series"))
        return _desk_page(request, principal, day, status_code=422, failure=failure)
    return _back_to_desk(day, "assessed")


@router.post("/desk/assessments/{assessment_id}/approve")
@access("write")
def approve(
    assessment_id: RowId,
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    date: FormText = "",
) -> Response:
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return _sign_in("/desk")
    day = _form_day(date, desk_today(request))
    try:
        with unit_of_work(request) as session:
            user = acting_user(session, principal, Scope.PUBLISH, "approve assessments")
            row = approve_assessment(session, assessment_id, user=user, now=_now(request))
            day = row.market_date
    except ProblemError as exc:
        if exc.status != 403 or not principal.is_staff:
            raise
        # An analyst on the desk: say who may approve, on the desk itself.
        message = _t(request, "Only an editor may approve a price.")
        return _desk_page(request, principal, day, status_code=403, error=f"{message} ({exc})")
    except PricingError as exc:
        four_eyes = "four eyes" in str(exc)
        lead = (
            _t(
                request,
                "A second person must approve: whoever assessed a price may not approve it.",
            )
            if four_eyes
            else _t(request, "The price was not approved.")
        )
        return _desk_page(
            request,
            principal,
            day,
            status_code=409 if four_eyes else 422,
            failure=FormFailure(f"approve-{assessment_id}", {}, "", {"": f"{lead} ({exc})"}),
        )
    return _back_to_desk(day, "approved")


@router.post("/desk/assessments/{assessment_id}/override")
@access("write")
def override(
    assessment_id: RowId,
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    date: FormText = "",
    low: FormText = "",
    high: FormText = "",
    rationale: FormText = "",
) -> Response:
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return _sign_in("/desk")
    day = _form_day(date, desk_today(request))
    failure = FormFailure(
        f"override-{assessment_id}",
        {"low": low, "high": high, "rationale": rationale},
        _missing(request),
    )
    prices = _parse_prices(failure, ("low", "high"), required=True)
    if not rationale.strip():
        failure.add("rationale", _t(request, "Required: say why judgment replaces the rule."))
    if not failure.errors:
        try:
            with unit_of_work(request) as session:
                user = acting_user(session, principal, Scope.SUBMIT, "override assessments")
                row = assessing.override(
                    session,
                    assessment_id,
                    low=prices["low"],
                    high=prices["high"],
                    rationale=rationale,
                    user=user,
                )
                day = row.market_date
        except PricingError as exc:
            _refusal(failure, exc, ("low", "high", "rationale"))
    if failure.errors:
        return _desk_page(request, principal, day, status_code=422, failure=failure)
    return _back_to_desk(day, "overridden")


@router.post("/desk/corrections")
@access("write")
def correct(
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    series: FormText = "",
    date: FormText = "",
    low: FormText = "",
    high: FormText = "",
    reason: FormText = "",
) -> Response:
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return _sign_in("/desk")
    values = {"series": series, "date": date, "low": low, "high": high, "reason": reason}
    failure = FormFailure("correct", values, _missing(request))
    if not series.strip():
        failure.add("series", failure.missing)
    day = _parse_day(failure)
    prices = _parse_prices(failure, ("low", "high"), required=True)
    if not failure.errors and day is not None:
        try:
            with unit_of_work(request) as session:
                user = acting_user(session, principal, Scope.SUBMIT, "correct prices")
                review.correct(
                    session,
                    series.strip(),
                    day,
                    low=prices["low"],
                    high=prices["high"],
                    reason=reason,
                    user=user,
                )
        except PricingError as exc:
            _refusal(failure, exc, tuple(values))
    shown = day or desk_today(request)
    if failure.errors:
        return _desk_page(request, principal, shown, status_code=422, failure=failure)
    return _back_to_desk(shown, "corrected")


# --- submissions -------------------------------------------------------------------------------


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
    query = urlencode({"added": added, "present": present})
    return RedirectResponse(f"/desk/submissions?{query}", status_code=303)


@router.get("/desk/submissions", response_class=HTMLResponse)
@access("staff")
def submissions(
    request: Request,
    principal: CurrentPrincipal,
    added: Annotated[int | None, Query(ge=0)] = None,
    present: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    refused = _refuse_non_staff(request, principal)
    if refused is not None:
        return refused
    summary = None if added is None else ImportSummary(added, present or 0)
    return _submissions_page(request, summary=summary)


def _safe_name(filename: str) -> str:
    """The uploaded file's own name (no folders, plain characters): the audit trail's source."""
    name = re.sub(r"[^\w.\-]+", "_", Path(filename.replace("\\", "/")).name).strip("._")
    return name or "upload"


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
        return _sign_in("/desk/submissions")
    name = _safe_name(file.filename or "")
    content = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        message = _t(request, "The file is larger than 20 MB; split it into smaller files.")
        return _submissions_page(
            request, status_code=413, upload_errors=[message], upload_name=name
        )
    with tempfile.TemporaryDirectory(prefix="mw-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            with unit_of_work(request) as session:
                user = acting_user(session, principal, Scope.SUBMIT, "submit market evidence")
                added, present = import_submissions(
                    session, path, actor=user.email, now=_now(request)
                )
        except ImportRejected as exc:
            return _submissions_page(
                request, status_code=422, upload_errors=exc.problems, upload_name=name
            )
        except TableError as exc:
            # The message names the temporary copy; the analyst knows the file by its own name.
            problem = str(exc).replace(str(path), name)
            return _submissions_page(
                request, status_code=422, upload_errors=[problem], upload_name=name
            )
    return _stored(added, present)


def _manual_submission(failure: FormFailure) -> SubmissionIn | None:
    """The hand-entered row as the service's input; each unreadable field becomes an error."""
    values = failure.values
    for name in ("series", "contributor"):
        if not values[name].strip():
            failure.add(name, failure.missing)
    day = _parse_day(failure)
    prices = _parse_prices(
        failure, ("price", "low", "high", "volume", "adjustment"), required=False
    )
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
        return _sign_in("/desk/submissions")
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
        _missing(request),
    )
    item = _manual_submission(failure)
    if item is not None:
        try:
            with unit_of_work(request) as session:
                user = acting_user(session, principal, Scope.SUBMIT, "submit market evidence")
                ids, present = add_submissions(
                    session, [item], actor=user.email, source="desk form", now=_now(request)
                )
            return _stored(len(ids), present)
        except ImportRejected as exc:
            for problem in exc.problems:  # "row 1: FIELD: message": one row, so the field says it
                _, name, reason = problem.split(": ", 2)
                failure.add(name if name in failure.values else "", reason)
    return _submissions_page(request, status_code=422, failure=failure)
