"""What became of each send, in one transaction: delivered, withheld, tried again later (with
back-off), or dead after the last try. A webhook endpoint failing again and again is disabled,
with a notice to its owner. Only a worker still holding a delivery records it: one whose lease
ran out (and whose delivery another worker took) writes nothing."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from metalwire.accounts.mail import send_mail
from metalwire.audit import record
from metalwire.delivery import mail
from metalwire.delivery.models import Channel, Delivery, DeliveryStatus, WebhookEndpoint
from metalwire.delivery.preparing import Prepared, Withheld
from metalwire.delivery.retry import next_attempt
from metalwire.delivery.sending import Result
from metalwire.delivery.webhook_sender import Outcome
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


def _held(session: Session, worker: str, results: Sequence[Result]) -> dict[str, Delivery]:
    """The deliveries of ``results`` this worker still holds (its lease not taken over)."""
    return {
        d.id: d
        for d in session.scalars(
            select(Delivery).where(
                Delivery.id.in_([r.delivery_id for r in results]),
                Delivery.claimed_by == worker,
                Delivery.status == DeliveryStatus.SENDING,
            )
        )
    }


def _plainly_delivered(
    session: Session,
    held: dict[str, Delivery],
    results: Sequence[Result],
    mailed: set[str],
    now: dt.datetime,
) -> set[str]:
    """Webhooks answered 2xx, recorded in one UPDATE per status code rather than one per
    delivery (a release's thousand go in a few statements), and their endpoints' failure
    counts reset; returns their ids."""
    by_status: dict[int | None, list[str]] = {}
    for r in results:
        if (
            isinstance(r, Outcome)
            and r.ok
            and r.delivery_id in held
            and r.delivery_id not in mailed
        ):
            by_status.setdefault(r.status, []).append(r.delivery_id)
    for status, ids in by_status.items():
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(
                status=DeliveryStatus.DELIVERED,
                delivered_at=now,
                last_status=status,
                last_error=None,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
    done = {i for ids in by_status.values() for i in ids}
    targets = {held[i].target for i in done if held[i].channel is Channel.WEBHOOK}
    if targets:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(targets), WebhookEndpoint.consecutive_failures != 0)
            .values(consecutive_failures=0)
            .execution_options(synchronize_session=False)
        )
    return done


def record_outcomes(
    session: Session,
    worker: str,
    prepared: Sequence[Prepared],
    results: Sequence[Result],
    settings: Settings,
    now: dt.datetime,
) -> dict[str, str]:
    """Each held delivery's new status, by id."""
    held = _held(session, worker, results)
    mails = {p.delivery_id: p for p in prepared if isinstance(p, mail.MailRequest)}
    statuses = dict.fromkeys(
        _plainly_delivered(session, held, results, set(mails), now), "delivered"
    )
    hooks = {d.target for d in held.values() if d.channel is Channel.WEBHOOK}
    endpoints = {
        e.id: e
        for e in session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(hooks)))
    }

    def endpoint_of(delivery: Delivery) -> WebhookEndpoint | None:
        return endpoints.get(delivery.target) if delivery.channel is Channel.WEBHOOK else None

    for result in results:
        delivery = held.get(result.delivery_id)
        if delivery is None or delivery.id in statuses:
            continue
        delivery.lease_until = None
        if isinstance(result, Withheld):
            delivery.status, delivery.last_error = DeliveryStatus.WITHHELD, result.reason
        elif result.ok:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
            delivery.last_status, delivery.last_error = result.status, None
            mail.record_mailed(session, mails[result.delivery_id], now)
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
