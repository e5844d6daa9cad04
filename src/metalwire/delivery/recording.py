"""What became of each send, in one transaction: delivered, withheld, tried again later (with
back-off), or dead after the last try. A webhook endpoint failing again and again is disabled,
with a notice to its owner. Only a worker still holding a delivery records it: one whose lease
ran out (and whose delivery another worker took) writes nothing."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.mail import send_mail
from metalwire.audit import record
from metalwire.delivery import mail
from metalwire.delivery.models import Channel, Delivery, DeliveryStatus, WebhookEndpoint
from metalwire.delivery.preparing import Prepared, Withheld
from metalwire.delivery.retry import next_attempt
from metalwire.delivery.sending import Result
from metalwire.settings import Settings

log = logging.getLogger("metalwire.worker")


def _disable(
    session: Session, endpoint: WebhookEndpoint, settings: Settings, now: dt.datetime
) -> None:
    endpoint.active = False
    endpoint.disabled_reason = (
        f"disabled on {now:%Y-%m-%d %H:%M} UTC after {endpoint.consecutive_failures} failed "
        "deliveries in a row; enable it again from your account once the receiver answers"
    )
    record(
        session,
        at=now,
        actor="worker",
        action="disable",
        object_type="webhook",
        object_id=endpoint.id,
        after={"url": endpoint.url, "failures": endpoint.consecutive_failures},
    )
    owner = endpoint.user_id
    from metalwire.accounts.models import User

    user = session.get(User, owner)
    if user is not None:
        try:
            send_mail(
                settings,
                user.email,
                "metalwire: webhook disabled",
                f"{endpoint.url}\n\n{endpoint.disabled_reason}\n",
            )
        except OSError as exc:  # the notice is also on the account page
            log.warning("could not mail the webhook notice to %s: %s", user.email, exc)


def _endpoint_result(
    session: Session,
    endpoint: WebhookEndpoint | None,
    ok: bool,
    settings: Settings,
    now: dt.datetime,
) -> None:
    if endpoint is None:
        return
    if ok:
        endpoint.consecutive_failures = 0
        return
    endpoint.consecutive_failures += 1
    if endpoint.active and endpoint.consecutive_failures >= settings.webhook_disable_after:
        _disable(session, endpoint, settings, now)


def record_outcomes(
    session: Session,
    worker: str,
    prepared: Sequence[Prepared],
    results: Sequence[Result],
    settings: Settings,
    now: dt.datetime,
) -> dict[str, str]:
    """Each held delivery's new status, by id."""
    ids = [r.delivery_id for r in results]
    held = {
        d.id: d
        for d in session.scalars(
            select(Delivery).where(
                Delivery.id.in_(ids),
                Delivery.claimed_by == worker,
                Delivery.status == DeliveryStatus.SENDING,
            )
        )
    }
    mails = {p.delivery_id: p for p in prepared if isinstance(p, mail.MailRequest)}
    hooks = {d.target for d in held.values() if d.channel is Channel.WEBHOOK}
    endpoints = {
        e.id: e
        for e in session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(hooks)))
    }

    def endpoint_of(delivery: Delivery) -> WebhookEndpoint | None:
        return endpoints.get(delivery.target) if delivery.channel is Channel.WEBHOOK else None

    statuses: dict[str, str] = {}
    for result in results:
        delivery = held.get(result.delivery_id)
        if delivery is None:
            continue
        delivery.lease_until = None
        if isinstance(result, Withheld):
            delivery.status, delivery.last_error = DeliveryStatus.WITHHELD, result.reason
        elif result.ok:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
            delivery.last_status, delivery.last_error = result.status, None
            if result.delivery_id in mails:
                mail.record_mailed(session, mails[result.delivery_id], now)
            _endpoint_result(session, endpoint_of(delivery), True, settings, now)
        else:
            delivery.last_status, delivery.last_error = result.status, result.error
            retry = (
                None
                if result.final
                else next_attempt(delivery.attempts, now, settings.webhook_retry_delays)
            )
            if retry is None:
                delivery.status = DeliveryStatus.DEAD
            else:
                delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, retry
            _endpoint_result(session, endpoint_of(delivery), False, settings, now)
        statuses[delivery.id] = delivery.status.value
    return statuses
