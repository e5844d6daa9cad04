"""Pricing from the terminal: import submissions, assess, approve, correct, read prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from metalwire.accounts import service as accounts
from metalwire.accounts.gate import history_start, principal_for
from metalwire.accounts.models import Role
from metalwire.catalog.service import get_series
from metalwire.catalog.units import plain, round_price
from metalwire.cli.context import (
    ImporterOption,
    console,
    fail,
    importing,
    print_json,
    refusing,
    unit_of_work,
)
from metalwire.db.base import utcnow
from metalwire.errors import FourEyes
from metalwire.i18n import fmt_delay
from metalwire.pricing import review, submissions
from metalwire.pricing.assessing import assess_day
from metalwire.pricing.desk import PricingError, users_by_email
from metalwire.pricing.models import Assessment
from metalwire.pricing.partner import enter_partner_value
from metalwire.pricing.price_row import EXPORT_COLUMNS, standard_row, to_json
from metalwire.pricing.published import published_prices
from metalwire.pricing.release_times import released_late, scheduled_release
from metalwire.pricing.review import approve_day
from metalwire.tabular import parse_datetime

import_app = typer.Typer(help="Import market data files (CSV or XLSX).", no_args_is_help=True)

UserOption = Annotated[str, typer.Option("--user", help="E-mail of the acting user")]
DateOption = Annotated[
    dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Market date")
]
SeriesOption = Annotated[str | None, typer.Option("--series", help="One series code")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
CLI_FIELDS = frozenset(EXPORT_COLUMNS) | {"method", "version"}


@import_app.command("submissions")
def import_submissions(
    file: Path,
    user: ImporterOption = "cli",
) -> None:
    """Import submissions: all rows or none. Prints added and already-present counts."""
    with importing() as session:
        added, present = submissions.import_submissions(session, file, actor=user)
    console.print(f"{added} submissions added, {present} already present")


def _assessment_json(row: Assessment) -> dict[str, Any]:
    d = row.series.decimals

    def fmt(value: Decimal | None) -> str | None:
        return None if value is None else str(round_price(value, d))

    return {
        "id": row.id,
        "series": row.series.code,
        "date": row.market_date.isoformat(),
        "version": row.version,
        "status": row.status.value,
        "low": fmt(row.low),
        "high": fmt(row.high),
        "mid": fmt(row.mid),
        "vwap": fmt(row.vwap),
        "method": row.method.value,
        "carried_forward": row.carried_forward,
        "deals_used": row.deals_used,
        "volume_used": plain(row.volume_used),
        "excluded": [
            {"submission_id": e["submission_id"], "price": e["price"], "reason": e["reason"]}
            for e in row.explanation.get("excluded", [])
        ],
        "explanation": row.explanation.get("explanation", ""),
        "rationale": row.rationale,
    }


def _approved_line(row: Assessment) -> str:
    """What an approval did, with the real release instant (a late approval says how late)."""
    assert row.release_at is not None
    line = (
        f"approved {row.series.code} {row.market_date} v{row.version}, released at "
        f"{row.release_at:%Y-%m-%d %H:%M} UTC"
    )
    scheduled = scheduled_release(row.series, row.market_date)
    if row.version == 1 and released_late(row.release_at, scheduled):
        line += (
            f", {fmt_delay(row.release_at - scheduled, 'en')} late "
            f"(scheduled {scheduled:%Y-%m-%d %H:%M} UTC)"
        )
    return line


def assess(
    date: DateOption, user: UserOption, series: SeriesOption = None, as_json: JsonOption = False
) -> None:
    """Create or refresh the draft assessments of a market date."""
    with refusing(PricingError) as session:
        actor = users_by_email(session, user)
        run = assess_day(session, date.date(), user=actor, series_code=series)
        data = [_assessment_json(a) for a in run.assessments]
        skipped = run.skipped
    if as_json:
        print_json(data)
        return
    table = Table("series", "low", "high", "mid", "method", "deals", "excluded")
    for row in data:
        table.add_row(
            row["series"],
            row["low"],
            row["high"],
            row["mid"],
            row["method"],
            str(row["deals_used"]),
            str(len(row["excluded"])),
        )
    console.print(table)
    for code, why in skipped:
        console.print(f"skipped {code}: {why}")


def approve(date: DateOption, user: UserOption, series: SeriesOption = None) -> None:
    """Approve the drafts of a market date (four eyes: not the assessor)."""
    with refusing(PricingError, FourEyes) as session:
        actor = users_by_email(session, user)
        rows = approve_day(session, date.date(), user=actor, series_code=series)
        lines = [_approved_line(r) for r in rows if r.release_at]
    for line in lines:
        console.print(line)


def correct(
    code: str,
    date: DateOption,
    user: UserOption,
    low: Annotated[Decimal, typer.Option(help="The right low")],
    high: Annotated[Decimal, typer.Option(help="The right high")],
    reason: Annotated[str, typer.Option(help="Why; published with the notice")],
) -> None:
    """Propose a correction (a new version); another editor approves it with `approve`."""
    with refusing(PricingError) as session:
        actor = users_by_email(session, user)
        row = review.correct(
            session, code, date.date(), low=low, high=high, reason=reason, user=actor
        )
        line = f"correction drafted: {code} {row.market_date} v{row.version} {row.low}-{row.high}"
    console.print(line)


def partner_value(
    code: str,
    date: DateOption,
    user: UserOption,
    low: Annotated[Decimal, typer.Option(help="The partner's low")],
    high: Annotated[Decimal, typer.Option(help="The partner's high (= low for one price)")],
    reference: Annotated[str, typer.Option(help="The partner's delivery, e.g. its file")] = "",
) -> None:
    """Enter a licensed (partner) series' value as delivered; another editor approves it."""
    with refusing(PricingError) as session:
        actor = users_by_email(session, user)
        row = enter_partner_value(
            session, code, date.date(), low=low, high=high, user=actor, reference=reference
        )
        line = f"partner value drafted: {code} {row.market_date} {row.low}-{row.high}"
    console.print(line)


def prices(
    code: str,
    start: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    end: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO 8601 instant")] = None,
    as_json: JsonOption = False,
) -> None:
    """What a subscriber sees for a series (released values only), optionally as of a time."""
    now = utcnow()
    try:
        moment = min(parse_datetime(as_of), now) if as_of else now
    except ValueError as exc:
        fail(f"--as-of: {exc}", code=2)
    with unit_of_work() as session:
        series = get_series(session, code)
        if series is None:
            fail(f"series: unknown series {code!r}")
        plan = accounts.plan_entitlements(accounts.require_plan(session, "subscriber"))
        subscriber = principal_for(0, None, Role.SUBSCRIBER, plan)
        first = history_start(subscriber, start.date() if start else None, moment.date())
        rows = published_prices(
            session, series, as_of=moment, start=first, end=end.date() if end else None
        )
        unit, currency = series.unit, series.currency
    # The API's items (the standard price row), less what a terminal reader has no use for.
    data = [
        {k: v for k, v in to_json(standard_row(p, unit, currency)).items() if k in CLI_FIELDS}
        for p in rows
    ]
    if as_json:
        print_json(data)
        return
    table = Table("date", "low", "high", "mid", "change", "method", "v")
    for r in data:
        table.add_row(
            *(
                str(r[k] if r[k] is not None else "")
                for k in ("date", "low", "high", "mid", "change", "method", "version")
            )
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(assess)
    app.command()(approve)
    app.command()(correct)
    app.command("partner-value")(partner_value)
    app.command()(prices)
