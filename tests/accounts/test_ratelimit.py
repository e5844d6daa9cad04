"""Leased rate-limit counting: several workers never admit more than the limit together, and
small limits are counted request by request."""

from __future__ import annotations

from sqlalchemy import func, select

from metalwire.accounts.models import RateWindow
from metalwire.accounts.ratelimit import RateLimiter, block_size
from tests.conftest import ScratchDatabase

MOMENT = 1_800_000_000.0  # the start of a minute


def test_workers_together_admit_no_more_than_the_limit(db: ScratchDatabase) -> None:
    clock = lambda: MOMENT + 5  # noqa: E731
    workers = [RateLimiter(db.sessions, clock=clock) for _ in range(3)]
    limit = 1000  # blocks of 40
    admitted = sum(workers[i % 3].admit("key:7", limit).allowed for i in range(1200))
    assert limit - 3 * block_size(limit) <= admitted <= limit
    with db.sessions() as session:
        leased = session.scalar(select(func.sum(RateWindow.count)))
    # Every number handed out was leased from the shared count; at most a block per worker idle.
    assert 1200 <= leased <= 1200 + 3 * block_size(limit)


def test_small_limits_are_exact_and_the_next_minute_starts_afresh(db: ScratchDatabase) -> None:
    now = [MOMENT + 59.5]
    first, second = (RateLimiter(db.sessions, clock=lambda: now[0]) for _ in range(2))
    numbers = [(first if i % 2 else second).admit("addr:1", 60) for i in range(61)]
    assert [a.number for a in numbers] == list(range(1, 62))
    assert not numbers[-1].allowed and numbers[-1].reset == 1 and numbers[-2].remaining == 0
    now[0] = MOMENT + 60.2
    assert first.admit("addr:1", 60).number == 1


def test_the_next_minutes_block_is_leased_ahead_and_the_limit_still_holds(
    db: ScratchDatabase,
) -> None:
    now = [MOMENT + 50.0]
    workers = [RateLimiter(db.sessions, clock=lambda: now[0]) for _ in range(2)]
    limit = 1000  # blocks of 40
    for i in range(10):
        workers[i % 2].admit("key:9", limit)
    with db.sessions() as session:
        ahead = session.scalar(
            select(RateWindow.count).where(RateWindow.window_start == int(MOMENT // 60) + 1)
        )
    assert ahead == 2 * block_size(limit)  # one block per worker, written before the turn
    now[0] = MOMENT + 60.5
    with db.sessions() as session:
        writes_before = session.scalar(select(func.sum(RateWindow.count)))
    first = [workers[i % 2].admit("key:9", limit) for i in range(2 * block_size(limit))]
    with db.sessions() as session:
        # The turn's first requests were served from the blocks leased ahead: nothing written.
        assert session.scalar(select(func.sum(RateWindow.count))) == writes_before
        # This minute's count survived the lease ahead; the one before it may be forgotten.
        assert session.scalar(
            select(RateWindow.count).where(RateWindow.window_start == int(MOMENT // 60))
        )
    assert sorted(a.number for a in first) == list(range(1, 2 * block_size(limit) + 1))
    admitted = len(first) + sum(workers[i % 2].admit("key:9", limit).allowed for i in range(1100))
    assert limit - 2 * block_size(limit) <= admitted <= limit
