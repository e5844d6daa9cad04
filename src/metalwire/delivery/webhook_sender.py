"""Webhook requests: one signed JSON POST per delivery, all of a batch at once on one
connection pool, each with a timeout (a receiver that hangs costs its delivery one try, never
the worker)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

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


async def _post(client: httpx.AsyncClient, request: WebhookRequest, allow_private: bool) -> Outcome:
    try:
        check_url(request.url, allow_private=allow_private)
    except RefusedDestination as exc:
        return Outcome(request.delivery_id, False, error=str(exc), final=True)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: request.event,
        DELIVERY_HEADER: request.delivery_id,
        SIGNATURE_HEADER: signature(request.body, request.secret),
    }
    try:
        answer = await client.post(request.url, content=request.body, headers=headers)
    except httpx.TimeoutException:
        return Outcome(request.delivery_id, False, error="timed out")
    except httpx.HTTPError as exc:
        return Outcome(request.delivery_id, False, error=f"{type(exc).__name__}: {exc}"[:300])
    if 200 <= answer.status_code < 300:
        return Outcome(request.delivery_id, True, status=answer.status_code)
    return Outcome(
        request.delivery_id, False, status=answer.status_code, error=f"HTTP {answer.status_code}"
    )


async def _post_all(
    requests: Sequence[WebhookRequest], timeout: float, allow_private: bool, concurrency: int
) -> list[Outcome]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(timeout), limits=limits, follow_redirects=False
    ) as client:
        return list(await asyncio.gather(*(_post(client, r, allow_private) for r in requests)))


def post_all(
    requests: Sequence[WebhookRequest],
    *,
    timeout: float,
    allow_private: bool,
    concurrency: int = 100,
) -> list[Outcome]:
    if not requests:
        return []
    return asyncio.run(_post_all(requests, timeout, allow_private, concurrency))
