"""Webhooks over the API: a signed-in reader registers endpoints, reads each one's delivery log
and redelivers by hand. An endpoint registered with an API key is tied to it: revoking the key
stops its deliveries (delivery/preparing.py). Another reader's endpoint or delivery answers 404,
as a missing one does."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from metalwire.accounts.gate import Principal, may_act
from metalwire.accounts.models import ApiKey, Scope, User
from metalwire.delivery import webhooks
from metalwire.delivery.models import WebhookEndpoint
from metalwire.outbox.models import ReleaseEvent
from metalwire.pricing.schemas import CODE_LIMIT
from metalwire.web.access import access
from metalwire.web.auth import CurrentPrincipal, deny
from metalwire.web.deps import DbSession, RowId
from metalwire.web.problems import PROBLEM_RESPONSES, Problem, ProblemError

router = APIRouter(tags=["webhooks"])
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not signed in and no API key"},
    403: {"model": Problem, "description": "CSRF token missing on a cookie-authenticated write"},
    404: {"model": Problem, "description": "No such webhook (or delivery) of yours"},
    **PROBLEM_RESPONSES,
}
DeliveryId = Annotated[str, Path(min_length=1, max_length=36, description="Delivery id")]


def owner(session: Session, principal: Principal) -> User:
    """The signed-in caller (any role and plan, a key of any scope); 401 for nobody."""
    decision = may_act(principal, Scope.READ)
    if not decision:
        if principal.is_anonymous:
            raise ProblemError(
                401,
                "sign in or send an API key to manage webhooks",
                kind="unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )
        raise deny(decision, "webhooks")
    user = session.get(User, principal.user_id)
    assert user is not None
    return user


class WebhookIn(BaseModel):
    url: str = Field(max_length=500, examples=["https://hooks.example.com/metalwire"])
    events: list[Annotated[str, Field(max_length=32)]] = Field(
        min_length=1,
        max_length=20,
        description=f"Any of: {', '.join(webhooks.EVENT_NAMES)}",
        examples=[["price.released", "report.published"]],
    )
    series: list[Annotated[str, Field(max_length=CODE_LIMIT)]] = Field(
        default_factory=list,
        max_length=100,
        description="Only events of these series, surveys, windows or groups; empty: all",
    )


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    series: list[str]
    active: bool
    disabled_reason: str | None
    created_at: dt.datetime


class RegisteredOut(WebhookOut):
    secret: str = Field(description="Signs every delivery; shown only in this answer")


def webhook_out(endpoint: WebhookEndpoint) -> WebhookOut:
    return WebhookOut(
        id=endpoint.id,
        url=endpoint.url,
        events=list(endpoint.events),
        series=list(endpoint.codes),
        active=endpoint.active,
        disabled_reason=endpoint.disabled_reason,
        created_at=endpoint.created_at,
    )


@router.post("/webhooks", status_code=201, response_model=RegisteredOut, responses=RESPONSES)
@access("account")
def register_webhook(
    request: Request, session: DbSession, principal: CurrentPrincipal, body: WebhookIn
) -> RegisteredOut:
    """Register an endpoint for the events named; the answer carries its signing secret, once.
    A URL resolving to a loopback or private address is refused (422 on `url`)."""
    user = owner(session, principal)
    key = session.get(ApiKey, principal.key_id) if principal.key_id is not None else None
    made = webhooks.add_endpoint(
        session,
        user,
        url=body.url,
        events=body.events,
        codes=body.series,
        key=key,
        allow_private=request.app.state.settings.webhooks_allow_private,
        actor=user.email,
    )
    return RegisteredOut(**webhook_out(made.endpoint).model_dump(), secret=made.secret)


@router.get("/webhooks", response_model=list[WebhookOut], responses=RESPONSES)
@access("account")
def list_webhooks(session: DbSession, principal: CurrentPrincipal) -> list[WebhookOut]:
    """The caller's own endpoints, disabled ones with the reason."""
    return [webhook_out(e) for e in webhooks.endpoints_of(session, owner(session, principal))]


@router.delete("/webhooks/{webhook_id}", status_code=204, responses=RESPONSES)
@access("account")
def remove_webhook(webhook_id: RowId, session: DbSession, principal: CurrentPrincipal) -> None:
    """Stop an endpoint: nothing more is sent to it; its delivery log stays readable."""
    user = owner(session, principal)
    webhooks.remove_endpoint(session, user, webhook_id, actor=user.email)


@router.post("/webhooks/{webhook_id}/enable", response_model=WebhookOut, responses=RESPONSES)
@access("account")
def enable_webhook(
    webhook_id: RowId, session: DbSession, principal: CurrentPrincipal
) -> WebhookOut:
    """Start a disabled endpoint again (after repeated failures, or removed)."""
    user = owner(session, principal)
    return webhook_out(webhooks.enable_endpoint(session, user, webhook_id, actor=user.email))


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=list[webhooks.LoggedDelivery],
    responses=RESPONSES,
)
@access("account")
def webhook_deliveries(
    webhook_id: RowId, session: DbSession, principal: CurrentPrincipal
) -> list[webhooks.LoggedDelivery]:
    """The endpoint's newest 50 deliveries and what its receiver answered."""
    user = owner(session, principal)
    return webhooks.delivery_log(session, user, webhook_id)


@router.post(
    "/webhooks/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=webhooks.LoggedDelivery,
    responses={
        **RESPONSES,
        409: {"model": Problem, "description": "The delivery is being sent right now"},
    },
)
@access("account")
def redeliver(
    request: Request, delivery_id: DeliveryId, session: DbSession, principal: CurrentPrincipal
) -> webhooks.LoggedDelivery:
    """Send a delivery again, under its own id, at the worker's next pass."""
    user = owner(session, principal)
    now: dt.datetime = request.app.state.clock()
    delivery = webhooks.redeliver(session, user, delivery_id, now=now, actor=user.email)
    event = session.get(ReleaseEvent, delivery.event_id)
    assert event is not None
    return webhooks.logged(delivery, event)
