"""A claimed delivery made ready to send, at send time, for its recipient as they are now:
the endpoint still active, the key that registered it not revoked, the reader active, and the
event's content through the gate (delivery/content.py). Whatever fails that is withheld:
nothing leaves the server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.entitlements import Entitlements
from metalwire.accounts.gate import Principal, principal_for
from metalwire.accounts.models import ApiKey, User
from metalwire.accounts.service import principal_of
from metalwire.delivery import mail
from metalwire.delivery.content import Data, event_data
from metalwire.delivery.models import Channel, Delivery, WebhookEndpoint
from metalwire.delivery.webhook_sender import WebhookRequest, webhook_body
from metalwire.outbox.models import ReleaseEvent
from metalwire.settings import Settings


@dataclass(frozen=True)
class Withheld:
    delivery_id: str
    reason: str


Prepared = WebhookRequest | mail.MailRequest | Withheld


class _Contents:
    """Each event's content per plan, built once: at a release instant a thousand readers of
    one plan get the same figures, and the gate's answer depends on the plan, not the reader."""

    def __init__(self, session: Session, now: dt.datetime) -> None:
        self.session, self.now = session, now
        self.built: dict[tuple[int, Entitlements, bool], Data | None] = {}
        self.plans: dict[tuple[str, str], Entitlements] = {}

    def _principal(self, user: User) -> Principal:
        # A plan's entitlements are parsed once per batch, not once per reader.
        key = (user.plan_code, user.role.value)
        if key not in self.plans:
            self.plans[key] = principal_of(user).entitlements
        return principal_for(user.id, user.email, user.role, self.plans[key])

    def of(self, event: ReleaseEvent, user: User) -> Data | None:
        principal = self._principal(user)
        key = (event.id, principal.entitlements, principal.is_staff)
        if key not in self.built:
            self.built[key] = event_data(self.session, event, principal, self.now)
        return self.built[key]


def _webhook(
    delivery: Delivery,
    event: ReleaseEvent,
    endpoint: WebhookEndpoint | None,
    revoked: set[int],
    data: Data | None,
    now: dt.datetime,
) -> Prepared:
    if endpoint is None or not endpoint.active:
        return Withheld(delivery.id, "the endpoint was removed or disabled")
    if endpoint.api_key_id is not None and endpoint.api_key_id in revoked:
        return Withheld(delivery.id, "the API key that registered the endpoint was revoked")
    if data is None:
        return Withheld(delivery.id, "not readable on the reader's plan at send time")
    body = webhook_body(delivery.id, event.kind.value, event.due_at, now, data)
    return WebhookRequest(delivery.id, endpoint.url, event.kind.value, body, endpoint.secret)


def prepare(
    session: Session, deliveries: Sequence[Delivery], settings: Settings, now: dt.datetime
) -> list[Prepared]:
    events = {
        e.id: e
        for e in session.scalars(
            select(ReleaseEvent).where(ReleaseEvent.id.in_({d.event_id for d in deliveries}))
        )
    }
    users = {
        u.id: u
        for u in session.scalars(select(User).where(User.id.in_({d.user_id for d in deliveries})))
    }
    hooks = [d.target for d in deliveries if d.channel is Channel.WEBHOOK]
    endpoints = {
        e.id: e
        for e in session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(hooks)))
    }
    keys = {e.api_key_id for e in endpoints.values() if e.api_key_id is not None}
    revoked = set(
        session.scalars(
            select(ApiKey.id).where(ApiKey.id.in_(keys), ApiKey.revoked_at.is_not(None))
        )
    )
    contents = _Contents(session, now)
    out: list[Prepared] = []
    for delivery in deliveries:
        event, user = events[delivery.event_id], users.get(delivery.user_id)
        if user is None or not user.is_active:
            out.append(Withheld(delivery.id, "the reader's account is closed"))
            continue
        data = contents.of(event, user)
        if delivery.channel is Channel.WEBHOOK:
            out.append(
                _webhook(delivery, event, endpoints.get(delivery.target), revoked, data, now)
            )
        elif data is None:
            out.append(Withheld(delivery.id, "not readable on the reader's plan at send time"))
        else:
            made = mail.prepare(session, delivery, event, user, data, settings, now)
            out.append(made if isinstance(made, mail.MailRequest) else Withheld(delivery.id, made))
    return out
