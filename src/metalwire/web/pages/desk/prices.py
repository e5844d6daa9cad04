"""The desk page: the day's assessments (run, override, approve, correct).

The forms are a browser face on the desk API (web/api/desk.py): the same service calls, the same
role checks (``acting_user``) and the same reading of the service's refusals (each problem beside
its field); the pages only turn form text into arguments and refusals into inline errors. Each
write runs in one transaction, so a refused form writes nothing. Even here approved prices stay
withheld until their release: the gate lets staff see drafts, not embargoed values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from metalwire.accounts.gate import (
    SCOPE_ROLES,
    Principal,
    is_released,
    may_read_series_value,
    may_see_drafts,
)
from metalwire.accounts.models import Scope, User
from metalwire.catalog.models import PriceSeries, SeriesStatus
from metalwire.catalog.service import SERIES_GROUP
from metalwire.errors import FourEyes
from metalwire.pricing import assessing, review
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.desk import ASSESSED_KINDS, PricingError
from metalwire.pricing.models import Assessment, AssessmentStatus
from metalwire.pricing.partner import enter_partner_value, licensed_series
from metalwire.pricing.review import approve_assessment
from metalwire.web.access import access
from metalwire.web.api.desk import acting_user
from metalwire.web.auth import CsrfField, CurrentPrincipal, check_csrf
from metalwire.web.deps import FormText, RowId, request_session, unit_of_work
from metalwire.web.i18n import translate as _t
from metalwire.web.pages.desk.forms import (
    FormFailure,
    desk_now,
    desk_today,
    done_redirect,
    form_day,
    parse_day,
    parse_prices,
    refuse_non_staff,
    refused_for_role,
    sign_in,
)
from metalwire.web.pages.site import page
from metalwire.web.problems import ProblemError

router = APIRouter(include_in_schema=False)

# Outcomes named in the redirect after a successful write (never free text: nothing reflected).
DONE_KEYS = ("assessed", "approved", "overridden", "corrected", "partner")

DRAFT, AWAITING, RELEASED = "draft", "awaiting-release", "released"


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
    return bool(may_read_series_value(principal, series, row.market_date, row.release_at, now))


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
        # What the rows show and the gate weighs, for all rows at once (not a few per row).
        .options(
            selectinload(Assessment.series).options(SERIES_GROUP),
            selectinload(Assessment.assessor),
            selectinload(Assessment.approver),
        )
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
    now = desk_now(request)
    with request_session(request) as session:
        rows = desk_rows(session, principal, day, now)
        series = assessed_series(session)
        partner_series = licensed_series(session)
        assessed = {r.assessment.series_id for r in rows}
        # Rendered inside the session: the rows' series and people load lazily.
        return page(
            request,
            "desk.html",
            status_code=status_code,
            day=day,
            rows=rows,
            series=series,
            partner_series=partner_series,
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
    return done_redirect("/desk", {"date": day.isoformat(), "done": done})


@router.get("/desk", response_class=HTMLResponse)
@access("staff")
def desk(
    request: Request,
    principal: CurrentPrincipal,
    date: Annotated[dt.date | None, Query(description="Market date")] = None,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    refused = refuse_non_staff(request, principal)
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
        return sign_in("/desk")
    failure = FormFailure("assess", {"date": date, "series": series}, _t(request, "missing"))
    day = parse_day(failure)
    if day is None:
        return _desk_page(request, principal, desk_today(request), status_code=422, failure=failure)
    try:
        with unit_of_work(request) as session:
            user = acting_user(session, principal, Scope.SUBMIT, "assess prices")
            assess_day(session, day, user=user, series_code=series.strip() or None)
    except PricingError as exc:
        failure.refused(exc)
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
        return sign_in("/desk")
    day = form_day(date, desk_today(request))
    try:
        with unit_of_work(request) as session:
            user = acting_user(session, principal, Scope.PUBLISH, "approve assessments")
            row = approve_assessment(session, assessment_id, user=user, now=desk_now(request))
            day = row.market_date
    except ProblemError as exc:
        if not refused_for_role(exc, principal):
            raise
        # An analyst on the desk: say who may approve, on the desk itself.
        message = _t(request, "Only an editor may approve a price.")
        return _desk_page(request, principal, day, status_code=403, error=f"{message} ({exc})")
    except (FourEyes, PricingError) as exc:
        lead = (
            _t(
                request,
                "A second person must approve: whoever assessed a price may not approve it.",
            )
            if isinstance(exc, FourEyes)
            else _t(request, "The price was not approved.")
        )
        return _desk_page(
            request,
            principal,
            day,
            status_code=exc.status,
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
        return sign_in("/desk")
    day = form_day(date, desk_today(request))
    failure = FormFailure(
        f"override-{assessment_id}",
        {"low": low, "high": high, "rationale": rationale},
        _t(request, "missing"),
    )
    prices = parse_prices(failure, ("low", "high"), required=True)
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
            failure.refused(exc)
    if failure.errors:
        return _desk_page(request, principal, day, status_code=422, failure=failure)
    return _back_to_desk(day, "overridden")


# What the correction and the partner-value forms do with a series, a date and a low and high:
# the user, the series code, the date, the prices (the form's own fields are in the closure).
HandValue = Callable[[Session, User, str, dt.date, dict[str, Decimal]], object]


def _hand_value(
    request: Request,
    principal: Principal,
    failure: FormFailure,
    act: tuple[str, HandValue],
    done: str,
) -> Response:
    """A form of a series, a market date and a low and high (a correction, a partner value):
    each unreadable field named, then ``act`` as the signed-in user in one transaction (``what``
    the role check names), the service's refusals beside their fields."""
    what, call = act
    series = failure.values["series"].strip()
    if not series:
        failure.add("series", failure.missing)
    day = parse_day(failure)
    prices = parse_prices(failure, ("low", "high"), required=True)
    if not failure.errors and day is not None:
        try:
            with unit_of_work(request) as session:
                user = acting_user(session, principal, Scope.SUBMIT, what)
                call(session, user, series, day, prices)
        except PricingError as exc:
            failure.refused(exc)
    shown = day or desk_today(request)
    if failure.errors:
        return _desk_page(request, principal, shown, status_code=422, failure=failure)
    return _back_to_desk(shown, done)


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
        return sign_in("/desk")
    values = {"series": series, "date": date, "low": low, "high": high, "reason": reason}
    failure = FormFailure("correct", values, _t(request, "missing"))

    def act(session: Session, user: User, code: str, day: dt.date, p: dict[str, Decimal]) -> None:
        review.correct(session, code, day, low=p["low"], high=p["high"], reason=reason, user=user)

    return _hand_value(request, principal, failure, ("correct prices", act), "corrected")


@router.post("/desk/partner-values")
@access("write")
def partner_value(
    request: Request,
    principal: CurrentPrincipal,
    csrf: CsrfField = None,
    series: FormText = "",
    date: FormText = "",
    low: FormText = "",
    high: FormText = "",
    reference: FormText = "",
) -> Response:
    """A licensed series' value as the partner delivered it (the API's POST /partner-values):
    a draft shown with the licensor and terms, approved by a second person."""
    check_csrf(request, csrf)
    if principal.is_anonymous:
        return sign_in("/desk")
    values = {"series": series, "date": date, "low": low, "high": high, "reference": reference}
    failure = FormFailure("partner", values, _t(request, "missing"))

    def act(session: Session, user: User, code: str, day: dt.date, p: dict[str, Decimal]) -> None:
        enter_partner_value(
            session, code, day, low=p["low"], high=p["high"], user=user, reference=reference.strip()
        )

    return _hand_value(request, principal, failure, ("enter partner values", act), "partner")
