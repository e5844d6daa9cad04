"""What every desk page shares: the desk's clock, who may use it, and forms shown again with
an error beside each bad field.

The desk pages import ``web.i18n.translate`` as ``_t``: ``make messages`` extracts the strings
of ``_t(request, "...")`` calls.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from metalwire.accounts.gate import Principal, may_see_drafts
from metalwire.errors import Located, ServiceError
from metalwire.tabular import parse_date, parse_decimal
from metalwire.web.i18n import translate as _t
from metalwire.web.pages.site import error_page

# The desk works Shanghai hours: "today" is the market date the desk is pricing.
DESK_TIMEZONE = ZoneInfo("Asia/Shanghai")
# Larger than any day's evidence file; stops a stray upload from filling the disk.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def desk_now(request: Request) -> dt.datetime:
    now: dt.datetime = request.app.state.clock()
    return now


def desk_today(request: Request) -> dt.date:
    return desk_now(request).astimezone(DESK_TIMEZONE).date()


# --- who may use the desk ----------------------------------------------------------------------


def sign_in(target: str) -> RedirectResponse:
    return RedirectResponse("/sign-in?next=" + quote(target, safe="/?=&"), status_code=303)


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def refuse_non_staff(request: Request, principal: Principal) -> Response | None:
    """Anonymous visitors are sent to sign in; signed-in non-staff are refused (403)."""
    if principal.is_anonymous:
        return sign_in(_here(request))
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

    def refused(self, exc: ValueError) -> None:
        """The service's problems beside the fields they name, the others above the form."""
        problems = exc.problems if isinstance(exc, ServiceError) else (Located(str(exc)),)
        for problem in problems:
            if problem.field is not None and problem.field in self.values:
                self.add(problem.field, problem.message)
            else:
                self.add("", str(problem))


def parse_prices(
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


def parse_day(failure: FormFailure, name: str = "date") -> dt.date | None:
    text = failure.values.get(name, "").strip()
    if not text:
        failure.add(name, failure.missing)
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        failure.add(name, str(exc))
        return None


def form_day(text: str, fallback: dt.date) -> dt.date:
    try:
        return parse_date(text.strip())
    except ValueError:
        return fallback


def desk_time(moment: dt.datetime | None) -> str | None:
    """A moment in the desk's own time, with its offset: the form the publish field accepts."""
    if moment is None:
        return None
    return moment.astimezone(DESK_TIMEZONE).isoformat(timespec="minutes")


def safe_name(filename: str) -> str:
    """The uploaded file's own name (no folders, plain characters): the audit trail's source."""
    name = re.sub(r"[^\w.\-]+", "_", Path(filename.replace("\\", "/")).name).strip("._")
    return name or "upload"
