"""``metalwire worker`` (delivers release events to webhooks and e-mail) and ``metalwire
webhook`` (a reader's endpoints, their delivery log and redelivery, for operators and scripts).
Settings come from the environment like every command's (METALWIRE_WEBHOOKS_ALLOW_PRIVATE)."""

from __future__ import annotations

import logging.config
import signal
import threading
from typing import Annotated

import typer

from metalwire.accounts import service as accounts
from metalwire.cli.context import (
    console,
    engine,
    print_rows,
    refuse,
    settings,
    unit_of_work,
)
from metalwire.db.base import utcnow
from metalwire.db.engine import make_sessionmaker
from metalwire.delivery import webhooks
from metalwire.delivery.worker import StepReport, Worker
from metalwire.errors import ServiceError
from metalwire.logs import logging_config

webhook_app = typer.Typer(help="Webhook endpoints of a reader.", no_args_is_help=True)
ACTOR = "cli"

UserOption = Annotated[str, typer.Option("--user", help="The reader's e-mail")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


def _counts(report: StepReport) -> str:
    return (
        f"dispatched {report.dispatched}, delivered {report.delivered}, "
        f"failed {report.failed}, withheld {report.withheld}, delays {report.delays}"
    )


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="One pass over what is due now, then exit")
    ] = False,
) -> None:
    """Deliver release events (webhooks, e-mail) at their release instants until SIGINT or
    SIGTERM; any number may run side by side."""
    config = settings()
    database = engine()  # refuses an unreachable or un-migrated database
    try:
        delivering = Worker(make_sessionmaker(database), config)
        if once:
            console.print(_counts(delivering.step()), markup=False, highlight=False)
            return
        logging.config.dictConfig(logging_config(config.log_format, False))
        stop = threading.Event()
        for received in (signal.SIGINT, signal.SIGTERM):
            signal.signal(received, lambda *_: stop.set())
        console.print(f"metalwire worker {delivering.name}: delivering until stopped")
        delivering.run(stop)
    finally:
        database.dispose()


@webhook_app.command("add")
def webhook_add(
    user: UserOption,
    url: Annotated[str, typer.Option("--url", help="Where deliveries are POSTed")],
    events: Annotated[
        str,
        typer.Option(
            "--events", help=f"Comma-separated, any of: {', '.join(webhooks.EVENT_NAMES)}"
        ),
    ],
    series: Annotated[
        list[str] | None,
        typer.Option("--series", help="Only events of this code (repeat for more)"),
    ] = None,
) -> None:
    """Register an endpoint and print its id and signing secret (not shown again)."""
    config = settings()
    try:
        with unit_of_work() as session:
            reader = accounts.require_user(session, user)
            made = webhooks.add_endpoint(
                session,
                reader,
                url=url,
                events=events.split(","),
                codes=series or [],
                allow_private=config.webhooks_allow_private,
                actor=ACTOR,
            )
            endpoint_id, secret = made.endpoint.id, made.secret
    except ServiceError as exc:
        refuse(exc)
    print(f"id {endpoint_id}")
    print(f"secret {secret}")


@webhook_app.command("list")
def webhook_list(user: UserOption, as_json: JsonOption = False) -> None:
    """The reader's endpoints; a disabled one with the reason."""
    try:
        with unit_of_work() as session:
            reader = accounts.require_user(session, user)
            rows = [
                {
                    "id": e.id,
                    "url": e.url,
                    "events": ",".join(e.events),
                    "series": ",".join(e.codes) or "*",
                    "active": e.active,
                    "disabled_reason": e.disabled_reason or "",
                }
                for e in webhooks.endpoints_of(session, reader)
            ]
    except ServiceError as exc:
        refuse(exc)
    print_rows(
        rows, ["id", "url", "events", "series", "active", "disabled_reason"], as_json=as_json
    )


@webhook_app.command("remove")
def webhook_remove(
    user: UserOption, webhook_id: Annotated[int, typer.Argument(metavar="ID")]
) -> None:
    """Stop an endpoint (its delivery log stays)."""
    try:
        with unit_of_work() as session:
            reader = accounts.require_user(session, user)
            webhooks.remove_endpoint(session, reader, webhook_id, actor=ACTOR)
    except ServiceError as exc:
        refuse(exc)
    console.print(f"removed webhook {webhook_id}", markup=False, highlight=False)


@webhook_app.command("deliveries")
def webhook_deliveries(
    user: UserOption,
    webhook_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: JsonOption = False,
) -> None:
    """The endpoint's newest deliveries and what its receiver answered."""
    try:
        with unit_of_work() as session:
            reader = accounts.require_user(session, user)
            rows = [
                {
                    "id": d.id,
                    "event": d.event,
                    "subject": d.subject,
                    "status": d.status,
                    "attempts": d.attempts,
                    "last_status": d.last_status,
                    "last_error": d.last_error,
                    "next_attempt_at": d.next_attempt_at,
                    "delivered_at": d.delivered_at,
                }
                for d in webhooks.delivery_log(session, reader, webhook_id)
            ]
    except ServiceError as exc:
        refuse(exc)
    columns = ["id", "event", "subject", "status", "attempts", "last_status", "last_error"]
    print_rows(rows, columns, as_json=as_json)


@webhook_app.command("redeliver")
def webhook_redeliver(
    user: UserOption, delivery_id: Annotated[str, typer.Argument(metavar="DELIVERY_ID")]
) -> None:
    """Send a delivery again, under its own id, at the worker's next pass."""
    try:
        with unit_of_work() as session:
            reader = accounts.require_user(session, user)
            webhooks.redeliver(session, reader, delivery_id, now=utcnow(), actor=ACTOR)
    except ServiceError as exc:
        refuse(exc)
    console.print(f"delivery {delivery_id} queued again", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.add_typer(webhook_app, name="webhook")
