"""The monthly methodology-compliance report of a price family, from the terminal."""

from __future__ import annotations

from typing import Annotated

import typer

from metalwire.cli.context import print_json, print_rows, refusing
from metalwire.db.base import utcnow
from metalwire.errors import InvalidInput, NotFound
from metalwire.pricing.compliance import compliance_report

compliance_app = typer.Typer(
    help="Methodology compliance: how the published prices were made.", no_args_is_help=True
)

COLUMNS = (
    "series",
    "trading_days",
    "days_assessed",
    "transaction_based_pct",
    "judgment_pct",
    "carried_forward_pct",
    "avg_transactions",
    "avg_volume",
    "exclusions",
    "corrections",
    "late_releases",
)
HEADINGS = (
    "series",
    "trading",
    "assessed",
    "deals %",
    "judgment %",
    "carried %",
    "avg deals",
    "avg volume",
    "excluded",
    "corrected",
    "late",
)


@compliance_app.command("report")
def report(
    family: Annotated[str, typer.Option("--family", help="Price family, e.g. spot-prices")],
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Per series of the family: days assessed, the share of transaction-based, judgment and
    carried-forward prices, average transactions and volume, exclusions, corrections and late
    releases in the month, as published now."""
    with refusing(InvalidInput, NotFound) as session:
        data = compliance_report(session, family, month, as_of=utcnow()).to_dict()
    if as_json:
        print_json(data)
        return
    rows = [{k: "-" if v is None else v for k, v in row.items()} for row in data["series"]]
    print_rows(rows, COLUMNS, as_json=False, headings=HEADINGS)
