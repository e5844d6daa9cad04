"""Anonymous pages and feeds sent whole, without the framework, while nothing they show changed.

At a release instant most readers are not signed in, and they all ask for the home page, an
entry page, a series page or a feed. Those routes already share their content (web/shared.py);
what each request still costs is the framework, the page around the content and compression.
This ASGI layer keeps the whole answer (status, headers and the compressed bytes) of a route
that marked it shareable (``shared.mark_shareable``: an anonymous visitor, no form token, no
cookie naming anyone) and sends it again to the next anonymous visitor asking the same,
after one statement that reads everything the answer is made from: the free plan, approvals,
articles, survey releases and audited definitions (``shared.content_stamp``). The key also
holds the minute, as the content caches' keys do, so an answer made before a release time is
never sent after its minute.

A request goes to the routes when the layer cannot answer exactly as they would: an API key or
a session cookie, a conditional request (If-None-Match, If-Modified-Since, Range: the routes
answer 304 themselves), a path outside the shared ones, an answer not yet kept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlalchemy import Select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from metalwire.accounts import service as accounts
from metalwire.web.auth import SESSION_COOKIE
from metalwire.web.body_cache import BodyCache, CachedBody
from metalwire.web.deps import LANG_COOKIE
from metalwire.web.minute_turn import minute_of
from metalwire.web.offload import in_thread
from metalwire.web.shared import SHAREABLE, content_stamp

# The pages every reader asks for at a release instant, and the feeds readers poll.
SHARED_PATHS = re.compile(r"/|/entry/[^/]+|/series/[^/]+|/feeds/[^/]+/(?:rss|atom)")
# The route answers these itself (a 304, a part).
CONDITIONAL = (b"if-none-match", b"if-modified-since", b"if-range", b"range")
FOLLOWER_WAIT = 2.0  # seconds a request waits for another one making the same answer


def page_stamp() -> Select[Any]:
    """Everything an anonymous page is made from besides the clock, in one statement."""
    return content_stamp().add_columns(accounts.FREE_PLAN.scalar_subquery())


class KeptAnswers:
    """What the shared layers have in common: a request they can answer is keyed after one
    statement, answered from the body cache when a request made the same before, and made by the
    routes (once, when readers arrive together) and kept when it is not. Subclasses say which
    requests they take (``visit``), how the key is read (``read``), how a kept answer is sent
    (``send_kept``) and how one is made (``make``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._making: dict[tuple[Hashable, ...], anyio.Event] = {}  # one event loop per worker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        visit = self.visit(scope)
        if visit is None:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        # One hop to the thread pool for the statement: no database call on the event loop.
        found = await in_thread(state, self.read, state, visit)
        if found is None:
            await self.app(scope, receive, send)  # the route answers what this layer cannot
            return
        key, context = found
        cache: BodyCache = state.body_cache
        hit = cache.get(key)
        making = self._making.get(key)
        if hit is None:
            # At a minute's turn every kept answer is made again at once (web/minute_turn.py).
            being_made = (key in self._making, len(self._making))
            hit = cache.previous_minute(key, state.clock(), making=being_made)
        if hit is None and making is not None:
            # Readers arriving together miss at once: one request makes the answer while the
            # others wait for it (bounded), instead of all rendering it side by side.
            with anyio.move_on_after(FOLLOWER_WAIT):
                await making.wait()
            hit = cache.get(key)
        if hit is not None:
            await self.send_kept(hit, context, send)
            state.shared_page_hits += 1  # operators (and tests) see the layer is taken
            return
        if making is not None:
            await self.make(scope, receive, send, None, context)  # the first failed or is slow
            return
        making = self._making[key] = anyio.Event()
        try:
            await self.make(scope, receive, send, key, context)
        finally:
            del self._making[key]
            making.set()

    def visit(self, scope: Scope) -> Any:
        """What the answer may depend on besides the database and the clock; None when this
        layer does not answer the request."""
        raise NotImplementedError

    def read(self, state: Any, visit: Any) -> tuple[tuple[Hashable, ...], Any] | None:
        """The key (and what sending needs), or None to leave the request to the routes."""
        raise NotImplementedError

    async def send_kept(self, kept: CachedBody, context: Any, send: Send) -> None:
        raise NotImplementedError

    async def make(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: tuple[Hashable, ...] | None,
        context: Any,
    ) -> None:
        """Answer through the routes, and keep the answer under ``key`` (None: don't keep)."""
        raise NotImplementedError


@dataclass
class Captured:
    """An answer as a route sends it: its start message and its body's chunks."""

    start: Message | None = None
    chunks: list[bytes] = field(default_factory=list)
    complete: bool = False

    def take(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            self.complete = not message.get("more_body", False)

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        assert self.start is not None
        return [(bytes(k), bytes(v)) for k, v in self.start["headers"]]


async def route_answer(
    app: ASGIApp, scope: Scope, receive: Receive, forward: Send | None = None
) -> Captured:
    """The routes' answer to ``scope`` as they send it; passed on to ``forward`` as it comes
    when given (the anonymous layer sends it as it is, the signed-in one fills it in first)."""
    answer = Captured()

    async def take(message: Message) -> None:
        answer.take(message)
        if forward is not None:
            await forward(message)

    await app(scope, receive, take)
    return answer


def keepable(scope: Scope, start: Message | None, complete: bool, minute: dt.datetime) -> bool:
    """A whole 200 that a route marked shareable, setting no cookie but the language's, made
    within the minute of its key."""
    return (
        start is not None
        and complete
        and start["status"] == 200
        and bool(scope.get("state", {}).get(SHAREABLE))
        and _names_no_one(start["headers"])
        and minute_of(scope["app"].state.clock()) == minute
    )


class SharedPages(KeptAnswers):
    """Anonymous visitors' pages and feeds, kept as sent (compressed)."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self._stamp = page_stamp()

    def visit(self, scope: Scope) -> tuple[Hashable, ...] | None:
        return _anonymous_visitor(scope)

    def read(
        self, state: Any, visit: tuple[Hashable, ...]
    ) -> tuple[tuple[Hashable, ...], dt.datetime]:
        # The clock before the statement: the answer kept can only be newer than its key.
        minute = minute_of(state.clock())
        with state.engine.connect() as connection:
            stamp = tuple(connection.execute(self._stamp).one())
        return ("shared-page", visit, stamp, minute), minute  # the minute last (minute_turn)

    async def send_kept(self, kept: CachedBody, context: Any, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": kept.headers})
        await send({"type": "http.response.body", "body": kept.body})

    async def make(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: tuple[Hashable, ...] | None,
        context: dt.datetime,
    ) -> None:
        answer = await route_answer(self.app, scope, receive, send)
        if key is not None and keepable(scope, answer.start, answer.complete, context):
            cache: BodyCache = scope["app"].state.body_cache
            cache.put(key, answer.body, "", headers=tuple(answer.headers))


def plain_get(scope: Scope) -> dict[bytes, bytes] | None:
    """The headers of a GET of a shared path that names no API key and asks for no part or
    revalidation (the routes answer those themselves); None for any other request."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    if not SHARED_PATHS.fullmatch(scope["path"]):
        return None
    headers: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in headers:
            return None  # a repeated header: which one a route reads is not this layer's guess
        headers[name] = value
    if b"authorization" in headers or any(name in headers for name in CONDITIONAL):
        return None
    return headers


def _anonymous_visitor(scope: Scope) -> tuple[Hashable, ...] | None:
    """What, besides the database and the clock, the answer to this request may depend on; None
    when the request is not one this layer answers."""
    headers = plain_get(scope)
    if headers is None:
        return None
    cookie = headers.get(b"cookie", b"")
    if SESSION_COOKIE.encode() + b"=" in cookie:
        return None
    return (
        scope["scheme"],
        headers.get(b"host", b""),
        scope["path"],
        scope["query_string"],
        cookie,  # the language, the banner's "Got it", and anything else a route may read
        headers.get(b"accept-language", b""),
        b"gzip" in headers.get(b"accept-encoding", b""),
    )


def _names_no_one(headers: list[tuple[bytes, bytes]]) -> bool:
    """No cookie but the language one (set the same for everyone asking with ``?lang=``)."""
    lang = LANG_COOKIE.encode() + b"="
    return all(name.lower() != b"set-cookie" or value.startswith(lang) for name, value in headers)
