"""The minute turning (web/minute_turn.py): while a minute-keyed answer is made again, readers
get the previous minute's for at most two seconds, never across a change in the database or
the date, and never for an answer that is not keyed by its minute."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Hashable

import httpx
from fastapi import FastAPI

from metalwire.web.body_cache import BodyCache
from metalwire.web.minute_turn import STALE_FOR, previous_minute_key
from tests.conftest import Desk
from tests.web.test_price_pages import DAY, SILVER, publish
from tests.web.test_shared_pages import RELEASE, TODAY

MINUTE = dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC)
EARLIER = MINUTE - dt.timedelta(minutes=1)


def test_only_a_minute_keyed_answer_early_in_its_minute_on_the_same_date_has_a_previous() -> None:
    key: tuple[Hashable, ...] = ("latest", "en", ("stamp", 3), MINUTE)
    assert previous_minute_key(key, MINUTE) == ("latest", "en", ("stamp", 3), EARLIER)
    inside = MINUTE + STALE_FOR - dt.timedelta(microseconds=1)
    assert previous_minute_key(key, inside) == ("latest", "en", ("stamp", 3), EARLIER)
    assert previous_minute_key(key, MINUTE + STALE_FOR) is None  # late in the minute: wait
    assert previous_minute_key(key, EARLIER) is None  # a clock behind the key
    midnight = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    # A plan's history window moves with the date: yesterday's last minute is never sent.
    assert previous_minute_key(("latest", midnight), midnight) is None
    history = ("/api/v1/series/X/prices", "", None, "en", ("seq", 1), None)
    assert previous_minute_key(history, MINUTE) is None
    assert previous_minute_key(("page", MINUTE + dt.timedelta(seconds=1)), MINUTE) is None


def test_the_body_cache_sends_the_previous_minutes_body_while_the_new_one_is_made() -> None:
    cache = BodyCache()
    cache.put(("latest", EARLIER), b"at 11:29", "application/json")
    entered, release = threading.Event(), threading.Event()

    def slow_make() -> tuple[bytes, str, tuple[str, ...]]:
        entered.set()
        release.wait(10)
        return b"at 11:30", "application/json", ()

    maker = threading.Thread(target=lambda: cache.obtain(("latest", MINUTE), slow_make, now=MINUTE))
    maker.start()
    assert entered.wait(10)
    during = cache.obtain(("latest", MINUTE), slow_make, now=MINUTE + dt.timedelta(seconds=1))
    assert during.body == b"at 11:29" and cache.previous_minute_sent == 1
    # Past the bound the reader waits for the body being made instead.
    late = threading.Thread(
        target=lambda: seen.append(
            cache.obtain(("latest", MINUTE), slow_make, now=MINUTE + STALE_FOR).body
        )
    )
    seen: list[bytes] = []
    late.start()
    release.set()
    maker.join(10)
    late.join(10)
    assert seen == [b"at 11:30"] and cache.previous_minute_sent == 1
    assert cache.obtain(("latest", MINUTE), slow_make, now=MINUTE).body == b"at 11:30"


def _together(base: str, path: str, count: int = 30) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            return await asyncio.gather(*(client.get(path) for _ in range(count)))

    return asyncio.run(run())


def test_at_a_release_minute_readers_get_the_price_or_for_under_two_seconds_the_minute_before(
    desk: Desk, app: FastAPI, live_server: str
) -> None:
    publish(desk, SILVER, DAY, TODAY)  # approved in advance, released at 11:30 Shanghai
    app.state.clock = lambda: RELEASE - dt.timedelta(seconds=30)
    before = {path: httpx.get(live_server + path).content for path in ("/entry/silver",)}
    latest_before = httpx.get(live_server + "/api/v1/prices/latest").json()
    assert b"7,850" not in before["/entry/silver"]
    cache: BodyCache = app.state.body_cache
    sent = cache.previous_minute_sent

    app.state.clock = lambda: RELEASE + dt.timedelta(milliseconds=500)
    pages = _together(live_server, "/entry/silver")
    assert {a.status_code for a in pages} == {200}
    fresh = [a for a in pages if b"7,850" in a.content]
    older = [a for a in pages if b"7,850" not in a.content]
    assert fresh, "no reader got the released price"
    assert all(a.content == before["/entry/silver"] for a in older)
    assert cache.previous_minute_sent - sent == len(older) > 0

    latest = _together(live_server, "/api/v1/prices/latest")
    assert {a.status_code for a in latest} == {200}
    assert all(a.json() == latest_before or "7850" in a.text for a in latest)

    # Two seconds into the minute every reader gets the minute's own answer.
    app.state.clock = lambda: RELEASE + dt.timedelta(minutes=1, seconds=2)
    sent = cache.previous_minute_sent
    assert all(b"7,850" in a.content for a in _together(live_server, "/entry/silver"))
    assert cache.previous_minute_sent == sent


def test_a_change_in_the_database_is_never_covered_by_the_minute_before(
    desk: Desk, app: FastAPI, live_server: str
) -> None:
    app.state.clock = lambda: RELEASE + dt.timedelta(seconds=30)
    assert b"7,850" not in httpx.get(live_server + "/entry/silver").content
    # Approved after its release time: released at once, and the stamp moves with it.
    publish(desk, SILVER, DAY, TODAY)
    cache: BodyCache = app.state.body_cache
    sent = cache.previous_minute_sent
    app.state.clock = lambda: RELEASE + dt.timedelta(minutes=1, milliseconds=500)
    answers = _together(live_server, "/entry/silver")
    assert all(b"7,850" in a.content for a in answers)
    assert cache.previous_minute_sent == sent
