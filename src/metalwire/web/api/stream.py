"""``GET /api/v1/stream``: Server-Sent Events at the release instant, gated like every read.

The route holds no database connection while the stream is open: who is asking and the rate
limit are read on a short session of its own, then the stream waits on the worker's release
hub (web/release_hub.py), which builds each event's content through the gate for the reader's
plan. Not queued by admission (web/admission.py): a stream open for hours must not hold one of
the worker's request slots.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from metalwire.accounts.gate import Principal
from metalwire.outbox.models import EventKind
from metalwire.web.access import access
from metalwire.web.auth import admit, principal_on, rate_headers, rate_limited
from metalwire.web.problems import ProblemError
from metalwire.web.release_hub import Listener, ReleaseHub

PATH = "/api/v1/stream"
HEARTBEAT = 15.0  # seconds between comments that keep proxies from closing an idle stream
KINDS = tuple(kind.value for kind in EventKind)

router = APIRouter(prefix="/api/v1", tags=["stream"])


def _codes(value: str | None) -> frozenset[str]:
    return frozenset(c.strip().upper() for c in (value or "").split(",") if c.strip())


def _kinds(value: str | None) -> frozenset[str]:
    kinds = frozenset(k.strip() for k in (value or "").split(",") if k.strip())
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise ProblemError(
            422,
            f"events: unknown event {unknown[0]!r}; known: {', '.join(KINDS)}",
            kind="invalid-input",
        )
    return kinds


def _who(request: Request) -> tuple[Principal, dict[str, str]]:
    with request.app.state.sessions() as session:
        principal = principal_on(request, session)
        admission = admit(request, principal, session)
        session.commit()
    if not admission.allowed:
        raise rate_limited(admission)
    return principal, rate_headers(admission)


async def _events(request: Request, hub: ReleaseHub, listener: Listener) -> AsyncIterator[str]:
    """The stream's text until the client goes, the worker stops or the stream's life is up
    (``stream_max_seconds``: the browser's EventSource reconnects by itself)."""
    loop = asyncio.get_running_loop()
    ends = loop.time() + request.app.state.settings.stream_max_seconds
    try:
        yield "retry: 3000\n: metalwire release stream\n\n"
        while not listener.closed and not request.app.state.draining:
            left = ends - loop.time()
            if left <= 0:
                return
            try:
                yield await asyncio.wait_for(listener.queue.get(), min(HEARTBEAT, left))
            except TimeoutError:
                if await request.is_disconnected():
                    return
                yield ": keep-alive\n\n"
    finally:
        hub.unsubscribe(listener)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Release events as they happen, each as the reader may read it",
        },
        503: {"description": "This worker holds as many streams as it may; retry"},
    },
)
@access("gated")
async def release_stream(
    request: Request,
    series: Annotated[
        str | None,
        Query(description="Comma-separated series, survey or window codes; all if absent"),
    ] = None,
    events: Annotated[
        str | None,
        Query(description="Comma-separated event kinds (e.g. price.released); all if absent"),
    ] = None,
) -> StreamingResponse:
    """Server-Sent Events: `price.released`, `price.corrected`, `price.delayed`,
    `survey.released`, `report.published`, `window.opened`, `window.closed`, each sent at its
    release instant with the content the caller's plan may read (the same as the webhook
    payload's `data`); nothing before the instant, nothing above the plan. A comment every 15 s
    keeps the stream open. Pages subscribe to it to replace the release banner live."""
    kinds = _kinds(events)
    principal, headers = await anyio.to_thread.run_sync(_who, request)
    hub: ReleaseHub = request.app.state.release_hub
    listener = hub.subscribe(principal, _codes(series), kinds)
    if listener is None:
        raise ProblemError(
            503,
            "too many open streams on this worker",
            kind="unavailable",
            headers={"Retry-After": "5"},
        )
    return StreamingResponse(
        _events(request, hub, listener),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no", **headers},
    )
