"""A fast path for released price histories and the latest prices: cached answers served
without the framework.

Twenty years of a daily series is a 1.3 MB answer that many clients poll, and at a release
instant every API client polls the latest prices. The full routes (web/api/prices.py) compute
them and keep the bytes in the body cache; this ASGI layer sends those bytes again when nothing
the answer depends on has changed. It reads the key's holder and
the series' standing (tier, group, publication stamp) in one statement each, asks the same gate,
counts the same rate limit and records a key's last use (once a minute) as the full route, and
hands the request to the full route whenever it cannot answer exactly as that would: a cache
miss, anything the gate refuses, a session cookie, an ``as_of``, a rate-limit refusal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import Engine, Select, select, true
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from metalwire.accounts import service as accounts
from metalwire.accounts.gate import Principal, history_floor, may_read_tier
from metalwire.db.base import utcnow
from metalwire.pricing.published import SERIES_STANDING, standing_of
from metalwire.web.api import API_PREFIX
from metalwire.web.api.prices import history_key, next_link, raw_query
from metalwire.web.auth import SESSION_COOKIE, admit, rate_headers
from metalwire.web.body_cache import BodyCache, CachedBody
from metalwire.web.deps import resolve_lang
from metalwire.web.http_cache import not_modified
from metalwire.web.offload import in_thread
from metalwire.web.shared import content_stamp, shared_key

AnySelect = Select[*tuple[Any, ...]]
Answer = tuple[int, dict[str, str], bytes]
HISTORY = re.compile(re.escape(API_PREFIX) + r"/series/([^/]+)/prices")
LATEST = API_PREFIX + "/prices/latest"
LATEST_FILTERS = frozenset({"group", "entry", "lang"})


class FastHistory:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = HISTORY.fullmatch(scope["path"])
            if match and "as_of" not in raw_query(scope):
                if await self._answer(scope, send, _prepare, match.group(1)):
                    return
            elif scope["path"] == LATEST and await self._answer(scope, send, _prepare_latest):
                return
        await self.app(scope, receive, send)

    async def _answer(
        self, scope: Scope, send: Send, prepare: Callable[..., Answer | None], *args: str
    ) -> bool:
        request = Request(scope)
        # The reads and the rate-limit count block: one hop to the thread pool for all of them,
        # never a database call on the event loop.
        answer = await in_thread(request.app.state, prepare, request, *args)
        if answer is None:
            return False
        status, headers, body = answer
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": body})
        request.app.state.fast_history_hits += 1  # operators (and tests) see the path is taken
        return True


def _prepare(request: Request, code: str) -> Answer | None:
    """The status, headers and body the full route would send, or None to leave it to it."""
    query = raw_query(request.scope)
    state = request.app.state
    engine: Engine = state.engine
    now = state.clock()
    found = _read(request, engine, (KEYED, ANONYMOUS), {"code": code, "as_of": now}, now)
    if found is None:
        return None
    principal, row = found
    standing = standing_of(row)
    if not may_read_tier(principal, standing.tier, standing.group):
        return None
    lang = resolve_lang(request, dict(parse_qsl(query)).get("lang"))
    key = history_key(
        request.scope["path"],
        query,
        history_floor(principal, now.date()),
        lang,
        standing.stamp,
        None,
    )
    body_cache: BodyCache = state.body_cache
    hit = body_cache.get(key)
    if hit is None:
        return None
    return _send_cached(request, principal, hit, max_age=60, link=next_link(hit.body))


def _prepare_latest(request: Request) -> Answer | None:
    """The latest prices as the full route would send them (a body every reader of a plan
    shares within a minute, web/shared.py), or None to leave the request to it."""
    params = parse_qsl(raw_query(request.scope), keep_blank_values=True)
    given = dict(params)
    if len(given) != len(params) or not given.keys() <= LATEST_FILTERS:
        return None  # a repeated or unknown parameter: the route says what it makes of it
    if given.get("lang", "en") not in ("en", "zh"):
        return None
    state = request.app.state
    now = state.clock()
    found = _read(request, state.engine, (LATEST_KEYED, LATEST_ANONYMOUS), {}, now)
    if found is None:
        return None
    principal, stamp = found
    lang = resolve_lang(request, given.get("lang"))
    what = ("latest", given.get("group"), given.get("entry"), lang)
    body_cache: BodyCache = state.body_cache
    key = shared_key(what, lang, principal, now, stamp)
    hit = body_cache.get(key) or body_cache.previous_minute(key, now)
    if hit is None:
        return None
    return _send_cached(request, principal, hit, max_age=30)


def _send_cached(
    request: Request,
    principal: Principal,
    hit: CachedBody,
    *,
    max_age: int,
    link: str | None = None,
) -> Answer | None:
    """What ``http_cache.cached`` and the API's rate limit would send for a kept body."""
    admission = admit(request, principal)
    if not admission.allowed:
        return None  # the full route answers the refusal
    headers = {
        "etag": hit.etag,
        "cache-control": f"{'public' if principal.is_anonymous else 'private'}, max-age={max_age}",
        "vary": "Authorization, Cookie",
        **{name.lower(): value for name, value in rate_headers(admission).items()},
    }
    if link:
        headers["link"] = f'<{link}>; rel="next"'
    if not_modified(request.headers.get("if-none-match", ""), hit.etag):
        return 304, headers, b""
    headers["content-type"] = hit.media_type
    headers["content-length"] = str(len(hit.body))
    return 200, headers, hit.body


