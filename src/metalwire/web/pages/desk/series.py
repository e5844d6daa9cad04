"""The desk's series page: every series with its pending changes, and the forms that define a
series, change its release time or tier from a later date, or discontinue it with notice.

A browser face on the same lifecycle service as the API (web/api/series_desk.py) and
`metalwire series ...`: the same role check (an editor, ``Scope.PUBLISH``), each write one
transaction, the service's refusals shown beside the fields they name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import SCOPE_ROLES, Principal
from metalwire.accounts.models import Scope
from metalwire.catalog import lifecycle_service as lifecycle
from metalwire.catalog.calendars import load_calendars
from metalwire.catalog.models import PriceSeries, SeriesChange, SeriesKind, Tier
from metalwire.catalog.schemas import SeriesDefinition
from metalwire.catalog.service import SERIES_GROUP
from metalwire.catalog.units import KNOWN_CURRENCIES, KNOWN_UNITS
from metalwire.web.access import access
from metalwire.web.auth import CSRF_FIELD, CurrentPrincipal, check_csrf
from metalwire.web.deps import request_session
from metalwire.web.i18n import translate as _t
from metalwire.web.pages.desk.forms import (
    FormFailure,
    act_as_staff,
    desk_now,
    desk_today,
    done_redirect,
    parse_day,
    refuse_non_staff,
    sign_in,
)
from metalwire.web.pages.site import page

router = APIRouter(include_in_schema=False)

PATH = "/desk/series"
DONE_KEYS = ("created", "changed", "discontinued")
CREATE_FIELDS = (
    "code",
    "commodity",
    "name_en",
    "name_zh",
    "kind",
    "unit",
    "currency",
    "decimals",
    "basis",
    "timezone",
    "release_time",
    "calendar",
    "tier",
    "methodology",
)
CHANGE_FIELDS = ("code", "effective", "what", "release_time", "tier", "notice")
DISCONTINUE_FIELDS = ("code", "effective", "notice")


async def _posted(request: Request) -> dict[str, str]:
    """The form's text fields (the forms here are long; one dependency reads them all)."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


Posted = Annotated[dict[str, str], Depends(_posted)]


def _pending(session: Session, today: dt.date) -> dict[int, list[SeriesChange]]:
    by_series: dict[int, list[SeriesChange]] = {}
    for change in lifecycle.pending_notices(session, today):
        by_series.setdefault(change.series_id, []).append(change)
    return by_series


