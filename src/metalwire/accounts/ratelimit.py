"""Per-client request counting in fixed one-minute windows, shared by all workers.

The shared count lives in the database (or Redis). A worker does not write it on every request:
it leases a block of request numbers from the shared count and hands them out from memory, so
the shared total never admits more than the limit, whatever the number of workers. Blocks are a
25th of the limit (one request for limits under 250, so those are counted exactly); a worker
that leased numbers it does not use can only make other workers refuse a little early (by at
most a block per other worker), never admit more.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from metalwire.accounts.models import RateWindow

MAX_BLOCK = 1000
# From this second of a minute on, a client's request also leases its block of the next minute,
# so that the leases of every client do not all fall on the minute's turn (at 200 clients that
# was 400 writes at once, the fast-path threads waiting on each other for them).
LEASE_AHEAD_FROM = 45
BLOCKS_PER_LIMIT = 25
EXACT_BELOW = 250


RATE_WINDOW = cast(Table, RateWindow.__table__)


def _upsert(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = RATE_WINDOW
    return (
        insert(table)
        .values(
            client=bindparam("client"),
            window_start=bindparam("minute"),
            count=bindparam("count"),
        )
        .on_conflict_do_update(
            index_elements=["client", "window_start"],
            set_={"count": table.c.count + bindparam("count")},
        )
        .returning(table.c.count)
    )


# Built once per dialect: building and compiling the upsert cost more than running it.
_UPSERTS = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")
# The windows before the previous one: a lease for the next minute, taken ahead in the last
# seconds of this one, must not forget this minute's count.
_FORGET = delete(RATE_WINDOW).where(
    RATE_WINDOW.c.client == bindparam("client"),
    RATE_WINDOW.c.window_start < bindparam("minute") - 1,
)


def count_request(
    session: Session, client: str, *, now: float | None = None, count: int = 1
) -> tuple[int, int]:
    """Count ``count`` requests; returns (requests in this window so far, seconds until it ends)."""
    moment = time.time() if now is None else now
    minute = int(moment // 60)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # A count is worth less than the wait for its commit to reach the disk (an fsync per
        # lease held a fast-path thread for milliseconds): at worst a crash forgets the last
        # fraction of a second of counts, and clients get a few more requests that minute.
        connection.execute(_ASYNC_COMMIT)
    params = {"client": client, "minute": minute, "count": count}
    total = int(connection.execute(_UPSERTS[connection.dialect.name], params).scalar_one())
    if total == count:  # first lease of a window: forget this client's old windows
        connection.execute(_FORGET, {"client": client, "minute": minute})
    return total, 60 - int(moment % 60)


def block_size(limit: int) -> int:
    """Small limits (a free plan's 60 a minute) are counted request by request; larger ones in
    blocks of a 25th. A lease is a write: with a hundredth, the subscribers' 600 a minute leased
    every sixth request, about 200 writes a second at 200 clients, and every key's first lease
    of each minute came at once as the minute turned."""
    if limit < EXACT_BELOW:
        return 1
    return min(MAX_BLOCK, limit // BLOCKS_PER_LIMIT)


@dataclass
class _Lease:
    minute: int
    next_number: int  # the next request number this worker may hand out
    last_number: int  # the last number of its block


@dataclass(frozen=True)
class Admission:
    number: int  # this request's number in the client's window (1-based)
    limit: int
    reset: int  # seconds until the window ends

    @property
    def allowed(self) -> bool:
        return self.number <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.number)


class RateLimiter:
    """Hands out request numbers from leased blocks of the shared per-minute count."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        redis: Any | None = None,
        clock: Callable[[], float] = time.time,
        *,
        write_lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self._sessions = sessions
        self._redis = redis
        self._clock = clock
        self._leases: dict[str, _Lease] = {}
        self._ahead: dict[str, _Lease] = {}  # first blocks of the next minute, leased ahead
        self._lock = threading.Lock()  # sync routes count from the thread pool
        # The process's writes of short bookkeeping queue on it (db/engine.py: write_lock).
        self._write_lock = write_lock or contextlib.nullcontext()

    def admit(
        self, client: str, limit: int, session: Session | None = None, *, at: float | None = None
    ) -> Admission:
        """The client's next request number. ``session`` is the request's own: a lease is
        counted on its connection (in a transaction of its own), so that a request never holds
        a second connection while it is counted. ``at`` is the request's instant on the app's
        clock (POSIX seconds), so that the minute a request counts in is the minute the app
        reads in; the limiter's own clock otherwise."""
        moment = self._clock() if at is None else at
        minute = int(moment // 60)
        reset = 60 - int(moment % 60)
        with self._lock:
            number = self._take(client, minute)
        if moment % 60 >= LEASE_AHEAD_FROM and block_size(limit) > 1:  # small limits: exact
            self._lease_ahead(client, limit, minute + 1, session)
        if number is None:
            # Leased outside the lock: a slow shared count delays this client alone. Two threads
            # that lease at once each get a block of their own; the numbers of the block that is
            # not kept go unused, which can only refuse a little early, never admit more.
            size = block_size(limit)
            total = self._lease(client, size, moment, session)
            number = total - size + 1  # the first number of this thread's own block
            with self._lock:
                current = self._leases.get(client)
                if current is None or current.minute != minute or current.last_number < total:
                    if len(self._leases) > 100_000:  # old clients' leases: keep memory bounded
                        self._leases = {}
                    self._leases[client] = _Lease(minute, number + 1, total)
        return Admission(number, limit, reset)

    def _lease_ahead(self, client: str, limit: int, minute: int, session: Session | None) -> None:
        """Lease the client's first block of ``minute`` (the next one) once, ahead of it."""
        with self._lock:
            ahead = self._ahead.get(client)
            if ahead is not None and ahead.minute >= minute:
                return  # leased, or being leased by another thread
            if len(self._ahead) > 100_000:
                self._ahead = {}
            self._ahead[client] = _Lease(minute, 1, 0)  # empty until the lease is written
        size = block_size(limit)
        total = self._lease(client, size, minute * 60.0, session)
        with self._lock:
            self._ahead[client] = _Lease(minute, total - size + 1, total)

    def _take(self, client: str, minute: int) -> int | None:
        lease = self._leases.get(client)
        if lease is None or lease.minute != minute:
            ahead = self._ahead.get(client)
            if ahead is not None and ahead.minute == minute:
                del self._ahead[client]
                self._leases[client] = lease = ahead
        if lease is None or lease.minute != minute or lease.next_number > lease.last_number:
            return None
        number = lease.next_number
        lease.next_number += 1
        return number

    def _lease(self, client: str, size: int, moment: float, session: Session | None) -> int:
        if self._redis is not None:
            name = f"metalwire:rate:{client}:{int(moment // 60)}"
            with self._redis.pipeline() as pipe:
                pipe.incrby(name, size)
                pipe.expire(name, 120)
                return int(pipe.execute()[0])
        with self._write_lock:
            if session is not None:
                # The request's reads so far (who is asking) end here; its work starts afresh
                # after.
                session.commit()
                total, _ = count_request(session, client, now=moment, count=size)
                session.commit()
                return total
            with self._sessions() as own, own.begin():
                total, _ = count_request(own, client, now=moment, count=size)
                return total
