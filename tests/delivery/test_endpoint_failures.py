"""An endpoint that keeps failing is disabled with a notice mailed to its owner (real SMTP), and
a destination that became private is refused at send time: dead at once, nothing sent. Both
databases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from metalwire.delivery.models import Delivery, DeliveryStatus, WebhookEndpoint
from metalwire.delivery.worker import StepReport, Worker
from tests.alerts.conftest import NO_MORE, body_of, wait_for
from tests.conftest import Desk
from tests.delivery.conftest import (
    DAY,
    RELEASE,
    SILVER,
    Receiver,
    delivery_settings,
    reader,
    webhook,
)
from tests.support import publish, three_deals

Mailbox = tuple[int, list[object]]


def _step(desk: Desk, at: dt.datetime, **settings: object) -> StepReport:
    worker = Worker(
        desk.db.sessions,
        delivery_settings(desk.db, **settings),
        name=f"w-{at:%H%M%S%f}",
        clock=lambda: at,
    )
    return worker.step()


def test_an_endpoint_failing_in_a_row_is_disabled_and_its_owner_mailed(
    desk: Desk, receiver: Receiver, smtp: Mailbox
) -> None:
    port, received = smtp
    owner = reader(desk.db, "ops@firm.cn", "free")
    endpoint_id, _secret = webhook(desk.db, owner, receiver.url + "/down")
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"))
    receiver.answers = [500, 502, 503]
    mail = {"smtp_host": "127.0.0.1", "smtp_port": port, "webhook_disable_after": 2}

    first = _step(desk, RELEASE, **mail)
    assert first.failed == 1 and wait_for(received, 1, within=NO_MORE) == []
    second = _step(desk, RELEASE + dt.timedelta(seconds=5), **mail)

    assert second.failed == 1 and len(receiver.at("/down")) == 2
    [notice] = wait_for(received, 1)
    assert notice["To"] == "ops@firm.cn" and notice["Subject"] == "metalwire: webhook disabled"
    assert receiver.url + "/down" in body_of(notice)
    with desk.db.session() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None and endpoint.active is False
        assert endpoint.consecutive_failures == 2
        assert endpoint.disabled_reason is not None
        assert "after 2 failed deliveries in a row" in endpoint.disabled_reason
        assert endpoint.disabled_reason in body_of(notice)
    # The retry still due is not sent to a disabled endpoint; no second notice.
    third = _step(desk, RELEASE + dt.timedelta(seconds=30), **mail)
    assert third.withheld == 1 and len(receiver.at("/down")) == 2
    assert len(wait_for(received, 2, within=NO_MORE)) == 1


def test_a_destination_refused_at_send_time_is_dead_at_once_and_nothing_sent(
    desk: Desk, receiver: Receiver
) -> None:
    owner = reader(desk.db, "ops@firm.cn", "free")
    # Registered while private addresses were allowed; the worker no longer allows them.
    webhook(desk.db, owner, receiver.url + "/private")
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"))

    report = _step(desk, RELEASE, webhooks_allow_private=False)

    assert report.failed == 1 and receiver.received == []
    with desk.db.session() as session:
        (delivery,) = session.scalars(select(Delivery))
        assert delivery.status is DeliveryStatus.DEAD and delivery.attempts == 1
        assert delivery.last_error is not None and "127.0.0.1" in delivery.last_error
    # Dead: no retry is ever due.
    later = _step(desk, RELEASE + dt.timedelta(hours=4), webhooks_allow_private=False)
    assert later.outcomes == {} and receiver.received == []
