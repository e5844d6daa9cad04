"""A per-worker cache of serialized answers for released data.

Every hit is validated by the caller with a database "publication stamp" that changes whenever
what the caller may see changes (a release passes, a correction lands), so a worker never serves
a stale body and workers need not share anything: each keeps its own, bounded by size. The one
exception is bounded and written down in web/minute_turn.py: in the first two seconds of a
minute, a minute-keyed answer being made again may be answered with the previous minute's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from cachetools import LRUCache

from metalwire.web.gzip_parts import GzipParts
from metalwire.web.minute_turn import may_send_previous, previous_minute_key

FOLLOWER_WAIT = 5.0  # seconds a request waits for another one making the same body


@dataclass(frozen=True)
class CachedBody:
    body: bytes
    media_type: str
    etag: str
    marks: tuple[str, ...] = ()  # what a page needs to know of the body besides the bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()  # a whole answer's (web/shared_pages.py)
    pieces: GzipParts | None = None  # compressed around a reader's part (web/signed_in_pages.py)


class BodyCache:
    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._max = max_bytes
        # Bounded by the bytes of the bodies, the least recently used evicted first.
        self._items: LRUCache[Hashable, CachedBody] = LRUCache(
            maxsize=max_bytes, getsizeof=_body_size
        )
        self._lock = threading.Lock()  # sync routes run in a thread pool; cachetools has none
        self._making: dict[Hashable, threading.Event] = {}
        self.previous_minute_sent = 0  # answers of the minute before, sent as a minute turned

    def get(self, key: Hashable) -> CachedBody | None:
        with self._lock:
            return self._items.get(key)

    def previous_minute(
        self,
        key: tuple[Hashable, ...],
        now: dt.datetime,
        *,
        making: tuple[bool, int] | None = None,
    ) -> CachedBody | None:
        """The answer of the minute before, when web/minute_turn.py allows sending it in place
        of ``key``'s while answers are being made; None otherwise. ``making`` (this key is
        being made, how many are) comes from a layer that keeps its own registry of answers
        being made (web/shared_pages.py); this cache's own is used otherwise."""
        previous = previous_minute_key(key, now)
        if previous is None:
            return None
        with self._lock:
            this, count = making if making is not None else (key in self._making, len(self._making))
            if not may_send_previous(this, count):
                return None
            found = self._items.get(previous)
            if found is not None:
                self.previous_minute_sent += 1
            return found

    def put(
        self,
        key: Hashable,
        body: bytes,
        media_type: str,
        *,
        marks: tuple[str, ...] = (),
        headers: tuple[tuple[bytes, bytes], ...] = (),
        pieces: GzipParts | None = None,
    ) -> CachedBody:
        item = CachedBody(body, media_type, etag_of(body), marks, headers, pieces)
        if len(body) > self._max // 4:
            return item  # too large to be worth evicting everything else for
        with self._lock:
            self._items[key] = item
        return item

    def obtain(
        self,
        key: Hashable,
        make: Callable[[], tuple[bytes, str, tuple[str, ...]]],
        *,
        wait: float = FOLLOWER_WAIT,
        now: dt.datetime | None = None,
    ) -> CachedBody:
        """The cached body, or one made by ``make`` (body, media type, marks) and kept.

        At a release instant every reader misses the same key at once: one request makes the
        body while the others wait for it (at most ``wait`` seconds, then they make their own),
        instead of all of them rendering the same page side by side. Given the request's
        ``now``, a minute-keyed answer may instead be the previous minute's
        (web/minute_turn.py)."""
        hit = self.get(key)
        if hit is not None:
            return hit
        if now is not None and isinstance(key, tuple):
            previous = self.previous_minute(key, now)
            if previous is not None:
                return previous
        with self._lock:
            making = self._making.get(key)
            leads = making is None
            if making is None:
                making = self._making[key] = threading.Event()
        if not leads:
            making.wait(wait)
            hit = self.get(key)
            if hit is not None:
                return hit
            body, media_type, marks = make()  # the first failed, or is slow: no one waits on
            return self.put(key, body, media_type, marks=marks)
        try:
            body, media_type, marks = make()
            return self.put(key, body, media_type, marks=marks)
        finally:
            with self._lock:
                self._making.pop(key, None)
            making.set()


def _body_size(item: CachedBody) -> int:
    return len(item.body)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
