"""Admission: how many requests one worker serves at once, and what the rest are told.

At a release instant every subscriber asks at once. A worker serves ``capacity`` requests at a
time (its thread count, which is also its database pool size, so an admitted request never waits
for a connection); the others wait in a first-come queue, each for at most ``queue_timeout``
seconds, and no more than ``queue_limit`` of them. A request that cannot be served in time is
answered at once with 503, ``Retry-After`` and a problem+json body, never left hanging: a client
that is told to come back in a second is better served than one that times out after thirty.

Paths that touch no pooled connection (``/healthz``, ``/readyz``, ``/metrics``, ``/static``) are
not queued: the health checks and the metrics must answer while the worker is saturated, and a
stylesheet should not wait behind a price history. Every admitted request is served inside the
checkout ledger, which proves it held at most one pooled connection and returned it.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from metalwire.db.checkouts import CheckoutLedger
from metalwire.web.problems import PROBLEM_JSON

UNQUEUED_PREFIXES = ("/healthz", "/readyz", "/metrics", "/static/", "/api/v1/stream")
REFUSAL_PACE = 0.25  # seconds before a full queue's 503 is sent


@dataclass
class AdmissionStats:
    """What /healthz and operators see of the queue."""

    capacity: int
    queue_limit: int
    queue_timeout: float
    active: int = 0
    waiting: int = 0
    served: int = 0
    shed_full: int = 0  # refused because the queue was full
    shed_waited: int = 0  # refused after waiting queue_timeout

    @property
    def saturated(self) -> bool:
        return self.active >= self.capacity

    def as_dict(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            "active": self.active,
            "waiting": self.waiting,
            "queue_limit": self.queue_limit,
            "served": self.served,
            "refused_queue_full": self.shed_full,
            "refused_waited_too_long": self.shed_waited,
        }


class Admission:
    def __init__(
        self,
        app: ASGIApp,
        *,
        stats: AdmissionStats,
        ledger: CheckoutLedger,
        refused: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.stats = stats
        self.ledger = ledger
        # Told of each refusal as it happens (the metrics count them across workers).
        self.refused = refused or (lambda _reason: None)
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNQUEUED_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # made on the worker's own event loop
            self._slots = asyncio.Semaphore(self.stats.capacity)
            # Every admitted request may need a thread at once (sync routes, the fast path),
            # plus the unqueued paths' file reads: never fewer threads than slots.
            threads = anyio.to_thread.current_default_thread_limiter()
            threads.total_tokens = max(threads.total_tokens, self.stats.capacity + 8)
        stats = self.stats
        if self._slots.locked() and stats.waiting >= stats.queue_limit:
            stats.shed_full += 1
            self.refused("queue_full")
            # Clients that ask again at once, not heeding Retry-After, kept one worker at 500
            # clients refusing 2,400 requests a second and serving 60: a refusal paced by a
            # quarter of a second costs nothing while it waits and bounds each client's retries.
            await asyncio.sleep(REFUSAL_PACE)
            await send_unavailable(
                send, scope["path"], 1, "the service is at capacity; retry in a second"
            )
            return
        if self._slots.locked() or stats.waiting:
            if not await self._queue(scope, send):
                return
        else:
            await self._slots.acquire()  # a free slot and no one before: no wait, no timer
        stats.active += 1
        try:
            with self.ledger.serving(f"{scope['method']} {scope['path']}"):
                await self.app(scope, receive, send)
        finally:
            stats.active -= 1
            stats.served += 1
            self._slots.release()

    async def _queue(self, scope: Scope, send: Send) -> bool:
        """Wait for a slot, first come first served, for at most the queue's timeout; False
        (and the refusal sent) when none came in time."""
        assert self._slots is not None
        stats = self.stats
        stats.waiting += 1
        started = time.monotonic()
        try:
            async with asyncio.timeout(stats.queue_timeout):
                await self._slots.acquire()
            return True
        except TimeoutError:
            stats.shed_waited += 1
            self.refused("waited_too_long")
            waited = time.monotonic() - started
            await send_unavailable(
                send, scope["path"], max(1, math.ceil(waited)), "the service is busy; retry shortly"
            )
            return False
        finally:
            stats.waiting -= 1


async def send_unavailable(send: Send, path: str, retry_after: int, detail: str) -> None:
    """503 with Retry-After and an RFC 9457 body, sent straight from the ASGI layer."""
    body = json.dumps(
        {
            "type": "urn:metalwire:problem:unavailable",
            "title": "Service Unavailable",
            "status": 503,
            "detail": detail,
            "instance": path,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
