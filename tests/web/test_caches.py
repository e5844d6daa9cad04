"""The per-worker caches of released data: bounded, least recently used evicted first, safe to
share between the thread pool's requests."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

from metalwire.web.body_cache import BodyCache
from metalwire.web.pages.series import HistoryView, HistoryViews


def test_the_body_cache_is_bounded_by_bytes_and_evicts_the_least_recently_read() -> None:
    cache = BodyCache(max_bytes=400)
    for key in ("a", "b", "c", "d"):
        cache.put(key, b"x" * 100, "text/plain")
    assert cache.get("a") is not None  # read: now the most recent
    cache.put("e", b"y" * 100, "text/plain")
    assert cache.get("b") is None
    assert all(cache.get(key) is not None for key in ("a", "c", "d", "e"))


def test_a_body_replaced_under_its_key_counts_once() -> None:
    cache = BodyCache(max_bytes=400)
    for _ in range(10):
        cache.put("a", b"x" * 100, "text/plain")
    for key in ("b", "c", "d"):
        cache.put(key, b"x" * 100, "text/plain")
    assert all(cache.get(key) is not None for key in "abcd")


def test_a_body_too_large_to_keep_is_served_but_not_kept() -> None:
    cache = BodyCache(max_bytes=400)
    cache.put("small", b"x" * 100, "text/plain")
    item = cache.put("large", b"x" * 101, "text/plain")
    assert item.body == b"x" * 101 and item.etag.startswith('"')
    assert cache.get("large") is None and cache.get("small") is not None


def test_one_request_makes_a_body_the_others_wait_for() -> None:
    cache = BodyCache()
    made: list[int] = []
    started = threading.Barrier(8)

    def make() -> tuple[bytes, str, tuple[str, ...]]:
        made.append(1)
        time.sleep(0.3)  # a page being rendered while the others arrive
        return b"body", "text/plain", ()

    def read() -> None:
        started.wait()
        assert cache.obtain("page", make).body == b"body"

    readers = [threading.Thread(target=read) for _ in range(8)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert len(made) == 1 and cache.get("page") is not None


def test_history_views_are_bounded_by_count_least_recently_read_first() -> None:
    views = HistoryViews(size=2)
    first, second, third = (cast(HistoryView, cast(Any, object())) for _ in range(3))
    views.put("a", first)
    views.put("b", second)
    assert views.get("a") is first
    views.put("c", third)
    assert views.get("b") is None
    assert views.get("a") is first and views.get("c") is third
