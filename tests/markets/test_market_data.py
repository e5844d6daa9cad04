"""Market data and indices end to end through the CLI, on both databases: the real World Bank
monthly prices load through `import market` and a Laspeyres index is computed from them."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from metalwire.cli import app
from metalwire.markets.models import MarketPrice
from tests.conftest import ScratchDatabase

runner = CliRunner()
HEADER = "instrument,date,settle,volume,open_interest,currency,unit"
DEFINITION = resources.files("metalwire.indices").joinpath("data/real_metals_index.yaml")


def prices(db: ScratchDatabase) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count(MarketPrice.id))) or 0)


def test_real_monthly_prices_make_a_laspeyres_index_through_the_cli(
    env_db: ScratchDatabase, tmp_path: Path
) -> None:
    written = runner.invoke(app, ["markets", "real-data", str(tmp_path)])
    assert written.exit_code == 0, written.output
    loaded = runner.invoke(
        app, ["import", "market", str(tmp_path / "worldbank_metals_monthly.csv")]
    )
    assert loaded.exit_code == 0, loaded.output
    assert "settlements added, 0 corrected, 0 already present" in loaded.output
    again = runner.invoke(app, ["import", "market", str(tmp_path / "worldbank_metals_monthly.csv")])
    assert " 0 settlements added, 0 corrected" in " " + again.output
    assert runner.invoke(app, ["index", "define", str(DEFINITION)]).exit_code == 0
    computed = runner.invoke(
        app,
        [
            "index",
            "compute",
            "MW-WB-BASE-METALS",
            "--start",
            "2010-01-01",
            "--end",
            "2011-06-30",
            "--json",
            "--contributions",
        ],
    )
    assert computed.exit_code == 0, computed.output
    points = json.loads(computed.output)
    assert points[0]["date"] == "2010-01-01" and len(points) == 18
    base_year = [Decimal(p["value"]) for p in points[:12]]
    assert abs(sum(base_year) / 12 - 100) < Decimal("0.01")
    # Recompute March 2011 by hand from the source file: 100 x sum(w_i * p_i / avg2010_i).
    weights = {
        "copper_usd_per_mt": 45,
        "aluminum_usd_per_mt": 28,
        "nickel_usd_per_mt": 10,
        "zinc_usd_per_mt": 9,
        "lead_usd_per_mt": 6,
        "tin_usd_per_mt": 2,
    }
    text = (
        resources.files("metalwire.demo")
        .joinpath("data/real/worldbank_pinksheet_metals_monthly_usd.csv")
        .read_text("utf-8")
    )
    rows = {r["month"]: r for r in csv.DictReader(text.splitlines())}
    base = {c: sum(Decimal(rows[f"2010-{m:02d}"][c]) for m in range(1, 13)) / 12 for c in weights}
    expected = 100 * sum(
        Decimal(w) / 100 * Decimal(rows["2011-03"][c]) / base[c] for c, w in weights.items()
    )
    march = next(p for p in points if p["date"] == "2011-03-01")
    assert abs(Decimal(march["value"]) - expected) <= Decimal("0.005")
    assert sum(Decimal(v) for v in march["contributions"].values()) == Decimal(march["value"])


def test_a_bad_market_file_writes_nothing(env_db: ScratchDatabase, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                "SHFE-AG-FRONT,2026-11-25,7850,1200,30000,CNY,kg",
                "SHFE-AG-FRONT,2026-11-26,abc,,,CNY,kg",
                "LME-CU-3M,2026-11-26,10600,,,EUR,mt",
                "LME-CU-3M,,10600,,,USD,stone",
            ]
        )
        + "\n"
    )
    result = runner.invoke(app, ["import", "market", str(path)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "row 3: settle: not a number: 'abc'",
        "row 4: currency: unknown currency 'EUR'",
        "row 5: date: missing",
        "row 5: unit: unknown unit 'stone'",
    ]
    assert prices(env_db) == 0


def test_a_changed_settlement_is_a_new_version(env_db: ScratchDatabase, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(f"{HEADER}\nSHFE-AG-FRONT,2026-11-25,7850,,,CNY,kg\n")
    runner.invoke(app, ["import", "market", str(path)])
    path.write_text(f"{HEADER}\nSHFE-AG-FRONT,2026-11-25,7852,,,CNY,kg\n")
    result = runner.invoke(app, ["import", "market", str(path)])
    assert "0 settlements added, 1 corrected" in result.output
    assert prices(env_db) == 2
    path.write_text(f"{HEADER}\nSHFE-AG-FRONT,2026-11-26,7860,,,USD,kg\n")
    refused = runner.invoke(app, ["import", "market", str(path)])
    assert refused.exit_code == 1 and "quoted in CNY/kg, not USD/kg" in refused.output


def test_settlements_and_dates_outside_their_range_are_refused(
    env_db: ScratchDatabase, tmp_path: Path
) -> None:
    """Issue #13 findings 2 and 3 for market data."""
    path = tmp_path / "range.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                "SHFE-AG-FRONT,2026-11-25,1E+999999,,,CNY,kg",
                "SHFE-AG-FRONT,9999-12-31,7850,,,CNY,kg",
                "SHFE-AG-FRONT,0001-01-01,7850,1E+30,,CNY,kg",
            ]
        )
        + "\n"
    )
    result = runner.invoke(app, ["import", "market", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("row 2: settle: out of range")
    assert lines[1].startswith("row 3: date: out of range")
    assert any(line.startswith("row 4: date: out of range") for line in lines)
    assert any(line.startswith("row 4: volume: out of range") for line in lines)
    assert prices(env_db) == 0
