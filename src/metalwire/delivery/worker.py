"""``metalwire worker``: waits for the next release instant, then fans the events out and
delivers them. Any number may run: each event is dispatched once and each delivery claimed by
one worker at a time (delivery/claims.py).

It sleeps until the earliest instant it knows of (an event due, a retry, a lease running out,
a series' scheduled release for ``price.delayed``), at most ``worker_poll_seconds``; on
PostgreSQL a NOTIFY sent with each committed event wakes it at once. No busy loop.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from metalwire.catalog import lifecycle_service
from metalwire.db.base import utcnow
from metalwire.db.engine import transaction
from metalwire.delivery import claims, delays
from metalwire.delivery.preparing import prepare
from metalwire.delivery.recording import record_outcomes
from metalwire.delivery.sending import send_prepared
from metalwire.delivery.webhook_sender import WebhookSender
from metalwire.delivery.window_events import announce_window_moves
from metalwire.settings import Settings

log = logging.getLogger("metalwire.worker")

# Deliveries one worker takes per claim: all of a release's webhooks go out together, and
# another worker started beside it takes the next batch.
BATCH = 250
# Delays are looked for back to this far when a worker starts (one that was down at a release
# instant still announces the day's delays).
CATCH_UP = dt.timedelta(hours=12)
# Delays are looked for at each scheduled instant, and at least this often (a series defined or
# its release time changed since the last look).
RESCAN = dt.timedelta(seconds=60)
# The longest a PostgreSQL worker takes to notice it was told to stop while it listens.
STOP_SLICE = 0.25


@dataclass
class StepReport:
    dispatched: int = 0
    delays: int = 0
    delivered: int = 0
    failed: int = 0
    withheld: int = 0
    outcomes: dict[str, str] = field(default_factory=dict)  # delivery id -> its new status


class Worker:
    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        *,
        name: str | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.clock = clock
        self._delays_since: dt.datetime | None = None
        self._next_release: dt.datetime | None = None
        self._series_applied_on: dt.date | None = None
        self.sender = WebhookSender(
            timeout=settings.webhook_timeout_seconds,
            allow_private=settings.webhooks_allow_private,
        )
        self.lease = dt.timedelta(seconds=settings.worker_lease_seconds)

    # --- one pass ------------------------------------------------------------------------

    def step(self, now: dt.datetime | None = None) -> StepReport:
        """Everything due by ``now``: delays noticed, events fanned out, deliveries sent."""
        now = now or self.clock()
        report = StepReport()
        self._apply_series_changes(now)
        report.delays = self._announce_delays(now)
        report.dispatched = self._dispatch(now)
        while True:
            with transaction(self.factory) as session:
                ids = claims.claim(session, self.name, now, limit=BATCH, lease=self.lease)
            if not ids:
                return report
            self._deliver(ids, now, report)

    def _apply_series_changes(self, now: dt.datetime) -> None:
        """Series changes announced for a date (release time, tier, discontinuation) take
        effect on the desk's date they name: once a day, at the first pass of the day."""
        today = now.astimezone(ZoneInfo(self.settings.timezone)).date()
        if today == self._series_applied_on:
            return
        with transaction(self.factory) as session:
            changed = lifecycle_service.apply_due(session, today=today, actor="worker")
        if changed:
            log.info("series changes in force from %s: %s", today, ", ".join(changed))
        self._series_applied_on = today

    def _announce_delays(self, now: dt.datetime) -> int:
        due = self._next_release is None or now >= self._next_release
        if self._delays_since is not None and not due and now - self._delays_since < RESCAN:
            return 0  # no scheduled instant passed since the last look
        since = self._delays_since or now - CATCH_UP
        with transaction(self.factory) as session:
            found = delays.announce_delays(session, since, now)
        self._delays_since = now
        return found

    def _dispatch(self, now: dt.datetime) -> int:
        count = 0
        while True:
            with transaction(self.factory) as session:
                events = claims.dispatch_due(session, now)
                for event in events:
                    announce_window_moves(session, event)
            if not events:
                return count
            count += len(events)

    def _deliver(self, ids: list[str], now: dt.datetime, report: StepReport) -> None:
        with transaction(self.factory) as session:
            prepared = prepare(session, claims.claimed(session, ids), self.settings, now)
        outcomes = send_prepared(prepared, self.settings, self.sender)
        with transaction(self.factory) as session:
            statuses = record_outcomes(
                session, self.name, prepared, outcomes, self.settings, self.clock()
            )
        for delivery_id, status in statuses.items():
            report.outcomes[delivery_id] = status
            if status == "delivered":
                report.delivered += 1
            elif status == "withheld":
                report.withheld += 1
            else:
                report.failed += 1

    # --- waiting -------------------------------------------------------------------------

    def next_wake(self, now: dt.datetime) -> dt.datetime:
        """The earliest instant something falls due, no later than one poll from now."""
        latest = now + dt.timedelta(seconds=self.settings.worker_poll_seconds)
        with self.factory() as session:
            if self._next_release is None or self._next_release <= now:
                # Release times change rarely: read once per scheduled instant passed, not per
                # pass (a pass runs every poll).
                self._next_release = delays.next_release(session, now) or latest
            known = [claims.next_instant(session), self._next_release]
        return min([t for t in known if t is not None] + [latest])

    def run(self, stop: threading.Event) -> None:
        """Step and sleep until ``stop`` is set; an error in one pass is logged and the next
        pass tries again (an unreachable database must not end the worker)."""
        waiter = _waiter(self.settings)
        try:
            while not stop.is_set():
                try:
                    report = self.step()
                    if report.dispatched or report.outcomes or report.delays:
                        log.info(
                            "dispatched %d, delivered %d, failed %d, withheld %d, delays %d",
                            report.dispatched,
                            report.delivered,
                            report.failed,
                            report.withheld,
                            report.delays,
                        )
                    wake = self.next_wake(self.clock())
                except Exception:
                    log.exception("delivery pass failed; trying again")
                    wake = self.clock() + dt.timedelta(seconds=self.settings.worker_poll_seconds)
                waiter(stop, max(0.0, (wake - self.clock()).total_seconds()))
        finally:
            getattr(waiter, "close", lambda: None)()
            self.close()

    def close(self) -> None:
        """Close the webhook connections (a worker used by ``step`` alone closes it itself)."""
        self.sender.close()


Waiter = Callable[[threading.Event, float], None]


def _sleep(stop: threading.Event, seconds: float) -> None:
    stop.wait(seconds)


class _Listener:
    """PostgreSQL: LISTEN on the outbox's channel, so a committed event wakes the worker."""

    def __init__(self, url: str) -> None:
        import psycopg

        from metalwire.outbox.events import NOTIFY_CHANNEL

        self.connection = psycopg.connect(url, autocommit=True)
        self.connection.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def __call__(self, stop: threading.Event, seconds: float) -> None:
        # Returns at the first notification, when the time is up or soon after ``stop`` is set:
        # psycopg's wait cannot be woken by an Event, so it waits in slices of STOP_SLICE.
        deadline = time.monotonic() + max(seconds, 0.001)
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            for _notice in self.connection.notifies(timeout=min(left, STOP_SLICE), stop_after=1):
                return

    def close(self) -> None:
        self.connection.close()


def _waiter(settings: Settings) -> Waiter:
    url = settings.database_url
    if url.startswith("postgresql"):
        from sqlalchemy.engine import make_url

        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            return _Listener(plain)
        except Exception:
            log.warning("LISTEN failed; polling every %ss", settings.worker_poll_seconds)
    return _sleep
