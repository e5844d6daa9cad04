"""Import files that used to give a traceback or a silent wrong answer, and exports a
spreadsheet must not execute (issue #13, finding 4)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from metalwire.pricing.schemas import NOTE_LIMIT, SUBMISSION_COLUMNS
from metalwire.pricing.submissions import parse_submission_rows
from metalwire.tabular import ImportRejected, TableError, neutralized, read_table, to_csv, to_xlsx

HEADER = ",".join(SUBMISSION_COLUMNS)
ROW = "AG-INGOT-CN-SPOT,2026-11-25,deal,7850,,,10,Smelter A,2026-11-25T01:00:00Z,,{note}"


def test_a_cell_past_the_csv_field_limit_is_named_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(f"{HEADER}\n{ROW.format(note='x' * (csv.field_size_limit() + 10))}\n")
    with pytest.raises(TableError, match=r"huge.csv: row 2: field larger than field limit"):
        read_table(path, SUBMISSION_COLUMNS)


def test_a_duplicated_header_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text(f"{HEADER},price\n{ROW.format(note='')},7900\n")
    with pytest.raises(TableError, match=r"header names column\(s\) price more than once"):
        read_table(path, SUBMISSION_COLUMNS)


def test_a_formula_cell_is_named_and_an_infinite_one_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "formula.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(SUBMISSION_COLUMNS))
    sheet.append(["AG-INGOT-CN-SPOT", "2026-11-25", "deal", "=7800+50", None, None, 10, "A"])
    workbook.save(path)
    with pytest.raises(TableError, match=r"row 2: price: a formula \(=7800\+50\)"):
        read_table(path, SUBMISSION_COLUMNS)
    sheet["D2"] = "inf"  # as typed; openpyxl cannot even write a float infinity
    workbook.save(path)
    _, _, problems = parse_submission_rows(path)
    assert problems.items == ["row 2: price: not a finite number: 'inf'"]


def test_a_note_past_its_limit_is_a_named_problem(tmp_path: Path) -> None:
    path = tmp_path / "note.csv"
    path.write_text(f"{HEADER}\n{ROW.format(note='n' * (NOTE_LIMIT + 1))}\n")
    items, _, problems = parse_submission_rows(path)
    assert items == []
    assert len(problems.items) == 1 and problems.items[0].startswith("row 2: note: ")
    with pytest.raises(ImportRejected):
        raise ImportRejected(str(path), problems.items)


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx"])
def test_exports_neutralize_text_a_spreadsheet_would_run(text: str, tmp_path: Path) -> None:
    assert neutralized(text) == "'" + text
    rows = [["Smelter " + text[:0], text, "-20", "1E+3"]]
    written = to_csv(["name", "note", "change", "mid"], rows)
    parsed = list(csv.reader(written.splitlines()))[1]
    assert parsed == ["Smelter ", "'" + text, "-20", "1E+3"]  # numbers stay numbers
    path = tmp_path / "export.xlsx"
    path.write_bytes(to_xlsx(["note"], [[text]]))
    cell = load_workbook(path).active["A2"]  # type: ignore[index]
    assert cell.data_type == "s" and cell.value == "'" + text
