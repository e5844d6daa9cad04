"""One standard price row: the API's JSON items, the CSV and XLSX export columns and the Python
client's columns are the same fields with the same values, on a real demo series."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope
from metalwire.catalog.service import get_series
from metalwire.client import Client
from metalwire.pricing.price_row import (
    CLIENT_COLUMNS,
    DISCLOSURE_FIELDS,
    DISCLOSURE_KINDS,
    EXPORT_COLUMNS,
    KINDS,
    PRICE_EXPORT_COLUMNS,
    PRICE_FIELDS,
    json_items,
    standard_row,
    to_json,
)
from metalwire.pricing.published import published_prices
from metalwire.pricing.schemas import PriceRow
from tests.conftest import ScratchDatabase

CODE = "AG-INGOT-CN-SPOT"


def _subscriber_key(db: ScratchDatabase) -> str:
    with db.transaction() as session:
        accounts.add_user(
            session, "rows@fund.io", role=Role.SUBSCRIBER, plan="subscriber", actor="t"
        )
        return accounts.create_api_key(session, "rows@fund.io", Scope.READ, actor="t").secret


def _exact(kind: str, value: Any) -> Any:
    """A cell or column value as the JSON writes it (decimals as text, dates ISO)."""
    if value is None:
        return None
    if kind == "decimal":
        return str(Decimal(str(value)).normalize())
    if kind == "date":
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    return value


def _json_exact(item: dict[str, Any], name: str) -> Any:
    value = item[name]
    if KINDS[name] == "decimal" and value is not None:
        return str(Decimal(value).normalize())
    return value


def test_the_documented_row_is_the_standard_row() -> None:
    assert tuple(PriceRow.model_fields) == PRICE_FIELDS


@pytest.mark.demo_market(days=14)  # a copy of `metalwire demo --days 14`, built once per run
def test_json_csv_xlsx_and_client_columns_agree_field_for_field(
    db: ScratchDatabase, app: FastAPI, client: TestClient, live_server: str
) -> None:
    secret = _subscriber_key(db)
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/series/{CODE}/prices"
    items = client.get(url, headers=headers).json()["items"]
    assert len(items) >= 5
    assert all(tuple(item) == PRICE_FIELDS for item in items)

    # The fast JSON writer and the dict of the standard row: the same text.
    now = app.state.clock()
    with db.transaction() as session:
        series = get_series(session, CODE)
        assert series is not None
        prices = published_prices(session, series, as_of=now)
        rows = [to_json(standard_row(p, series.unit, series.currency)) for p in prices]
        fast = json_items(prices, series.unit, series.currency)
    assert json.loads(f"[{fast}]") == rows == items
    assert fast == json.dumps(rows, ensure_ascii=False, separators=(",", ":"))[1:-1]

    # The export's first columns; the price's disclosure follows them (test_disclosure.py).
    table = list(csv.reader(io.StringIO(client.get(f"{url}?format=csv", headers=headers).text)))
    assert tuple(table[0]) == PRICE_EXPORT_COLUMNS
    for item, line in zip(items, table[1:], strict=True):
        for name, cell in zip(EXPORT_COLUMNS, line[: len(EXPORT_COLUMNS)], strict=True):
            value = _exact(KINDS[name], cell or None) if KINDS[name] == "decimal" else cell or None
            assert value == _json_exact(item, name), name

    sheet = load_workbook(io.BytesIO(client.get(f"{url}?format=xlsx", headers=headers).content))
    assert sheet.active is not None
    cells = list(sheet.active.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(cells) if row[0] == "date")
    assert cells[start] == PRICE_EXPORT_COLUMNS
    for item, row in zip(items, cells[start + 1 :], strict=True):
        for name, cell in zip(EXPORT_COLUMNS, row[: len(EXPORT_COLUMNS)], strict=True):
            assert _exact(KINDS[name], cell) == _json_exact(item, name), name

    with Client(live_server, api_key=secret) as mw:
        frame = mw.prices(CODE)
        disclosed = mw.disclosure(CODE, items[-1]["date"])
    # The disclosure: the same fields on the route and in the client, the numbers exact.
    route = client.get(f"{url}/{items[-1]['date']}/disclosure", headers=headers).json()
    assert tuple(disclosed) == tuple(route) == DISCLOSURE_FIELDS
    for name, value in route.items():
        kind = DISCLOSURE_KINDS[name]
        expected = Decimal(value) if kind == "quantity" and value is not None else value
        got = disclosed[name].isoformat() if kind == "date" else disclosed[name]
        assert got == expected, name
    assert tuple(frame.columns) == CLIENT_COLUMNS
    assert [day.isoformat() for day in frame.index] == [item["date"] for item in items]
    for item, (_, values) in zip(items, frame.iterrows(), strict=True):
        for name in CLIENT_COLUMNS:
            assert _exact(KINDS[name], values[name]) == _json_exact(item, name), name
