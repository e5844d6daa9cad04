"""Index definitions meet the range rule of every other input (issue #13, finding 2): weights
and base values finite, bounded and to the stored scale, base and reweight dates in the
market-date window, a bounded basket; `metalwire index define` names the field and writes
nothing (on both databases)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from metalwire.cli import app
from metalwire.indices import service
from metalwire.indices.models import IndexDefinitionRecord
from tests.conftest import ScratchDatabase

runner = CliRunner()


def definition(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "MW-RANGE",
        "name": "Range test",
        "base_value": "100",
        "base_period": {"start": "2024-01-01", "end": "2024-01-31"},
        "formula": "chain-laspeyres",
        "constituents": [
            {"series": "CU-SPOT", "weight": "3"},
            {"instrument": "AL-LME", "weight": "1"},
        ],
    }
    data.update(overrides)
    return data


def weights(first: str) -> list[dict[str, str]]:
    return [{"series": "CU-SPOT", "weight": first}, {"instrument": "AL-LME", "weight": "1"}]


CASES = [
    ({"constituents": weights("1E+999999")}, "constituents.0.weight: out of range"),
    ({"constituents": weights("1E+13")}, "constituents.0.weight: out of range"),
    (
        {"constituents": weights("1E-999999")},
        "constituents.0.weight: at most 6 decimal places",
    ),
    ({"base_value": "1E+999999"}, "base_value: out of range"),
    ({"base_value": "1000001"}, "base_value: out of range"),
    ({"base_value": "100.0000001"}, "base_value: at most 6 decimal places"),
    (
        {"base_period": {"start": "1900-01-01", "end": "1900-12-31"}},
        "base_period.start: out of range: 1900-01-01 is not between 1990-01-01",
    ),
    (
        {"base_period": {"start": "2024-01-01", "end": "9999-12-31"}},
        "base_period.end: out of range: 9999-12-31",
    ),
    (
        {"reweights": [{"date": "9000-01-01", "weights": {"CU-SPOT": "1", "AL-LME": "1"}}]},
        "reweights.0.date: out of range",
    ),
    (
        {"reweights": [{"date": "2025-01-01", "weights": {"CU-SPOT": "1E+13", "AL-LME": "1"}}]},
        "reweights.0.weights.CU-SPOT: out of range",
    ),
    (
        {"constituents": [{"series": f"CU-{n:03d}", "weight": "1"} for n in range(101)]},
        "constituents: Tuple should have at most 100 items",
    ),
    ({"name": "n" * 301}, "name: String should have at most 300 characters"),
]


@pytest.mark.parametrize(("change", "why"), CASES)
def test_definitions_out_of_range_are_refused_by_field(
    db: ScratchDatabase, change: dict[str, Any], why: str
) -> None:
    with pytest.raises(service.IndexError_, match=why.replace(".", r"\.")):
        with db.transaction() as session:
            service.define(session, json.dumps(definition(**change)), actor="t")
    with db.session() as session:
        assert session.scalar(select(func.count(IndexDefinitionRecord.id))) == 0


def test_index_define_cli_names_the_field_and_writes_nothing(
    env_db: ScratchDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "index.yaml"
    path.write_text(
        "code: MW-RANGE\nname: Range test\nbase_value: 1e999999\nformula: laspeyres\n"
        "base_period: {start: 2024-01-01, end: 2024-01-31}\n"
        "constituents: [{series: CU-SPOT, weight: 1}]\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["index", "define", str(path)])
    assert result.exit_code == 1
    assert "base_value: out of range" in result.output
    with env_db.session() as session:
        assert session.scalar(select(func.count(IndexDefinitionRecord.id))) == 0
    # At the limits it is a definition.
    path.write_text(
        "code: MW-RANGE\nname: Range test\nbase_value: 1000000\nformula: laspeyres\n"
        "base_period: {start: 1990-01-01, end: 2024-01-31}\n"
        "constituents: [{series: CU-SPOT, weight: 1000000000000}, "
        "{instrument: AL-LME, weight: 0.000001}]\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["index", "define", str(path)])
    assert result.exit_code == 0, result.output
