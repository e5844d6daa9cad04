"""Signed-in readers' pages made once per plan, with the reader filled in per request.

At a release instant subscribers refresh the home, entry and series pages signed in. What such
a page shows depends on the reader's plan, role and colour convention, the language, the minute
and what was released; only two things on it name the reader: the e-mail in the account links
and the session's form token of the sign-out button. This layer reads the reader behind the
session cookie and the content stamp in one statement, keys the page by everything it depends
on but the reader, and keeps it with markers where the e-mail and the token go
(``shared.Placeholders``, which ``site.page`` renders in their place); each request gets the
kept page with its own e-mail and token filled in, compressed for it.

The route renders the page with the very principal the key was made from (the layer hands it
over in the request state), so a plan changed between the statement and the rendering cannot
put one plan's page under another plan's key. A request goes to the routes as it is when the
session is unknown or expired (the route answers it as an anonymous visitor's), and whatever the
anonymous layer (web/shared_pages.py) would not take besides the cookie.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from markupsafe import escape
from sqlalchemy import Select
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from metalwire.accounts import service as accounts
from metalwire.accounts.credentials import token_hash
from metalwire.accounts.gate import Principal
from metalwire.web.auth import SESSION_COOKIE, session_csrf_token
from metalwire.web.body_cache import BodyCache, CachedBody
from metalwire.web.gzip_parts import (
    MINIMUM_SIZE,
    UNCOMPRESSED_MEDIA_TYPES,
    GzipParts,
    gzip_member,
)
from metalwire.web.minute_turn import minute_of
from metalwire.web.shared import PLACEHOLDERS, Placeholders, content_stamp
from metalwire.web.shared_pages import KeptAnswers, keepable, plain_get, route_answer

# Per worker and unguessable, so that no content a page shows can carry a marker by chance.
_MARK = secrets.token_hex(8)
EMAIL_MARK = f"mw{_MARK}email"
CSRF_MARK = f"mw{_MARK}csrf"


HOLDER_COLUMNS = len(accounts.SESSION_HOLDER.selected_columns)


def reader_statement() -> Select[Any]:
    """The reader behind a session (accounts.SESSION_HOLDER, its first HOLDER_COLUMNS columns)
    and the content stamp, in one statement."""
    return accounts.SESSION_HOLDER.add_columns(*content_stamp().selected_columns)


@dataclass(frozen=True)
class Visit:
    shape: tuple[Hashable, ...]  # the request as the routes see it, less the session cookie
    session_token: str
    gzip: bool


@dataclass(frozen=True)
class Reader:
    principal: Principal
    colour_convention: str | None
    csrf_token: str
    minute: dt.datetime
    gzip: bool


class SignedInPages(KeptAnswers):
    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self._statement = reader_statement()

    def visit(self, scope: Scope) -> Visit | None:
        headers = plain_get(scope)
        if headers is None:
            return None
        # Parsed as the routes parse them (request.cookies), so the key holds what they read.
        cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
        token = cookies.pop(SESSION_COOKIE, None)
        if not token:
            return None
        shape = (
            scope["scheme"],
            headers.get(b"host", b""),
            scope["path"],
            scope["query_string"],
            tuple(sorted(cookies.items())),  # the language, the banner's "Got it"
            headers.get(b"accept-language", b""),
        )
        return Visit(shape, token, b"gzip" in headers.get(b"accept-encoding", b""))

    def read(self, state: Any, visit: Visit) -> tuple[tuple[Hashable, ...], Reader] | None:
        minute = minute_of(state.clock())  # before the statement, as the anonymous layer's
        with state.engine.connect() as connection:
            row = connection.execute(
                self._statement, {"token_hash": token_hash(visit.session_token)}
            ).one_or_none()
        if row is None:
            return None
        holder = accounts.session_holder_of(tuple(row[:HOLDER_COLUMNS]))
        if holder is None:
            return None
        principal = holder.principal
        key = (
            "signed-in-page",
            visit.shape,
            principal.role,
            principal.entitlements,
            holder.colour_convention,
            tuple(row[HOLDER_COLUMNS:]),
            minute,  # last: web/minute_turn.py
        )
        csrf = session_csrf_token(state.settings.secret_key, visit.session_token)
        reader = Reader(principal, holder.colour_convention, csrf, minute, visit.gzip)
        return key, reader

    async def send_kept(self, kept: CachedBody, context: Reader, send: Send) -> None:
        await _send_filled(send, 200, list(kept.headers), kept.body, context, kept.pieces)

    async def make(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: tuple[Hashable, ...] | None,
        context: Reader,
    ) -> None:
        # The route renders for the principal of the key, with markers for the reader, and
        # answers uncompressed: the markers are filled in before compression.
        inner = dict(scope)
        inner["headers"] = [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]
        inner["state"] = {
            **scope.get("state", {}),
            "principal": context.principal,
            PLACEHOLDERS: Placeholders(EMAIL_MARK, CSRF_MARK, context.colour_convention),
        }
        answer = await route_answer(self.app, inner, receive)
        if answer.start is None:
            raise RuntimeError(f"{scope['path']}: the route gave no answer")
        body, headers = answer.body, answer.headers
        pieces = None
        if key is not None and keepable(inner, answer.start, answer.complete, context.minute):
            pieces = reader_pieces(body)
            cache: BodyCache = scope["app"].state.body_cache
            cache.put(key, body, "", headers=tuple(headers), pieces=pieces)
        await _send_filled(send, answer.start["status"], headers, body, context, pieces)


def reader_pieces(body: bytes) -> GzipParts | None:
    """The page compressed around the span of its placeholders, or None without them."""
    marks = (EMAIL_MARK.encode(), CSRF_MARK.encode())
    starts = [i for i in (body.find(m) for m in marks) if i >= 0]
    if not starts:
        return None
    end = max(body.rfind(m) + len(m) for m in marks if m in body)
    return GzipParts.around(body, min(starts), end)


def fill(body: bytes, reader: Reader) -> bytes:
    """The kept page with this reader's e-mail (escaped as the template escapes it) and form
    token in place of the markers."""
    email = str(escape(reader.principal.email or "")).encode()
    return body.replace(EMAIL_MARK.encode(), email).replace(
        CSRF_MARK.encode(), reader.csrf_token.encode()
    )


async def _send_filled(
    send: Send,
    status: int,
    raw: list[tuple[bytes, bytes]],
    body: bytes,
    reader: Reader,
    pieces: GzipParts | None = None,
) -> None:
    headers = MutableHeaders(raw=raw)
    if "content-encoding" not in headers:  # an encoded body carries no markers
        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        compress = len(body) >= MINIMUM_SIZE and media_type not in UNCOMPRESSED_MEDIA_TYPES
        if compress:
            headers.add_vary_header("Accept-Encoding")
        if compress and reader.gzip:
            # The kept page was compressed once around the reader's part: only that is new.
            if pieces is not None:
                body = pieces.gzip(fill(pieces.middle, reader))
            else:
                body = gzip_member(fill(body, reader))
            headers["Content-Encoding"] = "gzip"
        else:
            body = fill(body, reader)
    headers["Content-Length"] = str(len(body))
    await send({"type": "http.response.start", "status": status, "headers": headers.raw})
    await send({"type": "http.response.body", "body": body})
