"""``metalwire alerts``: e-mail readers the price moves and new reports they asked for.

Meant for a scheduler (cron, systemd timer) after each release time: a rerun sends nothing that
was sent already, so running it every half hour is safe.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from metalwire.alerts import service
from metalwire.cli.context import console, engine, err_console, print_json, settings
from metalwire.db.base import utcnow
from metalwire.db.engine import make_sessionmaker

alerts_app = typer.Typer(help="Price alerts and report e-mails.", no_args_is_help=True)

DateOption = Annotated[
    dt.datetime | None,
    typer.Option(
        "--date",
        formats=["%Y-%m-%d"],
        help="Market date of the moves to check (default: each series' market today)",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


@alerts_app.command("send")
def alerts_send(date: DateOption = None, as_json: JsonOption = False) -> None:
    """Mail each reader one message with their triggered alerts (released prices only, within
    the reader's current plan); exits 1 if a mail server refused a message."""
    config = settings()
    db = engine()
    try:
        report = service.send_alerts(
            make_sessionmaker(db), config, now=utcnow(), day=date.date() if date else None
        )
    finally:
        db.dispose()
    if as_json:
        print_json({"mailed": report.mailed, "unsent": report.unsent, "failed": report.failed})
    else:
        for email, count in report.mailed.items():
            console.print(f"mailed {email}: {count} alert(s)", markup=False, highlight=False)
        if not report.mailed:
            console.print("nothing to send", markup=False, highlight=False)
    if report.unsent:
        err_console.print(
            f"no METALWIRE_SMTP_HOST: {len(report.unsent)} message(s) only logged; "
            "they will be sent by a run with a mail server",
            markup=False,
            highlight=False,
        )
    for email, reason in report.failed.items():
        err_console.print(f"mail to {email} failed: {reason}", markup=False, highlight=False)
    if report.failed:
        raise typer.Exit(1)
