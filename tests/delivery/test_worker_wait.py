"""The worker's wait between steps: it ends at a committed release event (PostgreSQL's NOTIFY),
at its deadline, and soon after the worker is told to stop — never only when the wait is over,
or a stopping worker would hold its process for a whole poll."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from metalwire.delivery import worker
from metalwire.outbox.events import NOTIFY_CHANNEL
from metalwire.settings import Settings
from tests.conftest import ScratchDatabase

LONG = 30.0  # a wait no test should see the end of


def _waiter(db: ScratchDatabase) -> worker.Waiter:
    return worker._waiter(Settings(database_url=db.url))


def _waits(wait: worker.Waiter, stop: threading.Event, seconds: float) -> float:
    started = time.monotonic()
    wait(stop, seconds)
    return time.monotonic() - started


def test_a_wait_ends_soon_after_stop_is_set(db: ScratchDatabase) -> None:
    wait = _waiter(db)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    try:
        took = _waits(wait, stop, LONG)
    finally:
        getattr(wait, "close", lambda: None)()
    assert took < LONG / 3, f"the wait held for {took:.1f} s after stop was set at 0.3 s"


def test_a_wait_ends_at_its_deadline(db: ScratchDatabase) -> None:
    wait = _waiter(db)
    try:
        took = _waits(wait, threading.Event(), 0.4)
    finally:
        getattr(wait, "close", lambda: None)()
    assert 0.35 <= took < LONG / 3


def test_a_release_event_wakes_a_postgresql_worker(db: ScratchDatabase) -> None:
    wait = _waiter(db)
    if db.backend != "postgresql":
        assert wait is worker._sleep  # SQLite has no NOTIFY: the worker polls
        return
    assert isinstance(wait, worker._Listener)

    def notify() -> None:
        with db.engine.begin() as connection:
            connection.execute(text("SELECT pg_notify(:c, '')"), {"c": NOTIFY_CHANNEL})

    threading.Timer(0.3, notify).start()
    try:
        took = _waits(wait, threading.Event(), LONG)
    finally:
        wait.close()
    assert took < LONG / 3
