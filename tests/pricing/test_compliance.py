"""The monthly methodology-compliance report: per series of a family, how the month's published
prices were made, from the published record and each price's disclosure."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metalwire.accounts.models import Role
from metalwire.catalog.service import get_series
from metalwire.cli import app as cli_app
from metalwire.errors import InvalidInput, NotFound
from metalwire.pricing.compliance import compliance_report, month_bounds
from metalwire.pricing.disclosure import disclosures
from metalwire.pricing.published import published_prices
from tests.pricing.conftest import SILVER, Desk
from tests.pricing.test_disclosure import DEALS
from tests.support.desk import publish, three_deals

MON, TUE, WED = dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25)
LATER = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def _month(desk: Desk) -> None:
    """Monday from deals with an outlier, Tuesday by judgment, Wednesday approved late."""
    publish(desk, SILVER, MON, DEALS)
    publish(
        desk,
        SILVER,
        TUE,
        three_deals("7700", "7720", "7740"),
        judgment=("7750", "7790", "Firm offers"),
    )
    late = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # 17:00 Shanghai, after 11:30
    publish(desk, SILVER, WED, three_deals("7700", "7720", "7740", "100"), approved_at=late)


def test_a_family_month_counts_methods_deals_exclusions_and_late_releases(desk: Desk) -> None:
    _month(desk)
    with desk.db.transaction() as session:
        report = compliance_report(session, "spot-prices", "2026-11", as_of=LATER)
    assert (report.first_day, report.last_day) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    [row] = [r for r in report.series if r.series == SILVER]
    assert row.days_assessed == 3 and row.trading_days >= 18
    assert row.methods == {"judgment": 1, "transaction-based": 2}
    assert row.transaction_based_pct == Decimal("66.67")
    assert row.judgment_pct == Decimal("33.33") and row.carried_forward_pct == Decimal("0.00")
    assert row.avg_transactions == Decimal("3.000")
    assert row.avg_volume == Decimal("533.333")  # (700 + 600 + 300) / 3
    assert row.exclusions == 1 and row.corrections == 0 and row.late_releases == 1


def test_a_day_without_evidence_counts_as_carried_forward(desk: Desk) -> None:
    _month(desk)
    publish(desk, SILVER, dt.date(2026, 11, 26), [])  # nothing submitted: the price carries
    with desk.db.transaction() as session:
        report = compliance_report(
            session, "spot-prices", "2026-11", as_of=LATER + dt.timedelta(days=1)
        )
    [row] = [r for r in report.series if r.series == SILVER]
    assert row.days_assessed == 4 and row.methods["carried-forward"] == 1
    assert row.carried_forward_pct == Decimal("25.00") and row.avg_transactions == Decimal("2.250")
    with desk.db.transaction() as session:
        series = get_series(session, SILVER)
        assert series is not None
        day = dt.date(2026, 11, 26)
        prices = published_prices(session, series, as_of=LATER + dt.timedelta(days=1), start=day)
        [carried] = disclosures(session, prices).values()
    # No input used: no shares to tell, no transactions, no judgment.
    assert (carried.share_deal, carried.share_bid_offer, carried.share_indication) == (None,) * 3
    assert (carried.transactions, carried.judgment, carried.method) == (0, False, "carried-forward")


def test_bad_months_and_unknown_families_are_refused(desk: Desk) -> None:
    for bad in ("2026-13", "2026-1", "November", "0000-01"):  # the calendar has no year 0
        try:
            month_bounds(bad)
        except InvalidInput as exc:
            assert exc.problems[0].field == "month"
        else:
            raise AssertionError(bad)
    with desk.db.transaction() as session:
        try:
            compliance_report(session, "no-such-family", "2026-11", as_of=LATER)
        except NotFound:
            pass
        else:
            raise AssertionError("an unknown family")


def test_the_report_is_the_staffs_on_the_api_and_the_terminal(
    desk: Desk,
    client: TestClient,
    at: Callable[[dt.datetime], None],
    env_db: object,
) -> None:
    from tests.pricing.test_api import bearer, key_for

    _month(desk)
    at(LATER)
    url = "/api/v1/desk/compliance/spot-prices?month=2026-11"
    assert client.get(url).status_code == 403
    reader = key_for(desk, "reader@mill.cn", Role.SUBSCRIBER, "enterprise")
    assert client.get(url, headers=bearer(reader)).status_code == 403
    analyst = key_for(desk, "stats@desk.cn", Role.ANALYST, "enterprise")
    body = client.get(url, headers=bearer(analyst)).json()
    [row] = [r for r in body["series"] if r["series"] == SILVER]
    assert row["days_assessed"] == 3 and row["late_releases"] == 1
    missing = client.get("/api/v1/desk/compliance/no-such-family", headers=bearer(analyst))
    assert missing.status_code == 404
    for month in ("0000-01", "2026-13"):  # no year 0 (was a 500), no month 13
        refused = client.get(f"{url[: url.index('?')]}?month={month}", headers=bearer(analyst))
        assert refused.status_code == 422, (month, refused.text)
        assert refused.json()["invalid_params"][0]["name"] == "month", refused.text

    runner = CliRunner()
    args = ["compliance", "report", "--family", "spot-prices", "--month", "2026-11"]
    out = runner.invoke(cli_app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    [cli_row] = [r for r in json.loads(out.output)["series"] if r["series"] == SILVER]
    assert {k: v for k, v in cli_row.items() if k != "trading_days"} == {
        k: v for k, v in row.items() if k != "trading_days"
    }
    table = runner.invoke(cli_app, args)
    assert table.exit_code == 0 and SILVER in table.output
    refused = runner.invoke(cli_app, ["compliance", "report", "--family", "x1", "--month", "11"])
    assert refused.exit_code == 1 and "month" in refused.output
