"""The standard price row: one published daily price as every reader gets it (pure).

The API's JSON item, the CSV and XLSX export columns and the Python client's DataFrame columns
are all generated from the fields of ``StandardRow``, in its order and with its names (the
OpenBB-style names the API has always used), so the four shapes cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Literal, Protocol

Kind = Literal["date", "decimal", "text", "count", "instant", "quantity", "flag"]
# quantity: a decimal that is not a price (a volume, a percent): never in the series' decimals.


def _column(kind: Kind, *, export: bool = False, client: bool = True) -> dict[str, Any]:
    """A field's wire kind, and where it appears beside the API's JSON: the export columns, the
    client's frame (the date is the frame's index)."""
    return {"kind": kind, "export": export, "client": client}


@dataclass(frozen=True)
class StandardRow:
    """One published daily price with its unit and currency."""

    date: dt.date = field(metadata=_column("date", export=True))
    low: Decimal = field(metadata=_column("decimal", export=True))
    high: Decimal = field(metadata=_column("decimal", export=True))
    mid: Decimal = field(metadata=_column("decimal", export=True))
    # change: against the previous published mid (pricing/change.py)
    change: Decimal | None = field(metadata=_column("decimal", export=True))
    change_pct: Decimal | None = field(metadata=_column("decimal", export=True))
    unit: str = field(metadata=_column("text", export=True))
    currency: str = field(metadata=_column("text", export=True))
    vwap: Decimal | None = field(metadata=_column("decimal"))
    method: str = field(metadata=_column("text"))
    version: int = field(metadata=_column("count"))
    assessment_id: int = field(metadata=_column("count"))
    released_at: dt.datetime = field(metadata=_column("instant", client=False))


class Published(Protocol):
    """What a published price carries (published.PublishedPrice): read by attribute."""

    @property
    def market_date(self) -> dt.date: ...
    @property
    def low(self) -> Decimal: ...
    @property
    def high(self) -> Decimal: ...
    @property
    def mid(self) -> Decimal: ...
    @property
    def change(self) -> Decimal | None: ...
    @property
    def change_pct(self) -> Decimal | None: ...
    @property
    def vwap(self) -> Decimal | None: ...
    @property
    def method(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def assessment_id(self) -> int: ...
    @property
    def release_at(self) -> dt.datetime: ...


def standard_row(price: Published, unit: str, currency: str) -> StandardRow:
    return StandardRow(
        date=price.market_date,
        low=price.low,
        high=price.high,
        mid=price.mid,
        change=price.change,
        change_pct=price.change_pct,
        unit=unit,
        currency=currency,
        vwap=price.vwap,
        method=price.method,
        version=price.version,
        assessment_id=price.assessment_id,
        released_at=price.release_at,
    )


FIELDS = fields(StandardRow)
PRICE_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS)
KINDS: dict[str, Kind] = {f.name: f.metadata["kind"] for f in FIELDS}
EXPORT_COLUMNS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.metadata["export"])
# The export's number columns, formatted to the series' decimals in XLSX.
EXPORT_NUMBERS: tuple[str, ...] = tuple(
    name for name in EXPORT_COLUMNS if KINDS[name] == "decimal" and name != "change_pct"
)
CLIENT_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in FIELDS if f.metadata["client"] and f.name != "date"
)
CLIENT_DECIMALS: tuple[str, ...] = tuple(n for n in CLIENT_COLUMNS if KINDS[n] == "decimal")


def _json_value(kind: Kind, value: Any) -> Any:
    if value is None or kind in ("text", "count", "flag"):
        return value
    if kind in ("date", "instant"):
        return value.isoformat()
    return str(value)


def to_json(row: StandardRow) -> dict[str, Any]:
    """The API's JSON item: decimals as strings (never floats), dates and instants ISO 8601."""
    return {name: _json_value(KINDS[name], getattr(row, name)) for name in PRICE_FIELDS}


def export_cells(row: StandardRow) -> list[Any]:
    """An export row (EXPORT_COLUMNS' order): a real date and exact decimals."""
    return [getattr(row, name) for name in EXPORT_COLUMNS]


