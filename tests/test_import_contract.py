"""The importer contract, the same for every import format (price submissions, survey returns,
market data, index definitions), on a real database: a good file imports; a bad value is named
by file, row and field; a missing column is named; an empty file is refused by name; a refused
file writes nothing at all, not even an audit event."""

from __future__ import annotations

from pathlib import Path

import pytest

from metalwire.errors import InvalidInput
from metalwire.tabular import ImportRejected
from tests.conftest import ScratchDatabase
from tests.import_formats import FORMATS, Format

formats = pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
TABLES = [f for f in FORMATS if f.tabular]  # the formats with rows (a definition is one record)


def refused(db: ScratchDatabase, fmt: Format, path: Path) -> InvalidInput:
    """Import ``path`` expecting a refusal; the database must be as it was."""
    with db.session() as session:
        before = fmt.written(session)
    with pytest.raises(InvalidInput) as caught, db.transaction() as session:
        fmt.load(session, path)
    with db.session() as session:
        assert fmt.written(session) == before, "a refused file wrote something"
    return caught.value


@formats
def test_a_good_file_imports(db: ScratchDatabase, fmt: Format, tmp_path: Path) -> None:
    fmt.prepare(db)
    with db.session() as session:
        before = fmt.written(session)
    with db.transaction() as session:
        fmt.load(session, fmt.write(tmp_path, fmt.good))
    with db.session() as session:
        after = fmt.written(session)
    assert after[0] > before[0] and after[-1] > before[-1]  # rows written, and audited


@formats
def test_a_bad_value_is_named_by_file_row_and_field(
    db: ScratchDatabase, fmt: Format, tmp_path: Path
) -> None:
    fmt.prepare(db)
    path = fmt.write(tmp_path, fmt.with_bad())
    error = refused(db, fmt, path)
    assert isinstance(error, ImportRejected)
    assert [(p.file, p.row, p.field) for p in error.problems] == [
        (str(path), fmt.bad.row, fmt.bad.field)
    ]
    assert error.problems[0].message.startswith(fmt.bad.message), error.problems


@pytest.mark.parametrize("fmt", TABLES, ids=[f.name for f in TABLES])
def test_every_bad_row_is_listed_in_file_order(
    db: ScratchDatabase, fmt: Format, tmp_path: Path
) -> None:
    fmt.prepare(db)
    bad = fmt.with_bad()[-1]
    rows = [bad, *fmt.good, bad]
    error = refused(db, fmt, fmt.write(tmp_path, rows))
    assert [(p.row, p.field) for p in error.problems] == [
        (2, fmt.bad.field),
        (len(rows) + 1, fmt.bad.field),
    ]


@formats
def test_a_missing_column_is_named(db: ScratchDatabase, fmt: Format, tmp_path: Path) -> None:
    fmt.prepare(db)
    rows = [{k: v for k, v in row.items() if k != fmt.required} for row in fmt.good]
    path = fmt.write(tmp_path, rows)
    error = refused(db, fmt, path)
    assert fmt.required in str(error) and str(path) in str(error)
    if not fmt.tabular:  # a field of the record: located like a bad value
        assert [(p.field, p.message) for p in error.problems] == [(fmt.required, "missing")]


@formats
def test_an_empty_file_is_refused_by_name(db: ScratchDatabase, fmt: Format, tmp_path: Path) -> None:
    fmt.prepare(db)
    path = fmt.write(tmp_path, fmt.good)
    path.write_text("")
    error = refused(db, fmt, path)
    assert str(path) in str(error) and "empty file" in str(error)


@formats
def test_a_refused_file_writes_nothing_half_way(
    db: ScratchDatabase, fmt: Format, tmp_path: Path
) -> None:
    """A good row (or good fields) before the bad one: nothing is written, nor an audit event;
    the file corrected then imports whole."""
    fmt.prepare(db)
    refused(db, fmt, fmt.write(tmp_path, fmt.with_bad()))
    with db.transaction() as session:
        fmt.load(session, fmt.write(tmp_path, fmt.good, name="corrected"))
    with db.session() as session:
        assert all(count > 0 for count in fmt.written(session))
