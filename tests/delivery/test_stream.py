"""The live stream over real HTTP: at the release instant an open stream is sent the price its
reader may read, and nothing else; it closes by itself when its life is up."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Scope, User
from metalwire.web.app import create_app
from tests.conftest import Desk, serve_in_thread
from tests.delivery.conftest import DAY, PREMIUM, RELEASE, SILVER, delivery_settings, reader
from tests.support import publish, three_deals

EARLY = RELEASE - dt.timedelta(minutes=20)  # approved well before: released at RELEASE


def _moving_clock(start: dt.datetime) -> object:
    """The app's clock running in real time from ``start``."""
    began = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - began)


@pytest.fixture
def stream_app(desk: Desk) -> Iterator[FastAPI]:
    app = create_app(delivery_settings(desk.db, stream_max_seconds=4.0), engine=desk.db.engine)
    yield app


def _key(desk: Desk, user: User) -> dict[str, str]:
    with desk.db.transaction() as session:
        made = accounts.create_api_key(session, user.email, Scope.READ, actor="t")
    return {"Authorization": f"Bearer {made.secret}"}


def _read(
    url: str, headers: dict[str, str], out: list[dict[str, object]], opened: threading.Event
) -> None:
    with httpx.stream("GET", url, headers=headers, timeout=10) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        opened.set()
        for line in answer.iter_lines():
            if line.startswith("data: "):
                out.append(json.loads(line[len("data: ") :]) | {"at": time.monotonic()})


def test_an_open_stream_gets_the_price_at_its_release_instant_as_its_plan_allows(
    desk: Desk, stream_app: FastAPI
) -> None:
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=EARLY)
    publish(desk, PREMIUM, DAY, three_deals("6600", "6610", "6620"), approved_at=EARLY)
    subscriber = reader(desk.db, "sub@firm.cn", "subscriber")
    free = reader(desk.db, "free@firm.cn", "free")
    stream_app.state.clock = _moving_clock(RELEASE - dt.timedelta(seconds=1.5))
    got: dict[str, list[dict[str, object]]] = {"anonymous": [], "free": [], "subscriber": []}
    headers = {"anonymous": {}, "free": _key(desk, free), "subscriber": _key(desk, subscriber)}
    with serve_in_thread(stream_app) as base:
        threads = []
        for who in got:
            opened = threading.Event()
            thread = threading.Thread(
                target=_read,
                args=(
                    f"{base}/api/v1/stream?series={SILVER},{PREMIUM}",
                    headers[who],
                    got[who],
                    opened,
                ),
            )
            thread.start()
            assert opened.wait(5)
            threads.append(thread)
        released_at = time.monotonic() + 1.0  # roughly: the clocks started 1.5 s before
        for thread in threads:
            thread.join(timeout=10)
            assert not thread.is_alive(), "the stream outlived stream_max_seconds"

    for who, messages in got.items():
        series = sorted(m["data"]["series"] for m in messages)  # type: ignore[index]
        assert series == ([PREMIUM, SILVER] if who == "subscriber" else [SILVER]), who
        for m in messages:
            assert m["event"] == "price.released"
            assert m["released_at"] == RELEASE.isoformat()
            # Within a second of the release instant (the hub polls four times a second).
            assert float(m["at"]) - released_at < 1.5, who  # type: ignore[arg-type]
    text = json.dumps(got["free"]) + json.dumps(got["anonymous"])
    assert "7710" in text and "661" not in text


def test_a_stream_names_unknown_event_kinds(desk: Desk, stream_app: FastAPI) -> None:
    with serve_in_thread(stream_app) as base:
        answer = httpx.get(f"{base}/api/v1/stream?events=price.leaked", timeout=5)
    assert answer.status_code == 422
    assert "price.leaked" in answer.text


def test_nothing_is_streamed_before_the_instant(desk: Desk, stream_app: FastAPI) -> None:
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=EARLY)
    stream_app.state.clock = _moving_clock(RELEASE - dt.timedelta(seconds=30))
    messages: list[dict[str, object]] = []
    with serve_in_thread(stream_app) as base:
        _read(f"{base}/api/v1/stream", {}, messages, threading.Event())
    assert messages == []