def _pairs(values: Iterable[str]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


def _series_page(
    request: Request,
    principal: Principal,
    *,
    status_code: int = 200,
    failure: FormFailure | None = None,
    done: str | None = None,
) -> HTMLResponse:
    today = desk_today(request)
    with request_session(request) as session:
        series = list(
            session.scalars(select(PriceSeries).options(SERIES_GROUP).order_by(PriceSeries.code))
        )
        return page(
            request,
            "desk_series.html",
            status_code=status_code,
            series=series,
            pending=_pending(session, today),
            today=today,
            # (value, text) pairs of the form's choices
            kinds=_pairs(k.value for k in SeriesKind),
            tiers=_pairs(t.value for t in Tier),
            units=_pairs(sorted(KNOWN_UNITS)),
            currencies=_pairs(sorted(KNOWN_CURRENCIES)),
            calendars=_pairs(sorted(load_calendars())),
            failure=failure,
            done=done if done in DONE_KEYS else None,
            may_publish=principal.role in SCOPE_ROLES[Scope.PUBLISH],
            desk_section="series",
        )


@router.get(PATH, response_class=HTMLResponse)
@access("staff")
def series_page(
    request: Request,
    principal: CurrentPrincipal,
    done: Annotated[str | None, Query()] = None,
) -> Response:
    refused = refuse_non_staff(request, principal)
    if refused is not None:
        return refused
    return _series_page(request, principal, done=done)


def _write(
    request: Request,
    principal: Principal,
    failure: FormFailure,
    act: Callable[[Session, str], object],
    done: str,
) -> Response:
    """Run ``act`` as the signed-in editor in one transaction, with the series changes due
    today applied; back to the page with ``done``, or the form again with the refusal beside
    its field (an analyst told who may)."""

    def then_apply(session: Session, actor: str) -> None:
        act(session, actor)
        lifecycle.apply_due(session, today=desk_today(request), actor=actor)

    act_as_staff(
        request,
        principal,
        failure,
        then_apply,
        scope=Scope.PUBLISH,
        doing="change series",
        role_refused=_t(request, "Only an editor may change series."),
    )
    if failure.errors:
        return _series_page(request, principal, status_code=failure.status, failure=failure)
    return done_redirect(PATH, {"done": done})


def _start(
    request: Request, principal: Principal, posted: dict[str, str], form: str
) -> Response | None:
    """Refused before the form is read: anonymous visitors sent to sign in, readers refused,
    an analyst told on the page that an editor changes series."""
    check_csrf(request, posted.get(CSRF_FIELD))
    if principal.is_anonymous:
        return sign_in(PATH)
    refused = refuse_non_staff(request, principal)
    if refused is not None:
        return refused
    if principal.role in SCOPE_ROLES[Scope.PUBLISH]:
        return None
    message = _t(request, "Only an editor may change series.")
    failure = FormFailure(form, {}, "", {"": message}, status=403)
    return _series_page(request, principal, status_code=403, failure=failure)


@router.post(PATH)
@access("write")
def create_series(request: Request, principal: CurrentPrincipal, posted: Posted) -> Response:
    refused = _start(request, principal, posted, "create")
    if refused is not None:
        return refused
    values = {name: posted.get(name, "").strip() for name in CREATE_FIELDS}
    failure = FormFailure("create", values, _t(request, "missing"))
    definition = None
    try:
        definition = SeriesDefinition.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        for error in exc.errors():
            location = error.get("loc", ())
            name = str(location[0]) if location else ""
            failure.add(name if name in values else "", error["msg"])

    def act(session: Session, actor: str) -> None:
        assert definition is not None
        lifecycle.create_series(session, definition, actor=actor)

    return _write(request, principal, failure, act, "created")


@router.post(f"{PATH}/changes")
@access("write")
def change_series(request: Request, principal: CurrentPrincipal, posted: Posted) -> Response:
    refused = _start(request, principal, posted, "change")
    if refused is not None:
        return refused
    values = {name: posted.get(name, "").strip() for name in CHANGE_FIELDS}
    failure = FormFailure("change", values, _t(request, "missing"))
    effective = parse_day(failure, "effective")
    when, tier = None, None
    if values["what"] == "tier":
        tier = _choice(failure, "tier", Tier)
    else:
        try:
            when = dt.time.fromisoformat(values["release_time"])
        except ValueError:
            failure.add("release_time", _t(request, "a time of day, HH:MM"))

    def act(session: Session, actor: str) -> None:
        assert effective is not None
        lifecycle.change_series(
            session,
            values["code"],
            effective=effective,
            notice=values["notice"],
            actor=actor,
            release_time=when,
            tier=tier,
            now=desk_now(request),
        )

    return _write(request, principal, failure, act, "changed")


def _choice(failure: FormFailure, name: str, kind: type[Tier]) -> Tier | None:
    try:
        return kind(failure.values[name])
    except ValueError:
        failure.add(name, failure.missing)
        return None


@router.post(f"{PATH}/discontinuation")
@access("write")
def discontinue_series(request: Request, principal: CurrentPrincipal, posted: Posted) -> Response:
    refused = _start(request, principal, posted, "discontinue")
    if refused is not None:
        return refused
    values = {name: posted.get(name, "").strip() for name in DISCONTINUE_FIELDS}
    failure = FormFailure("discontinue", values, _t(request, "missing"))
    effective = parse_day(failure, "effective")

    def act(session: Session, actor: str) -> None:
        assert effective is not None
        lifecycle.discontinue_series(
            session,
            values["code"],
            effective=effective,
            notice=values["notice"],
            actor=actor,
            now=desk_now(request),
        )

    return _write(request, principal, failure, act, "discontinued")