def _fast_slot(name: str, kind: Kind, nullable: bool) -> str:
    """A field's place in the fast JSON template: quoted where the value is written bare (a
    date, an instant's ISO text, a decimal that is never null), bare where it comes encoded
    (texts, nullable decimals)."""
    if kind == "count":
        return f'"{name}":%d'
    if kind in ("date", "instant") or (kind == "decimal" and not nullable):
        return f'"{name}":"%s"'
    return f'"{name}":%s'


# The JSON of one item as a %-template over the fields in order: twenty years of a daily series
# is 5,000 items in one answer, and one format per item instead of a dict through json.dumps
# halves the request (benchmarks/README.md, bench_price_history.py).
JSON_TEMPLATE = (
    "{"
    + ",".join(_fast_slot(f.name, f.metadata["kind"], "None" in str(f.type)) for f in FIELDS)
    + "}"
)


def json_items(prices: Sequence[Published], unit: str, currency: str) -> str:
    """The items of a page as ``json.dumps([to_json(standard_row(p, unit, currency)) ...],
    separators=(",", ":"), ensure_ascii=False)`` would write them, without building a row or a
    dict per price. Decimals, dates and ISO instants never need escaping; texts go through
    json.dumps (each distinct method once)."""
    text: Callable[[object], str] = json.JSONEncoder(ensure_ascii=False).encode
    unit_text, currency_text = text(unit), text(currency)
    methods: dict[str, str] = {}
    template = JSON_TEMPLATE

    # The values in the fields' order (tests/pricing/test_price_row.py holds this equal to
    # to_json, field for field); conditions inline: a call per value was a tenth of the time.
    return ",".join(
        [
            template
            % (
                p.market_date,
                p.low,
                p.high,
                p.mid,
                "null" if p.change is None else f'"{p.change}"',
                "null" if p.change_pct is None else f'"{p.change_pct}"',
                unit_text,
                currency_text,
                "null" if p.vwap is None else f'"{p.vwap}"',
                methods.get(p.method) or methods.setdefault(p.method, text(p.method)),
                p.version,
                p.assessment_id,
                p.release_at.isoformat(),
            )
            for p in prices
        ]
    )


# --- the disclosure row: what a published price was made of (EU BMR Annex II 7(a)) -----------


@dataclass(frozen=True)
class DisclosureRow:
    """Beside each published price: its transactions and their volume, the share of the inputs
    used by kind (percent, null when none was used), whether an analyst's judgment set it and
    why, and how many submissions were excluded. The route's JSON and the price export's last
    columns are these fields (pricing/disclosure.py computes them from the assessment)."""

    date: dt.date = field(metadata=_column("date"))
    assessment_id: int = field(metadata=_column("count"))
    version: int = field(metadata=_column("count"))
    method: str = field(metadata=_column("text"))
    transactions: int = field(metadata=_column("count", export=True))
    transaction_volume: Decimal = field(metadata=_column("quantity", export=True))
    share_deal: Decimal | None = field(metadata=_column("quantity", export=True))
    share_bid_offer: Decimal | None = field(metadata=_column("quantity", export=True))
    share_indication: Decimal | None = field(metadata=_column("quantity", export=True))
    judgment: bool = field(metadata=_column("flag", export=True))
    judgment_reason: str | None = field(metadata=_column("text", export=True))
    exclusions: int = field(metadata=_column("count", export=True))


DISCLOSURE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(DisclosureRow))
DISCLOSURE_KINDS: dict[str, Kind] = {f.name: f.metadata["kind"] for f in fields(DisclosureRow)}
DISCLOSURE_EXPORT_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in fields(DisclosureRow) if f.metadata["export"]
)
# A price export's columns: the standard row's, then its disclosure's.
PRICE_EXPORT_COLUMNS: tuple[str, ...] = EXPORT_COLUMNS + DISCLOSURE_EXPORT_COLUMNS


def disclosure_json(row: DisclosureRow) -> dict[str, Any]:
    """The disclosure's JSON: decimals as strings, the date ISO 8601."""
    return {
        name: _json_value(DISCLOSURE_KINDS[name], getattr(row, name)) for name in DISCLOSURE_FIELDS
    }


def disclosure_cells(row: DisclosureRow | None) -> list[Any]:
    """The disclosure's export cells (empty where a price has none)."""
    if row is None:
        return [None] * len(DISCLOSURE_EXPORT_COLUMNS)
    return [getattr(row, name) for name in DISCLOSURE_EXPORT_COLUMNS]
