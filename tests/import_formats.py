"""The four import formats described alike, for the tests every importer must pass (the contract
test and the fuzz test): how to prepare a database for a file, write one, import it and count
what it wrote."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from metalwire.audit import AuditEvent
from metalwire.catalog.models import Tier
from metalwire.indices.definition_rows import import_definition
from metalwire.indices.models import IndexDefinitionRecord
from metalwire.markets import service as markets
from metalwire.markets.data_rows import MARKET_COLUMNS
from metalwire.markets.models import Instrument, MarketPrice
from metalwire.pricing.models import Submission
from metalwire.pricing.schemas import SUBMISSION_COLUMNS
from metalwire.pricing.submissions import import_submissions
from metalwire.supply import returns as supply_returns
from metalwire.supply import service as supply
from metalwire.supply.models import Respondent, SurveyReturn
from metalwire.supply.schemas import RETURN_COLUMNS
from tests.conftest import ScratchDatabase, define_demo_series

SILVER = "AG-INGOT-CN-SPOT"
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Bad:
    """A value the format refuses, where the refusal must point: ``row`` None in a file that
    holds one record (an index definition)."""

    field: str
    value: Any
    row: int | None
    message: str  # the start of the message


@dataclass(frozen=True)
class Format:
    name: str
    columns: Sequence[str]  # a table's header; empty for a file of one record
    good: Rows  # rows (or the one record's fields) that import
    bad: Bad
    required: str  # a column (or field) without which nothing can be read
    load: Callable[[Session, Path], object]
    tables: tuple[type[Any], ...]  # what an import writes
    prepare: Callable[[ScratchDatabase], None] = lambda db: None

    @property
    def tabular(self) -> bool:
        return bool(self.columns)

    def write(self, folder: Path, rows: Rows, *, name: str = "import") -> Path:
        """Rows as a CSV file with the format's header, or the record as a JSON definition;
        a column no row has is left out of the header."""
        if not self.tabular:
            path = folder / f"{name}.json"
            path.write_text(json.dumps(rows[0]), encoding="utf-8")
            return path
        path = folder / f"{name}.csv"
        header = [c for c in self.columns if any(c in row for row in rows) or not rows]
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows([row.get(c, "") for c in header] for row in rows)
        return path

    def with_bad(self) -> Rows:
        """The good rows, the last of them (or the record) with the bad value."""
        rows = [dict(row) for row in self.good]
        rows[-1][self.bad.field] = self.bad.value
        return rows

    def written(self, session: Session) -> tuple[int, ...]:
        """How many rows each table the format writes holds, and the audit trail's length."""
        tables: tuple[type[Any], ...] = (*self.tables, AuditEvent)
        return tuple(
            int(session.scalar(select(func.count()).select_from(table)) or 0) for table in tables
        )


def _survey(db: ScratchDatabase) -> None:
    with db.transaction() as session:
        supply.create_survey(
            session,
            "AG-OUT",
            entry="silver",
            unit="mt",
            name_en="Silver output",
            tier=Tier.FREE,
            actor="t",
        )


def _row(columns: Sequence[str], line: str) -> dict[str, str]:
    return dict(zip(columns, line.split(","), strict=True))


def _submission(contributor: str, price: str) -> dict[str, str]:
    line = f"{SILVER},2026-11-25,deal,{price},,,10,{contributor},2026-11-25T01:00:00Z,,"
    return _row(SUBMISSION_COLUMNS, line)


def _return(respondent: str, province: str, production: str) -> dict[str, str]:
    line = (
        f"AG-OUT,2025-09,{respondent},{province} One,{province},primary,3600,{production},40,290,,"
    )
    return _row(RETURN_COLUMNS, line)


def _settlement(day: str, settle: str) -> dict[str, str]:
    return _row(MARKET_COLUMNS, f"SHFE-AG-FRONT,{day},{settle},1200,30000,CNY,kg")


DEFINITION = {
    "code": "MW-CONTRACT",
    "name": "Contract test",
    "base_value": "100",
    "base_period": {"start": "2024-01-01", "end": "2024-01-31"},
    "formula": "laspeyres",
    "constituents": [
        {"series": "CU-SPOT", "weight": "3"},
        {"instrument": "AL-LME", "weight": "1"},
    ],
}

FORMATS = [
    Format(
        name="submissions",
        columns=SUBMISSION_COLUMNS,
        good=[_submission("A", "7850"), _submission("B", "7860")],
        bad=Bad("price", "78x0", 3, "not a number: '78x0'"),
        required="contributor",
        load=lambda session, path: import_submissions(session, path, actor="t"),
        tables=(Submission,),
        prepare=lambda db: define_demo_series(db, SILVER),
    ),
    Format(
        name="survey returns",
        columns=RETURN_COLUMNS,
        good=[_return("HN-1", "Henan", "300"), _return("YN-1", "Yunnan", "200")],
        bad=Bad("production", "-5", 3, "must not be negative, got -5"),
        required="production",
        load=lambda session, path: supply_returns.import_returns(session, path, actor="t"),
        tables=(SurveyReturn, Respondent),
        prepare=_survey,
    ),
    Format(
        name="market data",
        columns=MARKET_COLUMNS,
        good=[_settlement("2026-11-24", "7850"), _settlement("2026-11-25", "7860")],
        bad=Bad("date", "9999-12-31", 3, "out of range: 9999-12-31"),
        required="settle",
        load=lambda session, path: markets.import_market(session, path, actor="t"),
        tables=(MarketPrice, Instrument),
    ),
    Format(
        name="index definitions",
        columns=(),
        good=[DEFINITION],
        bad=Bad("base_value", "1e999999", None, "out of range"),
        required="base_value",
        load=lambda session, path: import_definition(session, path, actor="t"),
        tables=(IndexDefinitionRecord,),
    ),
]
