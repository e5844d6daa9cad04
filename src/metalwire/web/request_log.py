"""Every request gets an id, an access record and a place in the metrics: the outermost layer.

Outermost, so that what it measures and stamps is every answer the worker gives: the queue's
503 refusals, the NUL guard's 422s and the fast paths' answers (which never reach the framework)
as well as the routes'. The id comes from the client or proxy (``X-Request-Id``) when it is
short and plain, so one id follows a request through the proxy's log and ours; anything else
(too long, a space, a quote or a newline meant to forge a log line) is replaced by a fresh one.

The per-request cost is one timer, one header, one dict and one ``json.dumps``; with the access
log off (``METALWIRE_ACCESS_LOG=false``) the record is not built at all.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from metalwire.logs import ACCESS_LOGGER, request_id

HEADER = b"x-request-id"
SAFE_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
# (method, path, status, seconds): what the metrics count of each answer.
Recorder = Callable[[str, str, int, float], None]

access_log = logging.getLogger(ACCESS_LOGGER)


class RequestIds:
    """Fresh request ids: a random prefix per process and a counter. Unique across workers and
    restarts (48 random bits per process), as long as a uuid4's hex, and without a call to the
    system's random source per request (a uuid4 was 0.7-3.6 % of a worker's samples at a release
    instant). An id names a request in the logs; it is no secret and grants nothing."""

    def __init__(self) -> None:
        self._pid = -1
        self._prefix = ""
        self._counter = itertools.count()

    def __call__(self) -> str:
        if self._pid != os.getpid():  # a forked worker must not repeat its parent's ids
            self._pid = os.getpid()
            self._prefix = secrets.token_hex(6)
            self._counter = itertools.count()
        return f"{self._prefix}{next(self._counter):020x}"


fresh_id = RequestIds()


def incoming_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == HEADER:
            if SAFE_ID.fullmatch(value):
                return str(value.decode("ascii"))
            break
    return fresh_id()


class RequestLog:
    def __init__(self, app: ASGIApp, *, record: Recorder | None = None) -> None:
        self.app = app
        self.record = record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = incoming_id(scope)
        header = (HEADER, rid.encode("ascii"))
        status = 0
        sent = 0

        async def stamped(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        token = request_id.set(rid)
        try:
            await self.app(scope, receive, stamped)
        finally:
            # A request that failed before answering is reported as the 500 the server sends.
            self._done(scope, rid, status or 500, sent, time.perf_counter() - started)
            request_id.reset(token)

    def _done(self, scope: Scope, rid: str, status: int, sent: int, seconds: float) -> None:
        method, path = scope["method"], scope["path"]
        if self.record is not None:
            self.record(method, path, status, seconds)
        if not access_log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        http = {
            "request_id": rid,
            "method": method,
            "path": path,  # never the query string: it may carry a token
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "bytes": sent,
            "pid": os.getpid(),
            "client": client[0] if client else None,
        }
        access_log.info(
            "%s %s %d %.1fms",
            method,
            path,
            status,
            seconds * 1000,
            extra={"http": http, "request_id": rid},
        )
