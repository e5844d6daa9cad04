"""Delivery test helpers: a real HTTP receiver on loopback that records what it is sent and
answers what a test tells it to, a desk with one free and one premium series, and readers with
webhooks on them."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, User
from metalwire.delivery.webhooks import add_endpoint
from metalwire.settings import Settings, load_settings
from tests.alerts.conftest import smtp
from tests.conftest import Desk, ScratchDatabase

SILVER = "AG-INGOT-CN-SPOT"  # free, released 11:30 Shanghai (03:30 UTC)
PREMIUM = "AG-INGOT-CN-PREMIUM"  # premium tier, same release time
DAY = dt.date(2026, 11, 25)
RELEASE = dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """Answers each POST with the next status in ``answers`` (200 once they run out)."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    hold: float = 0.0  # seconds to wait before answering the next request (then back to 0)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                state.received.append(Received(self.path, dict(self.headers.items()), body))
                status = state.answers.pop(0) if state.answers else 200
                hold, state.hold = state.hold, 0.0
            time.sleep(hold)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def delivery_settings(db: ScratchDatabase, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db.url,
        "webhooks_allow_private": True,
        "webhook_retry_delays": (1.0, 2.0),
        "webhook_timeout_seconds": 2.0,
        "base_url": "http://mw.test",
    }
    return load_settings(**(values | overrides))


def reader(db: ScratchDatabase, email: str, plan: str, lang: str | None = None) -> User:
    with db.transaction() as session:
        user = accounts.add_user(session, email, role=Role.READER, plan=plan, actor="t")
        user.lang = lang
        session.flush()
        session.expunge(user)
    return user


def webhook(
    db: ScratchDatabase,
    user: User,
    url: str,
    events: tuple[str, ...] = ("price.released",),
    codes: tuple[str, ...] = (),
) -> tuple[int, str]:
    """(endpoint id, secret)."""
    with db.transaction() as session:
        found = session.get(User, user.id)
        assert found is not None
        made = add_endpoint(
            session, found, url=url, events=events, codes=codes, allow_private=True, actor="t"
        )
        return made.endpoint.id, made.secret


__all__ = ["DAY", "PREMIUM", "RELEASE", "SILVER", "Desk", "Receiver", "receiver", "smtp"]
