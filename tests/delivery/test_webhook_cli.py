"""``metalwire webhook ...`` and ``metalwire worker`` as an operator runs them: the secret printed
once, refusals in one line naming the field, and the worker delivering to a real receiver, once
(``--once``) and as a process stopped by SIGTERM."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from metalwire.cli import app
from metalwire.delivery.models import Delivery, DeliveryStatus
from metalwire.delivery.signing import verify
from tests.conftest import Desk, ScratchDatabase
from tests.delivery.conftest import DAY, RELEASE, SILVER, Receiver, reader
from tests.support import publish, three_deals

runner = CliRunner()
LATE = RELEASE + dt.timedelta(minutes=5)  # long past by the wall clock


@pytest.fixture
def private_ok(env_db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch) -> ScratchDatabase:
    monkeypatch.setenv("METALWIRE_WEBHOOKS_ALLOW_PRIVATE", "true")
    return env_db


ADD = ("webhook", "add", "--user", "sub@firm.cn")


def _add(url: str, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, [*ADD, "--url", url, "--events", "price.released", *extra])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    return int(lines["id"]), lines["secret"]


def test_add_prints_the_id_and_secret_and_worker_once_delivers(
    desk: Desk, private_ok: ScratchDatabase, receiver: Receiver
) -> None:
    reader(desk.db, "sub@firm.cn", "subscriber")
    hook_id, secret = _add(receiver.url + "/cli", "--series", SILVER)
    assert secret.startswith("whsec_")
    listed = runner.invoke(app, ["webhook", "list", "--user", "sub@firm.cn", "--json"])
    assert listed.exit_code == 0 and f'"id": {hook_id}' in listed.stdout
    assert secret not in listed.stdout

    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=LATE)
    once = runner.invoke(app, ["worker", "--once"])
    assert once.exit_code == 0, once.output
    assert "delivered 1," in once.stdout and "failed 0" in once.stdout
    (sent,) = receiver.at("/cli")
    assert verify(sent.body, secret, sent.headers["X-Metalwire-Signature"])

    log = runner.invoke(
        app, ["webhook", "deliveries", "--user", "sub@firm.cn", str(hook_id), "--json"]
    )
    assert log.exit_code == 0 and '"status": "delivered"' in log.stdout
    delivery = sent.headers["X-Metalwire-Delivery"]
    again = runner.invoke(app, ["webhook", "redeliver", "--user", "sub@firm.cn", delivery])
    assert again.exit_code == 0, again.output
    assert "delivered 1," in runner.invoke(app, ["worker", "--once"]).stdout
    assert [r.headers["X-Metalwire-Delivery"] for r in receiver.at("/cli")] == [delivery] * 2

    removed = runner.invoke(app, ["webhook", "remove", "--user", "sub@firm.cn", str(hook_id)])
    assert removed.exit_code == 0, removed.output
    listed = runner.invoke(app, ["webhook", "list", "--user", "sub@firm.cn", "--json"])
    assert '"active": false' in listed.stdout


def test_refusals_name_the_field(desk: Desk, env_db: ScratchDatabase) -> None:
    reader(desk.db, "sub@firm.cn", "subscriber")
    private = runner.invoke(
        app, [*ADD, "--url", "http://127.0.0.1:9/x", "--events", "price.released"]
    )
    assert private.exit_code == 1 and private.stderr.startswith("url: ")
    assert "private" in private.stderr
    events = runner.invoke(
        app, [*ADD, "--url", "https://93.184.216.34/", "--events", "price.released,gold.found"]
    )
    assert events.exit_code == 1 and events.stderr.startswith("events: unknown event")
    nobody = runner.invoke(app, ["webhook", "list", "--user", "nobody@firm.cn"])
    assert nobody.exit_code == 1 and nobody.stderr.startswith("email: ")
    other = runner.invoke(app, ["webhook", "deliveries", "--user", "sub@firm.cn", "42"])
    assert other.exit_code == 1 and other.stderr.startswith("id: no webhook 42")


def test_the_worker_process_delivers_and_stops_on_sigterm(
    desk: Desk, private_ok: ScratchDatabase, receiver: Receiver
) -> None:
    reader(desk.db, "sub@firm.cn", "subscriber")
    _add(receiver.url + "/process")
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=LATE)
    env = {**os.environ, "METALWIRE_WORKER_POLL_SECONDS": "0.2", "METALWIRE_LOG_FORMAT": "text"}
    process = subprocess.Popen(
        [sys.executable, "-m", "metalwire", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not receiver.at("/process") and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[0].decode()
            time.sleep(0.1)
        assert len(receiver.at("/process")) == 1
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "delivered 1" in output


def test_a_worker_killed_mid_send_leaves_the_delivery_to_another_under_its_id(
    desk: Desk, private_ok: ScratchDatabase, receiver: Receiver
) -> None:
    """SIGKILL while the receiver holds the request: the delivery stays claimed until its lease
    runs out, then a second worker sends it again under the same X-Metalwire-Delivery (the
    receiver's key for dropping the repeat) and records it delivered, once."""
    reader(desk.db, "sub@firm.cn", "subscriber")
    _add(receiver.url + "/crash")
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=LATE)
    receiver.hold = 10.0  # the first request hangs: the worker is mid-send when it dies
    env = {
        **os.environ,
        "METALWIRE_WORKER_POLL_SECONDS": "0.2",
        "METALWIRE_WORKER_LEASE_SECONDS": "2",
        "METALWIRE_WEBHOOK_TIMEOUT_SECONDS": "20",
        "METALWIRE_LOG_FORMAT": "text",
    }
    command = [sys.executable, "-m", "metalwire", "worker"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not receiver.at("/crash") and time.monotonic() < deadline:
            time.sleep(0.05)
        first.kill()
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert len(receiver.at("/crash")) == 1
    with desk.db.session() as session:
        (held,) = session.scalars(select(Delivery))
        assert held.status is DeliveryStatus.SENDING  # the dead worker's claim

    second = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while len(receiver.at("/crash")) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # a further pass of the worker sends nothing more
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=20)
    sent = receiver.at("/crash")
    assert len(sent) == 2
    assert len({r.headers["X-Metalwire-Delivery"] for r in sent}) == 1
    with desk.db.session() as session:
        (done,) = session.scalars(select(Delivery))
        assert done.status is DeliveryStatus.DELIVERED and done.attempts == 2
