"""Webhook endpoints a reader registers (site, API, CLI alike), their delivery log and a
redelivery by hand. The URL passes the SSRF guard here and again at every send."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.models import ApiKey, User
from metalwire.audit import record
from metalwire.delivery.destination import check_url
from metalwire.delivery.models import Delivery, DeliveryStatus, WebhookEndpoint
from metalwire.delivery.signing import new_secret
from metalwire.errors import Conflict, InvalidInput, NotFound
from metalwire.outbox.models import EventKind, ReleaseEvent

MAX_ENDPOINTS = 20  # per reader: enough for a trading firm's systems
EVENT_NAMES = tuple(kind.value for kind in EventKind)


def parse_events(events: Sequence[str], *, field: str = "events") -> list[str]:
    """The event names asked for, each known, in a stable order."""
    names = [e.strip() for e in events if e.strip()]
    if not names:
        raise InvalidInput(f"name at least one event: {', '.join(EVENT_NAMES)}", field=field)
    unknown = [n for n in names if n not in EVENT_NAMES]
    if unknown:
        raise InvalidInput(
            f"unknown event {unknown[0]!r}; known: {', '.join(EVENT_NAMES)}", field=field
        )
    return sorted(set(names), key=EVENT_NAMES.index)


@dataclass(frozen=True)
class Registered:
    endpoint: WebhookEndpoint
    secret: str  # shown once, at registration


def add_endpoint(
    session: Session,
    user: User,
    *,
    url: str,
    events: Sequence[str],
    codes: Sequence[str] = (),
    key: ApiKey | None = None,
    allow_private: bool,
    actor: str,
) -> Registered:
    checked = check_url(url, allow_private=allow_private)
    names = parse_events(events)
    count = len(endpoints_of(session, user))
    if count >= MAX_ENDPOINTS:
        raise InvalidInput(f"at most {MAX_ENDPOINTS} webhooks per reader", field="url")
    secret = new_secret()
    endpoint = WebhookEndpoint(
        user_id=user.id,
        api_key_id=key.id if key else None,
        url=checked,
        secret=secret,
        events=names,
        codes=sorted({c.strip().upper() for c in codes if c.strip()}),
        active=True,
        consecutive_failures=0,
    )
    session.add(endpoint)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        object_type="webhook",
        object_id=endpoint.id,
        after={"user": user.email, "url": checked, "events": names, "codes": endpoint.codes},
    )
    return Registered(endpoint, secret)


def endpoints_of(session: Session, user: User) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.user_id == user.id)
            .order_by(WebhookEndpoint.id)
        )
    )


def endpoint_of(session: Session, user: User, endpoint_id: int) -> WebhookEndpoint:
    """The reader's own endpoint (another reader's is as unknown as a missing one)."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.user_id != user.id:
        raise NotFound(f"no webhook {endpoint_id} of yours", field="id")
    return endpoint


def remove_endpoint(session: Session, user: User, endpoint_id: int, *, actor: str) -> None:
    """Stop it: no new deliveries; pending ones are withheld at send time. The log stays."""
    endpoint = endpoint_of(session, user, endpoint_id)
    endpoint.active = False
    endpoint.disabled_reason = "removed by its owner"
    record(session, actor=actor, action="delete", object_type="webhook", object_id=endpoint.id)


def enable_endpoint(
    session: Session, user: User, endpoint_id: int, *, actor: str
) -> WebhookEndpoint:
    """Start a disabled endpoint again (after its receiver was fixed)."""
    endpoint = endpoint_of(session, user, endpoint_id)
    endpoint.active, endpoint.disabled_reason, endpoint.consecutive_failures = True, None, 0
    record(session, actor=actor, action="enable", object_type="webhook", object_id=endpoint.id)
    return endpoint


@dataclass(frozen=True)
class LoggedDelivery:
    id: str
    event: str
    subject: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime


def logged(delivery: Delivery, event: ReleaseEvent) -> LoggedDelivery:
    return LoggedDelivery(
        delivery.id,
        event.kind.value,
        event.subject,
        delivery.status.value,
        delivery.attempts,
        delivery.last_status,
        delivery.last_error,
        delivery.next_attempt_at if delivery.status is DeliveryStatus.PENDING else None,
        delivery.delivered_at,
        delivery.created_at,
    )


def delivery_log(
    session: Session, user: User, endpoint_id: int, *, limit: int = 50
) -> list[LoggedDelivery]:
    """The endpoint's newest deliveries, with what the receiver answered."""
    endpoint = endpoint_of(session, user, endpoint_id)
    rows = session.execute(
        select(Delivery, ReleaseEvent)
        .join(ReleaseEvent, ReleaseEvent.id == Delivery.event_id)
        .where(Delivery.channel == "webhook", Delivery.target == endpoint.id)
        .order_by(Delivery.created_at.desc(), Delivery.id)
        .limit(limit)
    )
    return [logged(delivery, event) for delivery, event in rows]


def redeliver(
    session: Session, user: User, delivery_id: str, *, now: dt.datetime, actor: str
) -> Delivery:
    """Send a delivery again (a dead letter, or one the receiver lost), under its own id: one
    try, now."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.user_id != user.id or delivery.channel != "webhook":
        raise NotFound(f"no webhook delivery {delivery_id!r} of yours", field="delivery")
    if delivery.status is DeliveryStatus.SENDING:
        raise Conflict("this delivery is being sent right now", field="delivery")
    delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, now
    record(
        session,
        at=now,
        actor=actor,
        action="redeliver",
        object_type="webhook",
        object_id=delivery_id,
    )
    return delivery
