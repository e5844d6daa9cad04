"""Webhooks at the release instant, on a real HTTP receiver: signed once, withheld above the
plan, retried with back-off, dead after the last try, redelivered by hand, and sent once
across a worker that died holding its delivery and across workers racing."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from metalwire.accounts.models import User
from metalwire.delivery import claims
from metalwire.delivery.models import Delivery, DeliveryStatus
from metalwire.delivery.signing import verify
from metalwire.delivery.webhooks import redeliver
from metalwire.delivery.worker import Worker
from metalwire.outbox.models import ReleaseEvent
from tests.conftest import Desk
from tests.delivery.conftest import (
    DAY,
    PREMIUM,
    RELEASE,
    SILVER,
    Receiver,
    delivery_settings,
    reader,
    webhook,
)
from tests.support import publish, three_deals

LATE = RELEASE + dt.timedelta(minutes=5)  # an approval past the release time releases at once


def _worker(desk: Desk, at: dt.datetime, **settings: object) -> Worker:
    return Worker(
        desk.db.sessions,
        delivery_settings(desk.db, **settings),
        name=f"w-{at:%H%M%S}",
        clock=lambda: at,
    )


def _statuses(desk: Desk) -> list[str]:
    with desk.db.session() as session:
        return sorted(d.status.value for d in session.scalars(select(Delivery)))


def test_a_late_approval_reaches_the_subscriber_signed_and_a_free_reader_gets_no_premium(
    desk: Desk, receiver: Receiver
) -> None:
    free = reader(desk.db, "free@firm.cn", "free")
    _id, secret = webhook(desk.db, free, receiver.url + "/silver", codes=(SILVER,))
    webhook(desk.db, free, receiver.url + "/premium", codes=(PREMIUM,))
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=LATE)
    publish(desk, PREMIUM, DAY, three_deals("6600", "6610", "6620"), approved_at=LATE)

    report = _worker(desk, LATE + dt.timedelta(seconds=1)).step()

    # Two prices, and the London series not out by its time (a delay nobody asked for).
    assert report.dispatched == 3 and report.delivered == 1 and report.withheld == 1
    (sent,) = receiver.at("/silver")
    assert receiver.at("/premium") == []
    assert verify(sent.body, secret, sent.headers["X-Metalwire-Signature"])
    assert not verify(sent.body, "whsec_other", sent.headers["X-Metalwire-Signature"])
    assert sent.headers["X-Metalwire-Event"] == "price.released"
    body = sent.json
    assert body["id"] == sent.headers["X-Metalwire-Delivery"]
    assert body["timestamp"] == int((LATE + dt.timedelta(seconds=1)).timestamp())
    assert body["data"]["series"] == SILVER and body["data"]["price"]["mid"] == "7710"
    assert b"661" not in b"".join(r.body for r in receiver.received)
    # Nothing twice: the next pass finds nothing due.
    again = _worker(desk, LATE + dt.timedelta(seconds=2)).step()
    assert again.outcomes == {}
    assert len(receiver.received) == 1


def test_nothing_leaves_before_the_release_instant(desk: Desk, receiver: Receiver) -> None:
    subscriber = reader(desk.db, "sub@firm.cn", "subscriber")
    webhook(desk.db, subscriber, receiver.url + "/all")
    early = RELEASE - dt.timedelta(minutes=30)
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=early)

    assert _worker(desk, early + dt.timedelta(minutes=1)).step().outcomes == {}
    assert _worker(desk, RELEASE - dt.timedelta(microseconds=1)).step().outcomes == {}
    assert receiver.received == []
    with desk.db.session() as session:
        assert claims.next_instant(session) == RELEASE
        assert (
            session.scalar(
                select(ReleaseEvent.dispatched).where(ReleaseEvent.kind == "price.released")
            )
            is False
        )

    report = _worker(desk, RELEASE).step()
    assert report.delivered == 1
    assert receiver.at("/all")[0].json["data"]["price"]["released_at"] == RELEASE.isoformat()


def test_a_plan_downgraded_after_the_release_sends_nothing(desk: Desk, receiver: Receiver) -> None:
    subscriber = reader(desk.db, "sub@firm.cn", "subscriber")
    webhook(desk.db, subscriber, receiver.url + "/premium", codes=(PREMIUM,))
    publish(desk, PREMIUM, DAY, three_deals("6600", "6610", "6620"), approved_at=LATE)
    worker = _worker(desk, LATE)
    with desk.db.transaction() as session:  # fanned out while the plan still held it
        assert len(claims.dispatch_due(session, LATE)) == 1
    with desk.db.transaction() as session:
        user = session.get(User, subscriber.id)
        assert user is not None
        user.plan_code = "free"

    report = worker.step()

    assert report.withheld == 1 and receiver.received == []


def test_failures_are_retried_with_back_off_then_dead_then_redelivered(
    desk: Desk, receiver: Receiver
) -> None:
    subscriber = reader(desk.db, "sub@firm.cn", "subscriber")
    webhook(desk.db, subscriber, receiver.url + "/flaky")
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=LATE)
    receiver.answers = [500, 503, 502]

    first = _worker(desk, LATE).step()
    assert first.failed == 1 and _statuses(desk) == ["pending"]
    with desk.db.session() as session:
        (delivery,) = session.scalars(select(Delivery))
        retry_at = delivery.next_attempt_at
    # Retry delays (1 s, 2 s) drawn within +-20 %.
    assert LATE + dt.timedelta(seconds=0.8) <= retry_at <= LATE + dt.timedelta(seconds=1.2)
    assert _worker(desk, LATE + dt.timedelta(seconds=0.5)).step().outcomes == {}

    _worker(desk, LATE + dt.timedelta(seconds=2)).step()
    last = _worker(desk, LATE + dt.timedelta(seconds=10)).step()
    assert last.failed == 1 and _statuses(desk) == ["dead"]
    assert len(receiver.at("/flaky")) == 3
    ids = {r.headers["X-Metalwire-Delivery"] for r in receiver.received}
    assert len(ids) == 1  # one delivery, three tries under its id

    with desk.db.transaction() as session:
        user = session.get(User, subscriber.id)
        assert user is not None
        redeliver(session, user, ids.pop(), now=LATE + dt.timedelta(seconds=20), actor="t")
    done = _worker(desk, LATE + dt.timedelta(seconds=20)).step()
    assert done.delivered == 1 and _statuses(desk) == ["delivered"]


def test_a_worker_that_died_holding_a_delivery_leaves_it_to_another_once(
    desk: Desk, receiver: Receiver
) -> None:
    subscriber = reader(desk.db, "sub@firm.cn", "subscriber")
    webhook(desk.db, subscriber, receiver.url + "/x")
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=LATE)
    with desk.db.transaction() as session:
        claims.dispatch_due(session, LATE)
    with desk.db.transaction() as session:  # claimed, then the worker is gone
        assert len(claims.claim(session, "dead-worker", LATE, limit=10)) == 1

    assert _worker(desk, LATE + dt.timedelta(seconds=30)).step().outcomes == {}
    assert receiver.received == []
    after_lease = LATE + claims.LEASE + dt.timedelta(seconds=1)
    assert _worker(desk, after_lease).step().delivered == 1
    assert _worker(desk, after_lease + dt.timedelta(seconds=1)).step().outcomes == {}
    assert len(receiver.received) == 1


def test_racing_workers_send_each_delivery_once(desk: Desk, receiver: Receiver) -> None:
    readers = [reader(desk.db, f"r{i}@firm.cn", "subscriber") for i in range(12)]
    for i, user in enumerate(readers):
        webhook(desk.db, user, f"{receiver.url}/r{i}")
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=LATE)
    at = LATE + dt.timedelta(seconds=1)
    workers = [_worker(desk, at) for _ in range(3)]
    for n, worker in enumerate(workers):
        worker.name = f"racer-{n}"
    threads = [threading.Thread(target=w.step) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    paths = sorted(r.path for r in receiver.received)
    assert paths == sorted(f"/r{i}" for i in range(12))
    with desk.db.session() as session:
        assert set(session.scalars(select(ReleaseEvent.dispatched))) == {True}
        assert {d.status for d in session.scalars(select(Delivery))} == {DeliveryStatus.DELIVERED}
