"""Per-client request counting in fixed one-minute windows, shared by all workers via the DB."""

from __future__ import annotations

import time

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from metalwire.accounts.models import RateWindow


def count_request(session: Session, client: str, *, now: float | None = None) -> tuple[int, int]:
    """Count one request; returns (requests in this window so far, seconds until it ends)."""
    moment = time.time() if now is None else now
    minute = int(moment // 60)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(RateWindow)
        .values(client=client, window_start=minute, count=1)
        .on_conflict_do_update(
            index_elements=["client", "window_start"],
            set_={"count": RateWindow.count + 1},
        )
        .returning(RateWindow.count)
    )
    count = int(session.execute(statement).scalar_one())
    if count == 1:  # first request of a window: forget this client's old windows
        session.execute(
            delete(RateWindow).where(RateWindow.client == client, RateWindow.window_start < minute)
        )
    return count, 60 - int(moment % 60)
