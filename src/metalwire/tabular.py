"""Reading and writing tables: CSV (UTF-8) and XLSX with a header row, for imports and exports.

Imports are all-or-nothing: every problem is collected as a ``Located`` (file, row, field,
message; the header is row 1) and the caller writes nothing unless there are none
(``metalwire.importing``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import core_schema

from metalwire.db.base import utcnow
from metalwire.errors import InvalidInput, Located


class TableError(InvalidInput):
    """The file as a whole cannot be read (missing, wrong format, wrong header)."""


MAX_CELL = 32_767  # characters in one cell: Excel's own limit, far above any field of ours


@dataclass
class Problems:
    """Every problem of one import, in file order; ``file`` is None for rows that came another
    way (an API batch, a desk form), where the row is the item's place counted from 1."""

    file: str | None = None
    items: list[Located] = field(default_factory=list)

    def add(self, row: int | None, name: str | None, message: str) -> None:
        self.items.append(Located(message, self.file, row, name))

    def __bool__(self) -> bool:
        return bool(self.items)


class ImportRejected(InvalidInput):
    """A file or batch with bad rows: nothing was written. ``problems`` locates every one."""

    def __init__(self, source: str, problems: Sequence[Located]) -> None:
        super().__init__(problems=problems)
        self.source = source

    def lines(self) -> list[str]:
        """Each problem as a reader of the file named sees it: ``row 3: price: not a number``
        (the desk's upload is a temporary copy whose name means nothing to the analyst)."""
        return [str(Located(p.message, row=p.row, field=p.field)) for p in self.problems]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(path: Path, expected: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows as (row number, {column: text}); the header must hold every expected column."""
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    suffix = path.suffix.lower()
    rows: list[list[str]]
    if suffix == ".csv":
        try:
            text = path.read_text("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TableError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        reader = csv.reader(io.StringIO(text))
        try:
            rows = [[c.strip() for c in r] for r in reader]
        except csv.Error as exc:  # e.g. a cell past the csv module's 128 KiB field limit
            raise TableError(f"{path}: row {reader.line_num}: {exc}") from None
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            # Formulas as written, not their cached results: a formula is refused by name
            # below rather than read as the empty value of a workbook never calculated.
            workbook = load_workbook(path, read_only=True, data_only=False)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise TableError(f"{path}: not a readable XLSX workbook ({exc})") from None
        sheet = workbook.worksheets[0]
        rows = [[_cell(c) for c in r] for r in sheet.iter_rows(values_only=True)]
        workbook.close()
    else:
        raise TableError(f"{path}: unsupported file type {suffix or '(none)'}; use .csv or .xlsx")
    if not rows:
        raise TableError(f"{path}: empty file; the first row must be the header")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in expected if c not in header]
    if missing:
        raise TableError(f"{path}: header is missing column(s) {', '.join(missing)}")
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise TableError(f"{path}: header names column(s) {', '.join(twice)} more than once")
    out = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(values):
            continue  # blank lines are not rows
        for name, value in zip(header, values, strict=False):
            if "\x00" in value:  # PostgreSQL text cannot hold it; no name of the trade has one
                raise TableError(f"{path}: row {number}: {name}: contains a NUL character")
            if len(value) > MAX_CELL:
                raise TableError(
                    f"{path}: row {number}: {name}: {len(value):,} characters, more than "
                    f"{MAX_CELL:,} in one cell"
                )
            if suffix == ".xlsx" and value.startswith("="):
                raise TableError(
                    f"{path}: row {number}: {name}: a formula ({value[:40]}); paste its value"
                )
        padded = list(values) + [""] * (len(header) - len(values))
        out.append((number, dict(zip(header, padded, strict=False))))
    return out


def parse_decimal(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    return value


MAX_DECIMAL_PLACES = 6  # the scale of every stored price and volume (db.base.Price)
FIRST_DATE = dt.date(1990, 1, 1)  # the oldest market date any import may carry
DAYS_AHEAD = 366  # and the newest: a year from today


def number_problems(
    name: str, value: Decimal | None, limit: Decimal, places: int = MAX_DECIMAL_PLACES
) -> list[tuple[str, str]]:
    """(field, message) when ``value`` is not finite, beyond ``limit`` in magnitude or finer than
    ``places`` decimals: a number the database would store as something else (1E+999999 as Inf,
    1E-999999 as 0)."""
    if value is None:
        return []
    if not value.is_finite():
        return [(name, f"not a finite number: {value}")]
    if abs(value) > limit:
        return [(name, f"out of range: {value} is beyond {limit:,.0f} in magnitude")]
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return [(name, f"at most {places} decimal places, got {value}")]
    return []


def date_problems(
    name: str, value: dt.date | None, today: dt.date, first: dt.date = FIRST_DATE
) -> list[tuple[str, str]]:
    """(field, message) for a market date outside ``first`` .. a year from ``today``."""
    last = today + dt.timedelta(days=DAYS_AHEAD)
    if value is None or first <= value <= last:
        return []
    return [(name, f"out of range: {value} is not between {first} and {last}")]


Sign = Literal["any", "positive", "non-negative"]


def decimal_schema(
    limit: Decimal, places: int = MAX_DECIMAL_PLACES, sign: Sign = "any"
) -> dict[str, Any]:
    """The JSON schema of what ``number_problems`` accepts, so that a generated input (OpenAPI
    clients, schemathesis) meets the same boundary as the server: a JSON number within the
    limit, or a plain decimal string with at most ``places`` decimals."""
    whole = int(limit)
    digits = len(str(whole))
    fraction = rf"(\.\d{{1,{places}}})?" if places else ""
    if str(whole) == "1" + "0" * (digits - 1):  # 10^k: below it k digits, or exactly it
        zeros = rf"(\.0{{1,{places}}})?" if places else ""
        below = "0" if digits == 1 else rf"(0|[1-9]\d{{0,{digits - 2}}})"
        body = rf"{below}{fraction}|{whole}{zeros}"
    else:  # not expressible digit by digit: the number branch keeps the exact bound
        body = rf"\d{{1,{digits}}}{fraction}"
    # Above 0: no sign, and not a spelling of zero (ECMA regexes, as JSON Schema's, look ahead).
    prefix = {"any": "-?", "positive": r"(?!0(\.0+)?$)", "non-negative": ""}[sign]
    bound: dict[str, Any] = {
        "any": {"minimum": -whole},
        "positive": {"exclusiveMinimum": 0},
        "non-negative": {"minimum": 0},
    }[sign]
    floor = {"any": "", "positive": "above 0 and ", "non-negative": "not negative, "}[sign]
    return {
        "anyOf": [
            {"type": "number", **bound, "maximum": whole},
            {"type": "string", "pattern": f"^{prefix}({body})$"},
        ],
        "description": (
            f"A decimal {floor}at most {limit:,.0f} in magnitude, "
            f"with at most {places} decimal places (a string keeps every digit)"
        ),
    }


class _CheckedAtParse:
    """What ``Bounded`` and ``Window`` share: pydantic runs ``_check`` after the type's own
    validation, unless ``check`` is off."""

    check: bool

    def _check(self, value: Any) -> Any:
        raise NotImplementedError

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = handler(source)
        if not self.check:
            return schema
        return core_schema.no_info_after_validator_function(self._check, schema)


@dataclass(frozen=True)
class Bounded(_CheckedAtParse):
    """``Annotated[Decimal, Bounded(limit)]``: a pydantic decimal refused at parse time when
    ``number_problems`` would refuse it (or one of the wrong ``sign``), so that
    1E+999999 never reaches arithmetic or the database; its schema says the same range.
    ``check=False`` only documents a range the caller checks itself (an import names the row
    as well as the field)."""

    limit: Decimal
    places: int = MAX_DECIMAL_PLACES
    sign: Sign = "any"
    check: bool = True

    def _check(self, value: Decimal) -> Decimal:
        for _, message in number_problems("value", value, self.limit, self.places):
            raise ValueError(message)
        if self.sign == "positive" and value <= 0:
            raise ValueError(f"must be positive, got {value}")
        if self.sign == "non-negative" and value < 0:
            raise ValueError(f"must not be negative, got {value}")
        return value

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return decimal_schema(self.limit, self.places, self.sign)


def date_schema(first: dt.date = FIRST_DATE, days_ahead: int = DAYS_AHEAD) -> dict[str, Any]:
    """The JSON schema of a date ``date_problems`` accepts. The window's end moves with today, so
    it is said in words and, for the start, with ``formatMinimum`` (JSON Schema's proposal for
    bounds on formatted strings): the year pattern keeps generated dates near the window."""
    return {
        "type": "string",
        "format": "date",
        "pattern": r"^(199\d|20\d{2})-\d{2}-\d{2}$",
        "formatMinimum": first.isoformat(),
        "description": f"A date from {first} to {days_ahead} days after today",
    }


@dataclass(frozen=True)
class Window(_CheckedAtParse):
    """``Annotated[dt.date, Window()]``: a pydantic date refused at parse time outside ``first``
    .. a year from today (``date_problems``); ``check=False`` only documents it."""

    first: dt.date = FIRST_DATE
    check: bool = True

    def _check(self, value: dt.date) -> dt.date:
        for _, message in date_problems("value", value, utcnow().date(), self.first):
            raise ValueError(message)
        return value

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return date_schema(self.first)


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text[:10] if "T" in text or " " in text else text)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from None


def parse_datetime(text: str) -> dt.datetime:
    """ISO 8601; a time without an offset is taken as UTC."""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a date-time (ISO 8601): {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


_NUMBER = re.compile(r"[+-]?\d[\d,]*(\.\d+)?([eE][+-]?\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralized(text: str) -> str:
    """A text cell as a spreadsheet must not run it: one starting with =, +, -, @, a tab or a
    carriage return gets a leading apostrophe (OWASP, CSV injection); numbers stay numbers."""
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralized(str(c)) for c in columns])
    for row in rows:
        writer.writerow(["" if v is None else neutralized(str(v)) for v in row])
    return buffer.getvalue()


def to_xlsx(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet: str = "data",
    about: Sequence[tuple[str, Any]] = (),
    number_formats: Mapping[str, str] | None = None,
) -> bytes:
    """An XLSX workbook of one sheet: decimals as numbers with their digits, dates as dates.

    ``about`` is a header block above the table (label, value: series, unit, licence, as-of
    ...), then an empty row; ``number_formats`` gives a column its Excel format (e.g. "0.00"
    for a series published to two decimals)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    bold = Font(bold=True)
    for label, value in about:
        head = WriteOnlyCell(worksheet, value=label)
        head.font = bold
        worksheet.append([head, _xlsx_value(value)])
    if about:
        worksheet.append([])
    titles = []
    for name in columns:
        title = WriteOnlyCell(worksheet, value=name)
        title.font = bold
        titles.append(title)
    worksheet.append(titles)
    formats = [(number_formats or {}).get(name) for name in columns]
    for row in rows:
        cells = []
        for value, number_format in zip(row, formats, strict=False):
            cell = WriteOnlyCell(worksheet, value=_xlsx_value(value))
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif number_format and isinstance(value, Decimal | int | float):
                cell.number_format = number_format
            cells.append(cell)
        worksheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def decimal_format(decimals: int) -> str:
    """The Excel number format of a value published to ``decimals`` places: 0, 0.00 ..."""
    return "0" if decimals <= 0 else "0." + "0" * decimals


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return neutralized(value)  # openpyxl would write "=..." as a formula
    if isinstance(value, Decimal):
        return value  # openpyxl writes Decimal as a number with its digits
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    return value
