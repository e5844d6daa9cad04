"""Contributors from the terminal: their codes and names (staff's view), and the account a
contributor reads their own submissions with (/api/v1/contributions)."""

from __future__ import annotations

from typing import Annotated

import typer

from metalwire.accounts.service import AccountError
from metalwire.cli.context import console, print_rows, refusing
from metalwire.errors import InvalidInput, NotFound
from metalwire.pricing.contributors import contributors, link_user

contributor_app = typer.Typer(
    help="Contributors: public codes and linked accounts.", no_args_is_help=True
)
ActorOption = Annotated[str, typer.Option("--actor", help="Who makes the change (audit trail)")]


@contributor_app.command("list")
def list_contributors(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Every contributor: code, name (never shown to readers) and linked account."""
    with refusing() as session:
        rows = [
            {"code": c.code, "name": c.name, "user": c.user.email if c.user else None}
            for c in contributors(session)
        ]
    print_rows(rows, ("code", "name", "user"), as_json=as_json)


@contributor_app.command("link")
def link(
    code: str,
    user: Annotated[str, typer.Option("--user", help="E-mail of the account to link")],
    actor: ActorOption = "cli",
) -> None:
    """Link an account to a contributor: its owner reads their own submissions on the API."""
    with refusing(NotFound, InvalidInput, AccountError) as session:
        linked = link_user(session, code, user, actor=actor)
        line = f"{linked.code} linked to {user}"
    console.print(line)


@contributor_app.command("unlink")
def unlink(code: str, actor: ActorOption = "cli") -> None:
    """Take the linked account off a contributor."""
    with refusing(NotFound) as session:
        link_user(session, code, None, actor=actor)
    console.print(f"{code} unlinked")
