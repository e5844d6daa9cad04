"""Who an event is for: the webhook endpoints and the e-mail readers it fans out to. Whether
they may read it is asked later, at send time (delivery/content.py): a reader is a recipient
by what they asked for, and gets something only by what their plan allows then."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.alerts.models import AlertDelivery, PriceAlert, ReportSubscription
from metalwire.delivery.models import Channel, Delivery, DeliveryStatus, WebhookEndpoint
from metalwire.outbox.events import price_date_prefix
from metalwire.outbox.models import EventKind, ReleaseEvent


class Recipient(NamedTuple):
    channel: Channel
    target: int  # the endpoint (webhook) or the reader (e-mail)
    user_id: int


def wants(endpoint: WebhookEndpoint, event: ReleaseEvent) -> bool:
    """An endpoint asked for this kind of event, and for its series, survey or window."""
    return event.kind.value in endpoint.events and (
        not endpoint.codes or event.code in endpoint.codes
    )


def _corrected_day(event: ReleaseEvent) -> tuple[str, str]:
    """The (series code, market date) a price event's subject names."""
    code, day, _version = event.subject.split("/")
    return code, day


def _sent_the_value(session: Session, event: ReleaseEvent) -> list[Recipient]:
    """Everyone a corrected value went to: the endpoints delivered an earlier version of the
    day and the readers e-mailed it (by the alert's own record)."""
    code, day = _corrected_day(event)
    delivered = session.execute(
        select(Delivery.channel, Delivery.target, Delivery.user_id)
        .join(ReleaseEvent, ReleaseEvent.id == Delivery.event_id)
        .where(
            ReleaseEvent.code == code,
            ReleaseEvent.subject.startswith(price_date_prefix(code, dt.date.fromisoformat(day))),
            ReleaseEvent.id != event.id,
            Delivery.status == DeliveryStatus.DELIVERED,
        )
    )
    out = [Recipient(Channel(c), t, u) for c, t, u in delivered]
    mailed = session.scalars(
        select(AlertDelivery.user_id).where(AlertDelivery.subject == f"price:{code}:{day}")
    )
    out += [Recipient(Channel.EMAIL, user_id, user_id) for user_id in mailed]
    return out


def _mail_readers(session: Session, event: ReleaseEvent) -> list[Recipient]:
    if event.kind is EventKind.PRICE_RELEASED:
        users = session.scalars(
            select(PriceAlert.user_id).where(PriceAlert.series_id == event.refs["series_id"])
        )
    elif event.kind is EventKind.REPORT_PUBLISHED and event.code:
        users = session.scalars(
            # Reports out once the reader had subscribed, as ``metalwire alerts send`` counts.
            select(ReportSubscription.user_id).where(
                ReportSubscription.group_code == event.code,
                ReportSubscription.created_at <= event.due_at,
            )
        )
    else:
        return []
    return [Recipient(Channel.EMAIL, user_id, user_id) for user_id in users]


def recipients(
    session: Session, event: ReleaseEvent, endpoints: list[WebhookEndpoint]
) -> list[Recipient]:
    """Each (channel, target) once: a correction goes to whoever was sent the value, whether
    or not they asked for corrections, and to whoever asked for them."""
    found = [
        Recipient(Channel.WEBHOOK, endpoint.id, endpoint.user_id)
        for endpoint in endpoints
        if wants(endpoint, event)
    ]
    found += _mail_readers(session, event)
    if event.kind is EventKind.PRICE_CORRECTED:
        found += _sent_the_value(session, event)
    unique: dict[tuple[Channel, int], Recipient] = {}
    for recipient in found:
        unique.setdefault((recipient.channel, recipient.target), recipient)
    return list(unique.values())
