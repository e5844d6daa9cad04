"""``metalwire user`` and ``metalwire key``: accounts and API keys for operators and scripts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from metalwire.accounts import service
from metalwire.accounts.models import Role, Scope
from metalwire.cli.context import console, print_json, refusing, unit_of_work

user_app = typer.Typer(help="Users, roles and plans.", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
ACTOR = "cli"


@user_app.command("add")
def user_add(
    email: str,
    role: Annotated[
        Role, typer.Option(help="reader, subscriber, analyst, editor or admin")
    ] = Role.READER,
    plan: Annotated[str, typer.Option(help="free, subscriber or enterprise")] = "free",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Add a user (without --password-stdin the user signs in after a password reset)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with refusing(service.AccountError) as session:
        user = service.add_user(
            session, email, role=role, plan=plan, password=password, actor=ACTOR
        )
        console.print(f"added {user.email} ({user.role.value}, plan {user.plan_code})")


@user_app.command("set-role")
def user_set_role(email: str, role: Role) -> None:
    """Change a user's role."""
    with refusing(service.AccountError) as session:
        user = service.set_role(session, email, role, actor=ACTOR)
        console.print(f"{user.email} is now {user.role.value}")


@user_app.command("set-plan")
def user_set_plan(email: str, plan: str) -> None:
    """Change a user's plan."""
    with refusing(service.AccountError) as session:
        user = service.set_plan(session, email, plan, actor=ACTOR)
        console.print(f"{user.email} is now on plan {user.plan_code}")


@user_app.command("list")
def user_list(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Every user with role and plan."""
    with unit_of_work() as session:
        rows = [
            {
                "email": u.email,
                "role": u.role.value,
                "plan": u.plan_code,
                "active": u.is_active,
                "created_at": u.created_at,
            }
            for u in service.list_users(session)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("email", "role", "plan", "active")
    for row in rows:
        table.add_row(
            str(row["email"]), str(row["role"]), str(row["plan"]), "yes" if row["active"] else "no"
        )
    console.print(table)


@key_app.command("create")
def key_create(
    email: str,
    scope: Annotated[Scope, typer.Option(help="read, submit or publish")] = Scope.READ,
    name: Annotated[str, typer.Option(help="A label for the key")] = "",
) -> None:
    """Create an API key and print it, alone, on standard output (it is not shown again)."""
    with refusing(service.AccountError) as session:
        new = service.create_api_key(session, email, scope, name=name, actor=ACTOR)
        secret, key_id = new.secret, new.key.id
    sys.stdout.write(secret + "\n")
    print(f"key id {key_id}", file=sys.stderr)


@key_app.command("revoke")
def key_revoke(key_id: int) -> None:
    """Revoke an API key by its id."""
    with refusing(service.AccountError) as session:
        service.revoke_api_key(session, key_id, actor=ACTOR)
    console.print(f"revoked key {key_id}")
