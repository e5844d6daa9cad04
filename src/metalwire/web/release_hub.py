"""The live side of a release, one per server worker: open streams (``GET /api/v1/stream``)
are told of each release event at its instant.

The outbox already knows every release instant in advance (an approval before the release time
writes its event then), so the hub sleeps until the next one, or at most ``POLL`` seconds for
events written since (an approval past the time releases at once). It runs only while a stream
is open. An event's content is built once per plan, in a thread, through the gate
(delivery/content.py) — as a webhook's is — and each stream is sent what its reader may read:
nothing before the instant, nothing above the plan.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from metalwire.accounts.entitlements import Entitlements
from metalwire.accounts.gate import Principal
from metalwire.delivery.content import event_data
from metalwire.outbox.models import ReleaseEvent

log = logging.getLogger("metalwire.stream")

POLL = 0.25  # seconds: the longest an approval made past its release time waits to be streamed
LOOK_BACK = dt.timedelta(minutes=10)  # events due this recently are still news to the hub
QUEUE = 100  # messages a slow stream may fall behind before it is closed
MAX_STREAMS = 2000  # per worker; beyond it a stream is refused with 503


@dataclass(eq=False)
class Listener:
    principal: Principal
    codes: frozenset[str]  # empty: every series, survey and window
    kinds: frozenset[str]  # empty: every event kind
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(QUEUE))
    closed: bool = False

    def wants(self, event: ReleaseEvent) -> bool:
        return (not self.codes or event.code in self.codes) and (
            not self.kinds or event.kind.value in self.kinds
        )


def message(event: ReleaseEvent, data: dict[str, object]) -> str:
    """One Server-Sent Event: the outbox id (a reconnecting client's Last-Event-ID), the kind,
    and the content on one data line."""
    body = json.dumps(
        {"event": event.kind.value, "released_at": event.due_at.isoformat(), "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return f"id: {event.id}\nevent: {event.kind.value}\ndata: {body}\n\n"


class ReleaseHub:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], dt.datetime]) -> None:
        self.sessions, self.clock = sessions, clock
        self.listeners: set[Listener] = set()
        self.sent: dict[int, dt.datetime] = {}  # event id -> due, for the LOOK_BACK window
        self.task: asyncio.Task[None] | None = None
        self.started_at: dt.datetime | None = None

    # --- streams -----------------------------------------------------------------------

    def subscribe(
        self, principal: Principal, codes: frozenset[str], kinds: frozenset[str]
    ) -> Listener | None:
        """A new stream, or None when the worker holds as many as it may."""
        if len(self.listeners) >= MAX_STREAMS:
            return None
        listener = Listener(principal, codes, kinds)
        self.listeners.add(listener)
        if self.task is None or self.task.done():
            # Only what falls due from now on is news to a stream that opens now.
            self.started_at = self.clock()
            self.task = asyncio.get_running_loop().create_task(self._run())
        return listener

    def unsubscribe(self, listener: Listener) -> None:
        listener.closed = True
        self.listeners.discard(listener)

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()

    # --- the watch -----------------------------------------------------------------------

    async def _run(self) -> None:
        while self.listeners:
            try:
                now = self.clock()
                due, upcoming = await anyio.to_thread.run_sync(self._due, now)
                for event in due:
                    await self._push(event, now)
                wait = POLL if upcoming is None else (upcoming - self.clock()).total_seconds()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end every stream
                log.exception("release hub pass failed; trying again")
                wait = POLL
            await asyncio.sleep(min(max(wait, 0.0), POLL))

    def _due(self, now: dt.datetime) -> tuple[list[ReleaseEvent], dt.datetime | None]:
        """Events due by now and not yet streamed, and the next instant one falls due."""
        since = max(now - LOOK_BACK, self.started_at or now)
        with self.sessions() as session:
            due = [
                e
                for e in session.scalars(
                    select(ReleaseEvent)
                    .where(ReleaseEvent.due_at >= since, ReleaseEvent.due_at <= now)
                    .order_by(ReleaseEvent.due_at, ReleaseEvent.id)
                )
                if e.id not in self.sent
            ]
            upcoming = session.scalar(
                select(ReleaseEvent.due_at)
                .where(ReleaseEvent.due_at > now)
                .order_by(ReleaseEvent.due_at)
                .limit(1)
            )
            session.expunge_all()
        for event in due:
            self.sent[event.id] = event.due_at
        for event_id, at in list(self.sent.items()):
            if at < now - LOOK_BACK:
                del self.sent[event_id]
        return due, upcoming

    async def _push(self, event: ReleaseEvent, now: dt.datetime) -> None:
        listeners = [lis for lis in self.listeners if lis.wants(event)]
        plans: dict[tuple[Entitlements, bool], list[Listener]] = {}
        for listener in listeners:
            key = (listener.principal.entitlements, listener.principal.is_staff)
            plans.setdefault(key, []).append(listener)
        for group in plans.values():
            data = await anyio.to_thread.run_sync(self._content, event, group[0].principal, now)
            if data is None:
                continue  # not for this plan: nothing is said, not even that it happened
            text = message(event, data)
            for listener in group:
                try:
                    listener.queue.put_nowait(text)
                except asyncio.QueueFull:
                    self.unsubscribe(listener)  # too far behind: it reconnects and reloads

    def _content(
        self, event: ReleaseEvent, principal: Principal, now: dt.datetime
    ) -> dict[str, object] | None:
        with self.sessions() as session:
            merged = session.merge(event, load=False)
            return event_data(session, merged, principal, now)
