"""What every desk page shares: the desk's clock, who may use it, and forms shown again with
an error beside each bad field.

The desk pages import ``web.i18n.translate`` as ``_t``: ``make messages`` extracts the strings
of ``_t(request, "...")`` calls.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from metalwire.accounts.gate import Principal, may_see_drafts
from metalwire.accounts.models import Scope
from metalwire.errors import Located, ServiceError
from metalwire.tabular import ImportRejected, TableError, parse_date, parse_decimal
from metalwire.web.api.desk import acting_user
from metalwire.web.deps import unit_of_work
from metalwire.web.i18n import translate as _t
from metalwire.web.pages.site import error_page
from metalwire.web.problems import ProblemError

# The desk works Shanghai hours: "today" is the market date the desk is pricing.
DESK_TIMEZONE = ZoneInfo("Asia/Shanghai")
# Larger than any day's evidence file; stops a stray upload from filling the disk.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
Stored = TypeVar("Stored")  # what an upload's importer returns


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


def refused_for_role(exc: ProblemError, principal: Principal) -> bool:
    """Staff refused for their role (an analyst where only an editor may act): the desk says
    who may, on the desk itself; any other refusal is the site's error page."""
    return exc.status == 403 and principal.is_staff


def done_redirect(path: str, query: Mapping[str, object]) -> RedirectResponse:
    """After a write: back to the desk page, the outcome named in the query (never free text)."""
    return RedirectResponse(f"{path}?{urlencode(query)}", status_code=303)


# --- form failures -----------------------------------------------------------------------------


@dataclass
class FormFailure:
    """A refused form, shown again with what was typed and an error next to each bad field."""

    form: str  # "assess", "correct", "override-<id>", "approve-<id>", "manual"
    values: dict[str, str]
    missing: str  # "missing", in the visitor's language
    errors: dict[str, str] = field(default_factory=dict)  # field -> message; "" = whole form
    status: int = 422  # the page's status when the form comes back

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def editors_only(self, exc: ProblemError, principal: Principal, message: str) -> None:
        """An analyst's 403 above the form, ``message`` saying who may; other refusals go on."""
        if not refused_for_role(exc, principal):
            raise exc
        self.status = 403
        self.add("", message)

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


# --- uploads ------------------------------------------------------------------------------------


def read_upload(file: UploadFile) -> bytes:
    """The file's bytes, one past the limit at most: enough to tell it is too large."""
    return file.file.read(MAX_UPLOAD_BYTES + 1)


def too_large(request: Request, content: bytes) -> str | None:
    """What the analyst is told of a file over the limit; None when it is within it."""
    if len(content) <= MAX_UPLOAD_BYTES:
        return None
    return _t(request, "The file is larger than 20 MB; split it into smaller files.")


@dataclass(frozen=True)
class UploadRefused:
    """An uploaded file of which nothing was stored: what the analyst is shown, a line each."""

    problems: list[str]


def import_upload(
    content: bytes, name: str, prefix: str, store: Callable[[Path], Stored]
) -> Stored | UploadRefused:
    """What ``store`` makes of the upload, or why it was refused whole (every bad row, or why
    the file cannot be read). ``store`` reads the upload as a file of its own name, in a folder
    removed afterwards: the audit trail names the source by the file's name."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            return store(path)
        except ImportRejected as exc:
            return UploadRefused(exc.lines())
        except TableError as exc:
            # The message names the temporary copy; the analyst knows the file by its own name.
            return UploadRefused([str(exc).replace(str(path), name)])


def act_as_staff(
    request: Request,
    principal: Principal,
    failure: FormFailure,
    act: Callable[[Session, str], object],
    *,
    scope: Scope,
    doing: str,
    role_refused: str | None = None,
) -> None:
    """Run ``act`` (with the signed-in member's e-mail) in one transaction, unless the form is
    already refused; the service's refusals land beside their fields, and a member whose role
    may not (an analyst where an editor must) is told ``role_refused`` above the form."""
    if failure.errors:
        return
    try:
        with unit_of_work(request) as session:
            user = acting_user(session, principal, scope, doing)
            act(session, user.email)
    except ProblemError as exc:
        if role_refused is None:
            raise
        failure.editors_only(exc, principal, role_refused)
    except ServiceError as exc:
        failure.status = exc.status  # 422, or 404 for no such row, 409 for a step out of order
        failure.refused(exc)
