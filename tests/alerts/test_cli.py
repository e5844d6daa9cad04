"""`metalwire alerts send` as a scheduler runs it: mails once, then has nothing to send."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from metalwire.cli import app
from tests.alerts.conftest import (
    DAY,
    NO_MORE,
    PREVIOUS_DAY,
    SILVER,
    around,
    body_of,
    publish,
    wait_for,
)
from tests.alerts.test_service import alert, reader
from tests.conftest import Desk, ScratchDatabase

runner = CliRunner()


def test_alerts_send_mails_once_per_day(
    desk: Desk,
    env_db: ScratchDatabase,
    smtp: tuple[int, list[object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, received = smtp
    monkeypatch.setenv("METALWIRE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("METALWIRE_SMTP_PORT", str(port))
    publish(desk, SILVER, PREVIOUS_DAY, around(7800))
    publish(desk, SILVER, DAY, around(8000))
    # The command reads the real clock: a plan without a history limit keeps this test valid
    # when the 25th is long past.
    reader(env_db, "cli@mill.cn", plan="enterprise")
    alert(env_db, "cli@mill.cn", SILVER, "2")
    args = ["alerts", "send", "--date", DAY.isoformat()]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "mailed cli@mill.cn: 1 alert(s)" in first.output
    [message] = wait_for(received, 1)
    assert "+2.56%" in body_of(message)
    again = runner.invoke(app, [*args, "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["mailed"] == {}
    assert len(wait_for(received, 2, within=NO_MORE)) == 1
    bad = runner.invoke(app, ["alerts", "send", "--date", "25/11/2026"])
    assert bad.exit_code == 2
