"""Index definitions in time: a changed definition is a new version with an effective date, and
a value read ``as_of`` an instant is computed with the version in force then."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from metalwire.audit import AuditEvent
from metalwire.indices import service as indices
from metalwire.markets import service as markets
from tests.conftest import ScratchDatabase

CODE = "MW-VERSIONED-INDEX"
DAYS = [dt.date(2026, 11, d) for d in (23, 24, 25)]
NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)  # the desk's clock when it loads them


def _definition(base_value: str) -> str:
    definition: dict[str, Any] = {
        "code": CODE,
        "name": "versioned",
        "base_value": base_value,
        "base_period": {"start": str(DAYS[0]), "end": str(DAYS[0])},
        "formula": "laspeyres",
        "constituents": [{"instrument": "LBMA-AG", "weight": "1"}],
    }
    return json.dumps(definition)


@pytest.fixture
def loaded(db: ScratchDatabase, tmp_path: Path) -> ScratchDatabase:
    path = tmp_path / "settlements.csv"
    prices = ("30", "31.5", "33")
    path.write_text(
        "instrument,date,settle,volume,open_interest,currency,unit\n"
        + "".join(f"LBMA-AG,{d},{p},,,USD,oz\n" for d, p in zip(DAYS, prices, strict=True))
    )
    with db.transaction() as session:
        markets.sync_instruments(session, actor="t")
        markets.import_market(session, path, actor="t", now=NOW)
        indices.define(session, _definition("100"), actor="t", now=NOW)
    return db


def _values(db: ScratchDatabase, as_of: dt.datetime) -> tuple[int, list[Decimal]]:
    with db.transaction() as session:
        view = indices.view(session, CODE, as_of=as_of)
        return view.record_version, [p.value for p in view.points]


def test_a_changed_definition_takes_effect_from_its_date_only(loaded: ScratchDatabase) -> None:
    effective = dt.date(2026, 12, 1)
    with loaded.transaction() as session:
        _, new = indices.define(
            session, _definition("1000"), actor="t", effective=effective, now=NOW
        )
        assert not new
        versions = indices.versions(session, CODE)
        assert [(v.version, v.effective_from) for v in versions] == [
            (1, dt.date(1900, 1, 1)),
            (2, effective),
        ]
        events = session.query(AuditEvent).filter_by(object_id=CODE, action="redefine").all()
        assert len(events) == 1
    before = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    after = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    assert _values(loaded, before) == (1, [Decimal("100.00"), Decimal("105.00"), Decimal("110.00")])
    assert _values(loaded, after) == (
        2,
        [Decimal("1000.00"), Decimal("1050.00"), Decimal("1100.00")],
    )
    with loaded.transaction() as session:
        assert indices.load(session, CODE, before).base_value == Decimal("100")
        assert indices.load(session, CODE, after).base_value == Decimal("1000")


def test_a_version_is_never_back_dated_nor_before_the_latest(loaded: ScratchDatabase) -> None:
    with loaded.transaction() as session:
        with pytest.raises(indices.IndexError_, match="from today"):
            indices.define(
                session, _definition("1000"), actor="t", effective=dt.date(2026, 11, 1), now=NOW
            )
        with pytest.raises(indices.IndexError_, match="give the date"):
            indices.define(session, _definition("1000"), actor="t", require_effective=True, now=NOW)
        indices.define(
            session, _definition("1000"), actor="t", effective=dt.date(2026, 12, 5), now=NOW
        )
        with pytest.raises(indices.IndexError_, match="must be later"):
            indices.define(
                session, _definition("10"), actor="t", effective=dt.date(2026, 12, 5), now=NOW
            )


def test_an_unchanged_definition_adds_no_version(loaded: ScratchDatabase) -> None:
    with loaded.transaction() as session:
        indices.define(session, _definition("100"), actor="t", require_effective=True, now=NOW)
        assert len(indices.versions(session, CODE)) == 1
