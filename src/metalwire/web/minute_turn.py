"""The minute turning: the previous minute's answer while the new one is being made.

Shared answers are keyed by the minute (web/shared.py, web/shared_pages.py,
web/signed_in_pages.py): an answer made before a release time is never sent after its minute.
So when a minute turns, every kept page and every latest-prices answer is made again at once.
At 200 clients that stopped a worker for about 0.75 s at every turn (bench_load.py: 293
answers in that second instead of about 1,200, the slowest second of every level): each
admitted request became a render, the renders held every admission slot and the interpreter
lock, and the price histories (keyed by the database alone) queued behind them.

The rule: during the first ``STALE_FOR`` seconds of a minute, a request whose answer another
request is making, or that finds its layer already making ``MAKING_AT_ONCE`` answers, is sent
the same answer of the previous minute instead of waiting or rendering, provided that

- everything else in the key is the same: the database's content stamp (so an approval, a
  correction, a withdrawal or a plan change made meanwhile is never hidden), the plan's
  entitlements, the path, the language and the cookies;
- the UTC date is the same: a plan's history window moves with the date, and only the date's
  passing takes anything away from a reader.

An answer can thereby be up to ``STALE_FOR`` seconds late at an instant when a price is released
by time (approved earlier, released at its hour), and never early: the previous minute's answer
was readable by the same plan then, and nothing but the date makes a released thing unreadable.
Keys that end in their minute opt in; any other key (a price history's) never does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable

STALE_FOR = dt.timedelta(seconds=2)
MAKING_AT_ONCE = 2  # renders side by side per layer while an older answer can be sent instead
MINUTE = dt.timedelta(minutes=1)


def minute_of(now: dt.datetime) -> dt.datetime:
    """The minute a shared answer made at ``now`` is kept for (the last part of its key)."""
    return now.replace(second=0, microsecond=0)


def previous_minute_key(key: tuple[Hashable, ...], now: dt.datetime) -> tuple[Hashable, ...] | None:
    """The key of the same answer one minute earlier, when ``now`` is early enough in the key's
    minute and on the same date for it to be sent in the answer's place; else None."""
    if not key:
        return None
    minute = key[-1]
    if not isinstance(minute, dt.datetime) or minute != minute_of(minute):
        return None  # not a minute-keyed answer
    if not minute <= now < minute + STALE_FOR:
        return None
    before = minute - MINUTE
    if before.date() != minute.date():
        return None
    return (*key[:-1], before)


def may_send_previous(making_this: bool, making: int) -> bool:
    """Whether a request that missed should take the previous minute's answer: someone is
    making this one already, or enough others are being made that one more would only queue."""
    return making_this or making >= MAKING_AT_ONCE
