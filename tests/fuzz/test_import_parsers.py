"""Fuzzing every import format: any file either imports whole or is refused with one
``InvalidInput`` (``ImportRejected`` locating each problem in the file, or ``TableError`` for a
file that is no table); nothing else escapes and nothing is written half-way."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from metalwire.errors import InvalidInput
from metalwire.tabular import ImportRejected, TableError, read_table
from tests.conftest import ScratchDatabase
from tests.import_formats import DEFINITION, FORMATS, SILVER, Format

TABLES = {f.name: f for f in FORMATS if f.tabular}
INDEX = next(f for f in FORMATS if not f.tabular)
SAMPLES = sorted(
    {value for f in TABLES.values() for row in f.good for value in row.values()}
    | {
        *("", SILVER, "NOPE", "2026-02-30", "9999-12-31", "swap", "-1", "0", "1e400", "NaN"),
        *("abc", "7,850", "1E+999999", "1E-999999", "yesterday", "EUR", "stone", "Atlantis"),
        *("alien", "teleport", "maintenance;inventory-count", "2025-13", "x" * 301),
    }
)
cells = st.one_of(
    st.sampled_from(SAMPLES),
    st.text(max_size=12),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=14), max_size=6)
prepared: set[tuple[str, str]] = set()


def _prepare(db: ScratchDatabase, fmt: Format) -> None:
    """Once per database: hypothesis runs every example of a test on the same one."""
    if (db.url, fmt.name) not in prepared:
        fmt.prepare(db)
        prepared.add((db.url, fmt.name))


def _file(suffix: str, text: str) -> Path:
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8") as f:
        f.write(text)
    return Path(f.name)


def _csv(header: list[str], body: list[list[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(body)
    return _file(".csv", buffer.getvalue())


def _import_whole_or_nothing(db: ScratchDatabase, fmt: Format, path: Path) -> InvalidInput | None:
    """Import ``path``; the refusal if refused (the database unchanged then), else None."""
    with db.session() as session:
        before = fmt.written(session)
    try:
        with db.transaction() as session:
            fmt.load(session, path)
    except InvalidInput as error:
        with db.session() as session:
            assert fmt.written(session) == before, "a refused file wrote something"
        return error
    return None


@pytest.mark.parametrize("name", sorted(TABLES))
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=rows, shuffle_header=st.booleans())
@example(body=[], shuffle_header=False)
def test_any_table_imports_whole_or_not_at_all(
    db: ScratchDatabase, name: str, body: list[list[str]], shuffle_header: bool
) -> None:
    fmt = TABLES[name]
    _prepare(db, fmt)
    header = list(fmt.columns)
    if shuffle_header:
        header.reverse()
    path = _csv(header, body)
    try:
        error = _import_whole_or_nothing(db, fmt, path)
        if isinstance(error, ImportRejected):
            numbers = [n for n, _ in read_table(path, fmt.columns)]
            for problem in error.problems:
                assert problem.file == str(path), problem
                assert problem.row in numbers and problem.field, problem
        elif error is not None:
            assert isinstance(error, TableError) and str(path) in str(error), error
    finally:
        path.unlink()


@pytest.mark.parametrize("name", sorted(TABLES))
def test_the_good_rows_import(db: ScratchDatabase, name: str) -> None:
    """The fuzzed formats' own good rows pass: the fuzz is not refusing everything."""
    fmt = TABLES[name]
    fmt.prepare(db)
    path = _csv(list(fmt.columns), [list(row.values()) for row in fmt.good])
    try:
        assert _import_whole_or_nothing(db, fmt, path) is None
    finally:
        path.unlink()


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.sampled_from(SAMPLES)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["series", "instrument", "weight", "start", "end", "date"]),
            children,
            max_size=3,
        )
    ),
    max_leaves=8,
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    fields=st.dictionaries(
        st.sampled_from([*DEFINITION, "reweights", "decimals"]), values, max_size=4
    )
)
@example(fields={})
def test_any_index_definition_imports_whole_or_not_at_all(
    db: ScratchDatabase, fields: dict[str, Any]
) -> None:
    path = _file(".json", json.dumps({**DEFINITION, **fields}))
    try:
        error = _import_whole_or_nothing(db, INDEX, path)
        if isinstance(error, ImportRejected):
            assert all(p.file == str(path) and p.row is None for p in error.problems), error
        elif error is not None:
            assert str(path) in str(error), error
    finally:
        path.unlink()


@settings(max_examples=60, deadline=None)
@given(header=st.lists(st.text(max_size=8), max_size=6))
def test_a_wrong_header_names_the_missing_columns(header: list[str]) -> None:
    path = _csv(header, [])
    try:
        for fmt in TABLES.values():
            try:
                read_table(path, fmt.columns)
            except TableError as exc:
                assert "header is missing column(s)" in str(exc) or "empty file" in str(exc)
    finally:
        path.unlink()


def test_a_nul_character_in_a_cell_is_named_and_nothing_is_read(tmp_path: Path) -> None:
    path = tmp_path / "with-nul.csv"
    path.write_text("series,note\nAG,fine\nAG,bad\x00note\n")
    with pytest.raises(TableError, match="row 3: note: contains a NUL character"):
        read_table(path, ["series", "note"])
