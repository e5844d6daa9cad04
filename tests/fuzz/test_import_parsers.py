"""Fuzzing the import parsers: any file either imports whole or is rejected with located
problems; nothing else escapes and nothing is written half-way."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from metalwire.pricing.models import Submission
from metalwire.pricing.schemas import SUBMISSION_COLUMNS
from metalwire.pricing.submissions import import_submissions, parse_submission_rows
from metalwire.tabular import ImportRejected, TableError
from tests.conftest import ScratchDatabase
from tests.pricing.conftest import SILVER, define_demo_series

PROBLEM = re.compile(r"^row \d+: [a-z_]+: .+$")

cells = st.one_of(
    st.sampled_from(
        [
            "",
            SILVER,
            "NOPE",
            "2026-11-25",
            "2026-02-30",
            "deal",
            "bid",
            "offer",
            "indication",
            "swap",
            "7850",
            "-1",
            "0",
            "1e400",
            "NaN",
            "abc",
            "7,850",
            "2026-11-25T01:00:00Z",
            "yesterday",
            "T1",
            "10",
        ]
    ),
    st.text(max_size=12),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=13), max_size=6)


def _write(header: list[str], body: list[list[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(body)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as f:
        f.write(buffer.getvalue())
    return Path(f.name)


def _count(db: ScratchDatabase) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count(Submission.id))) or 0)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=rows, shuffle_header=st.booleans())
@example(
    body=[
        [SILVER, "2026-11-25", "deal", "7850", "", "", "10", "T1", "2026-11-25T01:00:00Z", "", ""]
    ],
    shuffle_header=False,
)
def test_any_submission_file_imports_whole_or_not_at_all(
    db: ScratchDatabase, body: list[list[str]], shuffle_header: bool
) -> None:
    define_demo_series(db, SILVER)
    header = list(SUBMISSION_COLUMNS)
    if shuffle_header:
        header.reverse()
    path = _write(header, body)
    before = _count(db)
    try:
        with db.transaction() as session:
            added, present = import_submissions(session, path, actor="fuzz")
    except ImportRejected as exc:
        assert exc.problems and all(PROBLEM.match(p) for p in exc.problems), exc.problems
        assert _count(db) == before
    except TableError as exc:
        assert str(path) in str(exc)
        assert _count(db) == before
    else:
        nonblank = [r for r in body if any(c.strip() for c in r)]
        assert added + present == len(nonblank)
        assert _count(db) == before + added
    finally:
        path.unlink()


@settings(max_examples=60, deadline=None)
@given(header=st.lists(st.text(max_size=8), max_size=6))
def test_a_wrong_header_names_the_missing_columns(header: list[str]) -> None:
    path = _write(header, [])
    try:
        parse_submission_rows(path)
    except TableError as exc:
        assert "header is missing column(s)" in str(exc) or "empty file" in str(exc)
    finally:
        path.unlink()


def test_a_nul_character_in_a_cell_is_named_and_nothing_is_read(tmp_path: Path) -> None:
    from metalwire.tabular import read_table

    path = tmp_path / "with-nul.csv"
    path.write_text("series,note\nAG,fine\nAG,bad\x00note\n")
    with pytest.raises(TableError, match="row 3: note: contains a NUL character"):
        read_table(path, ["series", "note"])
