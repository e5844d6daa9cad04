"""`metalwire user` and `metalwire key` as scripts use them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from metalwire.accounts import service
from metalwire.cli import app
from tests.conftest import ScratchDatabase

runner = CliRunner()


def test_user_add_list_set_role_set_plan(env_db: ScratchDatabase) -> None:
    added = runner.invoke(
        app,
        [
            "user",
            "add",
            "ed@desk.cn",
            "--role",
            "editor",
            "--plan",
            "enterprise",
            "--password-stdin",
        ],
        input="a long password\n",
    )
    assert added.exit_code == 0, added.output
    with env_db.transaction() as session:
        assert service.authenticate(session, "ed@desk.cn", "a long password") is not None
    assert runner.invoke(app, ["user", "set-role", "ed@desk.cn", "analyst"]).exit_code == 0
    assert runner.invoke(app, ["user", "set-plan", "ed@desk.cn", "subscriber"]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["user", "list", "--json"]).output)
    assert [(u["email"], u["role"], u["plan"]) for u in listed] == [
        ("ed@desk.cn", "analyst", "subscriber")
    ]


def test_user_errors_exit_1_and_name_the_field(env_db: ScratchDatabase) -> None:
    result = runner.invoke(app, ["user", "add", "x@y.io", "--plan", "gold"])
    assert result.exit_code == 1
    assert "plan: unknown plan 'gold'" in result.output
    result = runner.invoke(app, ["user", "add", "x@y.io", "--role", "king"])
    assert result.exit_code == 2  # bad usage
    result = runner.invoke(app, ["user", "set-role", "ghost@y.io", "editor"])
    assert result.exit_code == 1 and "no user 'ghost@y.io'" in result.output


def test_key_create_prints_the_key_alone_and_revoke_kills_it(env_db: ScratchDatabase) -> None:
    runner.invoke(app, ["user", "add", "an@desk.cn", "--role", "analyst"])
    created = runner.invoke(app, ["key", "create", "an@desk.cn", "--scope", "submit"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("mw_") and "\n" not in secret
    with env_db.transaction() as session:
        key = service.resolve_api_key(session, secret)
        assert key is not None
        key_id = key.id
    assert runner.invoke(app, ["key", "revoke", str(key_id)]).exit_code == 0
    with env_db.transaction() as session:
        assert service.resolve_api_key(session, secret) is None
    refused = runner.invoke(app, ["key", "create", "an@desk.cn", "--scope", "publish"])
    assert refused.exit_code == 1 and "may not hold a 'publish' key" in refused.output
