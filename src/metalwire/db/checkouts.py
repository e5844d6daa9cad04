"""Which request holds which pooled connection: the proof that none holds two, or leaks one.

A request that holds a connection while it waits for a second one can wait forever: the
connections it waits for are held by requests waiting the same way. The web layer therefore keeps
to one connection per request, and this ledger watches the pool to show it does: every checkout
made while a request is being served is charged to that request (through a context variable,
which the thread pool inherits), every checkin credited back. A request that ends still holding a
connection has leaked it; one that held two at once broke the rule. Both are counted, logged and
kept for tests and ``/healthz``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger("metalwire.db")
_HOLDER_KEY = "metalwire_request"


@dataclass
class RequestHolding:
    """The connections one request holds now, and the most it held at once."""

    label: str
    held: int = 0
    peak: int = 0


_current: ContextVar[RequestHolding | None] = ContextVar("metalwire_request_holding", default=None)


@dataclass
class CheckoutLedger:
    requests: int = 0
    over_one: list[str] = field(default_factory=list)  # requests that held two connections
    leaked: list[str] = field(default_factory=list)  # requests that ended holding one
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def watch(self, engine: Engine) -> None:
        """Charge this engine's checkouts to the request being served, if any."""
        if getattr(engine, "_metalwire_ledger", None) is self:
            return
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)
        engine._metalwire_ledger = self  # type: ignore[attr-defined]

    @contextmanager
    def serving(self, label: str) -> Iterator[RequestHolding]:
        """Everything checked out inside this block is the request's."""
        holding = RequestHolding(label)
        token = _current.set(holding)
        try:
            yield holding
        finally:
            _current.reset(token)
            with self._lock:
                self.requests += 1
                if holding.peak > 1:
                    self._remember(self.over_one, label)
                if holding.held > 0:
                    self._remember(self.leaked, label)
            if holding.peak > 1:
                log.error("%s held %d database connections at once", label, holding.peak)
            if holding.held > 0:
                log.error("%s ended holding %d database connection(s)", label, holding.held)

    @staticmethod
    def _remember(where: list[str], label: str) -> None:
        if len(where) < 100:  # enough to find the route; bounded memory
            where.append(label)

    def _checkout(self, _dbapi: Any, record: Any, _proxy: Any) -> None:
        holding = _current.get()
        if holding is None:
            return
        record.info[_HOLDER_KEY] = holding
        with self._lock:
            holding.held += 1
            holding.peak = max(holding.peak, holding.held)

    def _checkin(self, _dbapi: Any, record: Any) -> None:
        if record is None:
            return
        holding = record.info.pop(_HOLDER_KEY, None)
        if holding is not None:
            with self._lock:
                holding.held -= 1
