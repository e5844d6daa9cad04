"""Price exports a spreadsheet can use: real dates, exact numbers in the series' format, a header
block saying what the numbers are, and several series side by side — through the gate."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from metalwire.accounts.models import Role
from tests.pricing.conftest import AFTER_RELEASE, DAY, PREMIUM, SILVER, Desk
from tests.pricing.test_api import DEALS, PREMIUM_DEALS, bearer, key_for, publish

NEXT_DAY = DAY + dt.timedelta(days=1)
LATER = AFTER_RELEASE + dt.timedelta(days=1, hours=2)


def _sheet(content: bytes) -> list[tuple[object, ...]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def test_an_xlsx_export_has_real_dates_numbers_and_a_header_block(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    publish(desk, SILVER, DAY, DEALS)
    at(AFTER_RELEASE)
    key = bearer(key_for(desk, "sub@fund.io", Role.SUBSCRIBER, "subscriber"))
    content = client.get(f"/api/v1/series/{SILVER}/prices?format=xlsx", headers=key).content
    rows = _sheet(content)
    table = next(i for i, row in enumerate(rows) if row[0] == "date")
    about = {row[0]: row[1] for row in rows[:table] if row[0]}
    assert about["series"].startswith(f"{SILVER}: ")
    assert about["unit"] == "yuan/kg" and about["currency"] == "CNY"
    assert about["methodology"] == "/methodology/spot-prices"
    assert "not for redistribution" in about["licence"] and about["as of"]
    day, low, high, mid = rows[table + 1][:4]
    assert day == dt.datetime(2026, 11, 25)  # a date cell, not the text "2026-11-25"
    assert (low, high, mid) == (7840, 7870, 7855)
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    cells = next(iter(sheet.iter_rows(min_row=table + 2, max_row=table + 2)))
    assert cells[0].number_format == "yyyy-mm-dd" and cells[3].number_format == "0"


def test_several_series_side_by_side_by_date_in_csv_and_xlsx(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    publish(desk, SILVER, DAY, DEALS)
    publish(desk, SILVER, NEXT_DAY, [("7900", "1"), ("7910", "1"), ("7920", "1")])
    publish(desk, PREMIUM, NEXT_DAY, PREMIUM_DEALS)
    at(LATER)
    key = bearer(key_for(desk, "sub@fund.io", Role.SUBSCRIBER, "subscriber"))
    url = f"/api/v1/prices/export?series={SILVER}&series={PREMIUM}"
    text = client.get(url, headers=key).text
    assert list(csv.reader(io.StringIO(text))) == [
        ["date", SILVER, PREMIUM],
        [DAY.isoformat(), "7855", ""],
        [NEXT_DAY.isoformat(), "7910", "42"],  # (38 + 45) / 2, to 0 decimals
    ]
    rows = _sheet(client.get(f"{url}&format=xlsx", headers=key).content)
    table = rows.index(("date", SILVER, PREMIUM))
    assert rows[table + 2] == (dt.datetime(2026, 11, 26), 7910, 42)
    described = [str(r[1]).split(":")[0] for r in rows[:table] if r[0] == "series"]
    assert described == [SILVER, PREMIUM]  # a header block for each series


def test_the_multi_series_export_goes_through_the_gate(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    publish(desk, SILVER, DAY, DEALS)
    publish(desk, PREMIUM, DAY, PREMIUM_DEALS)
    at(AFTER_RELEASE - dt.timedelta(minutes=1))  # before the 11:30 release: nothing is out
    key = bearer(key_for(desk, "sub@fund.io", Role.SUBSCRIBER, "subscriber"))
    url = f"/api/v1/prices/export?series={SILVER}&series={PREMIUM}"
    assert client.get(url, headers=key).text.splitlines() == [f"date,{SILVER},{PREMIUM}"]
    at(AFTER_RELEASE)
    assert client.get(url).status_code == 403  # anonymous: no export right
    free = bearer(key_for(desk, "reader@fund.io", Role.READER, "free"))
    assert client.get(url, headers=free).status_code == 403  # the premium series
    assert client.get("/api/v1/prices/export?series=NOPE", headers=key).status_code == 404
    assert client.get("/api/v1/prices/export", headers=key).status_code == 422
    many = "&".join(f"series={SILVER}" for _ in range(21))
    assert client.get(f"/api/v1/prices/export?{many}", headers=key).status_code == 422
    assert Decimal(client.get(url, headers=key).text.splitlines()[1].split(",")[1]) == 7855
