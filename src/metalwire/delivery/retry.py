"""When a failed delivery is tried again (pure): exponential back-off with jitter, so that the
receivers that failed together at a release instant do not all come back at the same second."""

from __future__ import annotations

import datetime as dt
import random

# Seconds after the 1st, 2nd ... failed try; after the last, the delivery is dead (a dead
# letter the reader can redeliver by hand). About 3 hours in all.
DEFAULT_DELAYS = (10.0, 60.0, 300.0, 1800.0, 7200.0)
JITTER = 0.2  # each delay is drawn from +-20 % of its value


def next_attempt(
    attempts: int,
    now: dt.datetime,
    delays: tuple[float, ...] = DEFAULT_DELAYS,
    rng: random.Random | None = None,
) -> dt.datetime | None:
    """After ``attempts`` failed tries, when to try again; None: that was the last."""
    if attempts > len(delays):
        return None
    base = delays[attempts - 1]
    spread = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return now + dt.timedelta(seconds=base * spread)
