"""The app's clock stopped at one instant: what a test reads, and the minute its requests count
in against the rate limit, no longer move with the wall clock."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI


def stop_clock(*apps: FastAPI, at: dt.datetime | None = None) -> dt.datetime:
    """Stop the apps' clock at ``at`` (by default a second into the current minute), so a burst
    of requests counts in one rate-limit minute however long it takes; returns the instant."""
    if at is None:
        now = dt.datetime.now(dt.UTC)
        at = now.replace(second=1, microsecond=0)
    instant = at
    for app in apps:
        app.state.clock = lambda: instant
    return instant


def next_minute(app: FastAPI) -> dt.datetime:
    """Move the stopped clock to a second into the next minute: a fresh rate-limit window."""
    now: dt.datetime = app.state.clock()
    return stop_clock(app, at=now.replace(second=1, microsecond=0) + dt.timedelta(minutes=1))
