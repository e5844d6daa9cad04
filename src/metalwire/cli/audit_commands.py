"""``metalwire audit``: checks on the append-only audit trail."""

from __future__ import annotations

import typer

from metalwire.audit import verify_trail
from metalwire.cli.context import EXIT_BAD_INPUT, console, fail, unit_of_work

audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@audit_app.command("verify")
def verify_command() -> None:
    """Recompute the audit trail's hash chain, oldest event first; exit 1 at the first broken
    link, naming the event and what is wrong with it."""
    with unit_of_work() as session:
        report = verify_trail(session)
    if report.broken is not None:
        fail(
            f"BROKEN at audit event {report.broken.event_id} (after {report.count} good "
            f"events): {report.broken.problem}",
            EXIT_BAD_INPUT,
        )
    console.print(
        f"OK: {report.count} audit events chained; head {report.head or 'none'}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
