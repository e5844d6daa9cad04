"""The command line: idempotent db upgrade, the demo market, refusal of a bad state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from metalwire.audit import AuditEvent
from metalwire.catalog.models import CatalogEntry, PriceSeries
from metalwire.cli import app
from tests.conftest import ScratchDatabase

runner = CliRunner()


def test_db_upgrade_twice_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_file = tmp_path / "fresh.db"
    monkeypatch.setenv("METALWIRE_DATABASE_URL", f"sqlite:///{db_file}")
    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "schema migrated to" in first.output
    assert "catalog: " in first.output and " created" in first.output
    second = runner.invoke(app, ["db", "upgrade"])
    assert second.exit_code == 0, second.output
    assert "schema already at" in second.output
    assert "catalog up to date" in second.output


def test_db_upgrade_twice_writes_no_audit_on_the_second_run(env_db: ScratchDatabase) -> None:
    with env_db.transaction() as session:
        before = session.scalar(select(func.count(AuditEvent.id)))
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with env_db.transaction() as session:
        assert session.scalar(select(func.count(AuditEvent.id))) == before


def test_commands_refuse_an_unmigrated_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metalwire.db.migrate import DatabaseNotMigrated

    monkeypatch.setenv("METALWIRE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = runner.invoke(app, ["catalog", "show"])
    assert isinstance(result.exception, DatabaseNotMigrated)
    assert "metalwire db upgrade" in str(result.exception)


@pytest.mark.demo_market(days=2)  # `metalwire demo --days 2` (exit code 0), built once per run
def test_demo_gives_every_entry_an_active_series(env_db: ScratchDatabase) -> None:
    with env_db.transaction() as session:
        entries = session.scalar(select(func.count(CatalogEntry.id)))
        assert entries == 50
    listing = runner.invoke(app, ["catalog", "show", "--json"])
    groups = json.loads(listing.output)
    assert len(groups) == 7
    assert all(e["series_count"] >= 1 for g in groups for e in g["entries"])


@pytest.mark.demo_market(days=2)  # the first run, shared with the test above
def test_demo_is_deterministic_and_rerunnable(env_db: ScratchDatabase) -> None:
    with env_db.transaction() as session:
        first = session.execute(
            select(PriceSeries.code, PriceSeries.unit, PriceSeries.currency).order_by(
                PriceSeries.code
            )
        ).all()
    assert runner.invoke(app, ["demo", "--days", "2"]).exit_code == 0
    with env_db.transaction() as session:
        second = session.execute(
            select(PriceSeries.code, PriceSeries.unit, PriceSeries.currency).order_by(
                PriceSeries.code
            )
        ).all()
    assert first == second


@pytest.mark.demo_market(days=14)  # a copy of `metalwire demo --days 14`, built once per run
def test_series_list_json(env_db: ScratchDatabase) -> None:
    result = runner.invoke(app, ["series", "list", "--entry", "silver", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    silver = {r["code"]: r for r in rows}
    assert silver["AG-INGOT-CN-SPOT"]["unit"] == "yuan/kg"
    assert silver["AG-INGOT-CN-SPOT"]["release"] == "11:30 Asia/Shanghai"


def test_a_piped_table_prints_whole_values(env_db: ScratchDatabase) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import define_demo_series

    define_demo_series(env_db, "AG-INGOT-CN-PREMIUM")
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    piped = subprocess.run(
        [sys.executable, "-m", "metalwire", "series", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Silver ingot 1# (99.99%) spot premium vs SHFE Ag front month" in piped.stdout
    assert "…" not in piped.stdout
