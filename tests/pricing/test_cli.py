"""The pricing commands exactly as operators and scripts use them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from metalwire.cli import app
from metalwire.pricing.models import Assessment, Submission
from tests.pricing.conftest import DAY, SILVER, Desk

runner = CliRunner()
HEADER = "series,date,kind,price,low,high,volume,contributor,received_at,adjustment,note"
GOOD = [
    f"{SILVER},{DAY},deal,7840,,,10,Trader 01,2026-11-25T01:00:00Z,,",
    f"{SILVER},{DAY},deal,7850,,,20,Trader 02,2026-11-25T01:05:00Z,,",
    f"{SILVER},{DAY},deal,7860,,,10,Trader 03,2026-11-25T01:10:00Z,,",
    f"{SILVER},{DAY},deal,7900,,,10,Trader 04,2026-11-25T01:10:00Z,-30,grade discount",
    f"{SILVER},{DAY},bid,,7800,7820,,Trader 05,2026-11-25T01:20:00Z,,",
]


def write(tmp_path: Path, lines: list[str], name: str = "subs.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def count(desk: Desk, model: type) -> int:
    with desk.db.transaction() as session:
        return int(session.scalar(select(func.count(model.id))) or 0)


def test_import_then_import_again_adds_nothing(desk: Desk, env_db: object, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    first = runner.invoke(app, ["import", "submissions", str(path)])
    assert first.exit_code == 0, first.output
    assert "5 submissions added, 0 already present" in first.output
    second = runner.invoke(app, ["import", "submissions", str(path)])
    assert "0 submissions added, 5 already present" in second.output
    assert count(desk, Submission) == 5


def test_a_bad_file_is_rejected_whole_with_every_row_named(
    desk: Desk, env_db: object, tmp_path: Path
) -> None:
    bad = [
        GOOD[0],
        f"NOPE-XX,{DAY},deal,7840,,,10,T,2026-11-25T01:00:00Z,,",
        f"{SILVER},2026-13-40,deal,7840,,,10,T,2026-11-25T01:00:00Z,,",
        f"{SILVER},{DAY},deal,-5,,,10,T,2026-11-25T01:00:00Z,,",
        f"{SILVER},{DAY},offer,,7900,7800,,T,2026-11-25T01:00:00Z,,",
        f"{SILVER},{DAY},deal,7840,,,,T,2026-11-25T01:00:00Z,,",
        f"{SILVER},{DAY},swap,7840,,,10,T,2026-11-25T01:00:00Z,,",
        f"{SILVER},{DAY},bid,,,,,T,2026-11-25T01:00:00Z,,",
    ]
    result = runner.invoke(app, ["import", "submissions", str(write(tmp_path, bad))])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [
        "row 3: series: unknown series 'NOPE-XX'",
        "row 4: date: not a date (YYYY-MM-DD): '2026-13-40'",
        "row 5: price: must be positive, got -5",
        "row 6: low: low 7900 is above high 7800",
        "row 7: volume: a deal needs a volume",
        "row 8: kind: unknown kind 'swap'; use one of bid, deal, indication, offer",
        "row 9: price: give a price, or a low and a high",
    ]
    assert count(desk, Submission) == 0


def test_xlsx_import(desk: Desk, env_db: object, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    for line in GOOD:
        sheet.append(line.split(","))
    path = tmp_path / "subs.xlsx"
    workbook.save(path)
    result = runner.invoke(app, ["import", "submissions", str(path)])
    assert result.exit_code == 0, result.output
    assert count(desk, Submission) == 5


def test_assess_json_approve_four_eyes_and_prices(
    desk: Desk, env_db: object, tmp_path: Path
) -> None:
    runner.invoke(app, ["import", "submissions", str(write(tmp_path, GOOD))])
    assessed = runner.invoke(
        app,
        ["assess", "--date", str(DAY), "--series", SILVER, "--user", "analyst@desk.cn", "--json"],
    )
    assert assessed.exit_code == 0, assessed.output
    [row] = json.loads(assessed.output)
    # The adjusted deal (7900 - 30 = 7870) counts at the base specification.
    assert {
        k: row[k]
        for k in (
            "series",
            "status",
            "low",
            "high",
            "mid",
            "vwap",
            "method",
            "deals_used",
            "volume_used",
        )
    } == {
        "series": SILVER,
        "status": "draft",
        "low": "7840",
        "high": "7870",
        "mid": "7855",
        "vwap": "7854",
        "method": "transaction-based",
        "deals_used": 4,
        "volume_used": "50",
    }
    assert row["excluded"] == []
    own = runner.invoke(app, ["approve", "--date", str(DAY), "--user", "analyst@desk.cn"])
    assert own.exit_code == 1 and "may not approve" in own.output
    approved = runner.invoke(app, ["approve", "--date", str(DAY), "--user", "editor@desk.cn"])
    assert approved.exit_code == 0, approved.output
    # Approved days after its 11:30 Shanghai schedule: released now, and the CLI says how late.
    today = dt.datetime.now(dt.UTC)
    assert f"released at {today:%Y-%m-%d}" in approved.output
    assert "late (scheduled 2026-11-25 03:30 UTC)" in approved.output
    before = runner.invoke(app, ["prices", SILVER, "--as-of", "2026-11-25T03:30:00Z", "--json"])
    assert json.loads(before.output) == []  # never back-dated to its schedule
    after = runner.invoke(app, ["prices", SILVER, "--json"])
    [price] = json.loads(after.output)
    assert (price["date"], price["low"], price["high"], price["mid"]) == (
        str(DAY),
        "7840",
        "7870",
        "7855",
    )
    assert count(desk, Assessment) == 1
