"""Webhook requests: one signed JSON POST per delivery, all of a batch at once on one
connection pool (aiohttp: at a release a worker sends hundreds at once, and its client costs a
fraction of httpx's per request), each with a timeout (a receiver that hangs costs its delivery
one try, never the worker)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from metalwire.delivery.destination import RefusedDestination, check_url
from metalwire.delivery.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature,
)

USER_AGENT = "metalwire-webhooks/1"


@dataclass(frozen=True)
class WebhookRequest:
    delivery_id: str
    url: str
    event: str
    body: bytes
    secret: str


@dataclass(frozen=True)
class Outcome:
    delivery_id: str
    ok: bool
    status: int | None = None
    error: str | None = None
    # A refusal that no retry can change (the destination became private): dead at once.
    final: bool = False


def webhook_body(
    delivery_id: str, event: str, released_at: dt.datetime, now: dt.datetime, data: dict[str, Any]
) -> bytes:
    """The raw body that is signed: the timestamp is inside, so a replay is visible."""
    return json.dumps(
        {
            "id": delivery_id,
            "event": event,
            "released_at": released_at.isoformat(),
            "timestamp": int(now.timestamp()),
            "data": data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


async def _post(session: aiohttp.ClientSession, request: WebhookRequest) -> Outcome:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: request.event,
        DELIVERY_HEADER: request.delivery_id,
        SIGNATURE_HEADER: signature(request.body, request.secret),
    }
    try:
        async with session.post(
            request.url, data=request.body, headers=headers, allow_redirects=False
        ) as answer:
            status = answer.status
    except TimeoutError:
        return Outcome(request.delivery_id, False, error="timed out")
    except aiohttp.ClientError as exc:
        return Outcome(request.delivery_id, False, error=f"{type(exc).__name__}: {exc}"[:300])
    if 200 <= status < 300:
        return Outcome(request.delivery_id, True, status=status)
    return Outcome(request.delivery_id, False, status=status, error=f"HTTP {status}")


def _refused(
    requests: Sequence[WebhookRequest], allow_private: bool
) -> dict[str, RefusedDestination]:
    """The SSRF guard once per URL of the batch (a lookup each, before any request is made):
    a thousand deliveries to a few receivers resolve a few names, not a thousand."""
    refused = {}
    for url in {r.url for r in requests}:
        try:
            check_url(url, allow_private=allow_private)
        except RefusedDestination as exc:
            refused[url] = exc
    return refused


class WebhookSender:
    """Sends batches on one event loop and one connection pool kept between batches: at a
    release the worker sends batch after batch to the same receivers, and a kept connection
    saves each request its connect."""

    def __init__(self, *, timeout: float, allow_private: bool, concurrency: int = 100) -> None:
        self.timeout, self.allow_private, self.concurrency = timeout, allow_private, concurrency
        self._runner: asyncio.Runner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.concurrency, limit_per_host=self.concurrency
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout)
            )
        return self._session

    async def _post_all(self, requests: Sequence[WebhookRequest]) -> list[Outcome]:
        session = await self._open()
        return list(await asyncio.gather(*(_post(session, r) for r in requests)))

    def post_all(self, requests: Sequence[WebhookRequest]) -> list[Outcome]:
        """Every request of the batch at once (at most ``concurrency`` connections)."""
        if not requests:
            return []
        refused = _refused(requests, self.allow_private)
        outcomes = [
            Outcome(r.delivery_id, False, error=str(refused[r.url]), final=True)
            for r in requests
            if r.url in refused
        ]
        allowed = [r for r in requests if r.url not in refused]
        if allowed:
            if self._runner is None:
                self._runner = asyncio.Runner()
            outcomes += self._runner.run(self._post_all(allowed))
        return outcomes

    def close(self) -> None:
        if self._runner is None:
            return
        if self._session is not None:
            self._runner.run(self._session.close())
        self._runner.close()
        self._runner, self._session = None, None
