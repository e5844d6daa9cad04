"""The one importer contract: a file's rows read through its format's row model, all or nothing.

Every import format (price submissions, survey returns, market settlements, index definitions)
declares one pydantic model of a row: the cells' types, bounds and the rules between them.
``read_rows`` reads a CSV/XLSX file, passes each row through the model, then the rules that need
the database (the caller's ``check``), and either returns every row typed or raises one
``ImportRejected`` whose problems name the file, the row (the header is row 1) and the field of
each. Nothing has been written when it raises: the caller writes only what it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ValidationError, field_validator

from metalwire.errors import Located
from metalwire.tabular import ImportRejected, Problems, read_table


class ImportRow(BaseModel):
    """A row model: text cells in, the service's typed input out."""

    # The order in which a row's problems are listed when it has several (the order the desk
    # has always read them in); fields not named here follow in the model's own order.
    problem_order: ClassVar[tuple[str, ...]] = ()


Row = TypeVar("Row", bound=BaseModel)
# The rules a row model cannot know (a series or survey in the database, a row repeated in the
# file): given the rows that passed the model, they add their problems.
Check = Callable[[Sequence[tuple[int, Row]], Problems], None]


def message_of(error: Mapping[str, Any]) -> str:
    """The words of one pydantic error as the user reads them: our own validators' messages
    verbatim, a cell left empty as "missing", pydantic's own (lengths, items) as it says them."""
    if error["type"] == "missing":
        return "missing"
    cause = error.get("ctx", {}).get("error")
    if error["type"] == "value_error" and cause is not None:
        return str(cause)
    return str(error["msg"])


def located(
    error: ValidationError,
    *,
    file: str | None,
    row: int | None = None,
    order: Sequence[str] = (),
) -> list[Located]:
    """Every error of one validation, located: its field is the path to the bad value."""
    found = [
        Located(
            message_of(item),
            file,
            row,
            ".".join(str(part) for part in item["loc"]) or None,
        )
        for item in error.errors()
    ]

    def rank(problem: Located) -> int:
        name = (problem.field or "").split(".")[0]
        return order.index(name) if name in order else len(order)

    return sorted(found, key=rank)


def read_rows(
    path: Path,
    model: type[Row],
    columns: Sequence[str],
    *,
    context: Mapping[str, Any] | None = None,
    check: Check[Row] | None = None,
) -> list[tuple[int, Row]]:
    """Every row of an import file as (row number, row), or ``ImportRejected`` listing every bad
    row of the file by row and field; ``tabular.TableError`` for a file that cannot be read as a
    table of ``columns`` (missing, empty, a column missing)."""
    source = str(path)
    problems = Problems(source)
    order = getattr(model, "problem_order", ())
    rows: list[tuple[int, Row]] = []
    for number, cells in read_table(path, columns):
        try:
            rows.append((number, model.model_validate(cells, context=context)))
        except ValidationError as error:
            problems.items += located(error, file=source, row=number, order=order)
    if check is not None:
        check(rows, problems)
    if problems:
        problems.items.sort(key=lambda problem: problem.row or 0)  # stable: a row's own order
        raise ImportRejected(source, problems.items)
    return rows


def read_one(data: Any, model: type[Row], *, file: str) -> Row:
    """One whole-file record (an index definition) through its model, or ``ImportRejected``
    naming every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ImportRejected(file, located(error, file=file)) from None


# --- cells: what a row model's validators share (a cell arrives as text; "" is an empty cell) --


def given(value: Any) -> Any:
    """A cell that must be filled."""
    if value == "":
        raise ValueError("missing")
    return value


def parsed(value: Any, parse: Callable[[str], Any], *, blank: Any = None) -> Any:
    """A cell read by ``parse`` (``tabular.parse_decimal`` ...), ``blank`` when empty; a value
    that is not text (a model built in code) passes as it is."""
    if not isinstance(value, str):
        return value
    return blank if value == "" else parse(value)


def cell(
    *fields: str,
    parse: Callable[[str], Any] | None = None,
    required: bool = False,
    blank: Any = None,
) -> Any:
    """The before-validator of text cells ``fields``, for a row model's body: filled when
    ``required``, read by ``parse`` (``blank`` when empty). One rule for every import format,
    so a cell is read the same way in a submission, a return and a settlement."""

    def read(value: Any) -> Any:
        if required:
            value = given(value)
        return value if parse is None else parsed(value, parse, blank=blank)

    return field_validator(*fields, mode="before")(read)


def item_field(problem: Located) -> str:
    """Where a problem of a posted batch is, as the API names it (``invalid_params``): the item
    counted from 0, then the field (``2.price``); rows of a batch are its items counted from 1."""
    parts = [str(problem.row - 1) if problem.row is not None else "", problem.field or ""]
    return ".".join(part for part in parts if part)