# The caller and the series in one statement (two reads side by side): no row when either is
# missing, and then the full route says which.
def _side_by_side(first: AnySelect, second: AnySelect) -> AnySelect:
    left, right = first.subquery(), second.subquery()
    return select(left, right).select_from(left.join(right, true()))


KEYED = _side_by_side(accounts.KEY_HOLDER, SERIES_STANDING)
ANONYMOUS = _side_by_side(accounts.FREE_PLAN, SERIES_STANDING)
LATEST_KEYED = _side_by_side(accounts.KEY_HOLDER, content_stamp())
LATEST_ANONYMOUS = _side_by_side(accounts.FREE_PLAN, content_stamp())
KEY_COLUMNS = len(accounts.KEY_HOLDER.selected_columns)


def _read(
    request: Request,
    engine: Engine,
    statements: tuple[AnySelect, AnySelect],
    params: dict[str, Any],
    now: dt.datetime,
) -> tuple[Principal, tuple[Any, ...]] | None:
    """The caller and the rest of the row (the series' standing, a content stamp) as the full
    route would see them, or None to leave the request to it. The connection is returned
    before the rate limit is counted, so the request never holds two."""
    keyed, anonymous = statements
    header = request.headers.get("authorization")
    if header is None:
        if SESSION_COOKIE in request.cookies:
            return None
        with engine.connect() as connection:
            row = connection.execute(anonymous, {**params, "as_of": now}).one_or_none()
        if row is None:
            return None
        return accounts.anonymous_principal_of(row[0]), tuple(row[1:])
    scheme, _, value = header.partition(" ")
    split = accounts.split_key(value.strip())
    if scheme.lower() != "bearer" or split is None:
        return None
    with engine.connect() as connection:
        row = connection.execute(keyed, {**params, "prefix": split[0], "as_of": now}).one_or_none()
    if row is None:
        return None
    holder = accounts.holder_of(tuple(row[:KEY_COLUMNS]), split[1])
    if holder is None:
        return None
    used_at = utcnow()  # resolve_api_key's clock
    if accounts.needs_marking(holder.last_used_at, used_at):
        # Recorded here, in a transaction of its own after the read's connection went back, as
        # the route would: at a release instant every key falls due at once, and sending each
        # through the whole route for it made the opening second's tail.
        with request.app.state.write_lock, engine.begin() as connection:
            assert holder.principal.key_id is not None
            accounts.mark_used(connection, holder.principal.key_id, used_at)
    return holder.principal, tuple(row[KEY_COLUMNS:])
