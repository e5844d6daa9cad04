"""The fast paths' hop to a thread for their database reads.

The layers in front of the framework (web/shared_pages.py, web/signed_in_pages.py,
web/fast_history.py) answer most requests at a release instant after one short statement, which
must not run on the event loop. ``anyio.to_thread.run_sync`` costs them about as much as the
statement (its capacity limiter, cancel scope and Python-level queue: a fifth of a worker's time
on the shortest path in a profile); a plain executor of the worker's own hands the call over
through a C queue, and runs it in a copy of the request's context, so the checkout ledger
charges the connection to the request.

Each hop wakes an idle thread, and that wake (a futex and a handover of the interpreter lock) was
the largest single cost of the shortest path: with fewer threads more hops find one still busy
with the last and are picked up without a wake. Measured on a kept page, 32 clients, one worker:
0.40 ms of CPU a request with 16 threads, 0.35 with 4, 0.33 with 2. The reads are index lookups
of a fraction of a millisecond, so a few threads keep up with a worker's whole load; they never
wait for one another's connections (a hop holds one, and the pool has one per admitted request).
``METALWIRE_FAST_PATH_THREADS`` sets the number (``fast_path_threads``).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine

from metalwire.settings import Settings

T = TypeVar("T")
SQLITE_THREADS = 4


def fast_path_threads(settings: Settings, engine: Engine, capacity: int) -> int:
    """``METALWIRE_FAST_PATH_THREADS``, or by database: on SQLite a read is a few dozen
    microseconds of the worker's own CPU, and 4 threads keep up; on PostgreSQL a read waits a
    round trip for the server, and one thread per admitted request keeps the waits side by side
    (measured at 200 clients on 2 workers: 720 requests a second with 16, 500 with 4)."""
    wanted = settings.fast_path_threads
    if wanted is None:
        wanted = SQLITE_THREADS if engine.dialect.name == "sqlite" else capacity
    return max(1, min(wanted, capacity))


def fast_path_executor(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="metalwire-fast")


async def in_thread(state: Any, call: Callable[..., T], *args: Any) -> T:
    """``call(*args)`` on the app's fast-path executor (``state.fast_executor``)."""
    context = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(state.fast_executor, context.run, call, *args)
