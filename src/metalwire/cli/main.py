"""Top-level commands and the entry point that turns configuration errors into exit code 2."""

from __future__ import annotations

import sys

import typer

from metalwire.cli import (
    account_commands,
    alerts,
    audit_commands,
    catalog_commands,
    compliance_commands,
    contributor_commands,
    db_commands,
    delivery_commands,
    governance_commands,
    markets_commands,
    newsroom_commands,
    pricing_commands,
    serve_commands,
    supply_commands,
)
from metalwire.cli.context import EXIT_USAGE, err_console
from metalwire.db.migrate import DatabaseNotMigrated
from metalwire.settings import ConfigurationError

app = typer.Typer(
    name="metalwire",
    help="metalwire: metals prices, supply surveys, indices and market reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db_commands.app, name="db")
app.add_typer(catalog_commands.catalog_app, name="catalog")
app.add_typer(catalog_commands.series_app, name="series")
app.add_typer(account_commands.user_app, name="user")
app.add_typer(account_commands.key_app, name="key")
app.add_typer(pricing_commands.import_app, name="import")
app.add_typer(supply_commands.survey_app, name="survey")
app.add_typer(newsroom_commands.report_app, name="report")
app.add_typer(markets_commands.markets_app, name="markets")
app.add_typer(markets_commands.index_app, name="index")
app.add_typer(alerts.alerts_app, name="alerts")
app.add_typer(audit_commands.audit_app, name="audit")
app.add_typer(compliance_commands.compliance_app, name="compliance")
app.add_typer(contributor_commands.contributor_app, name="contributor")
app.add_typer(governance_commands.methodology_app, name="methodology")
app.add_typer(governance_commands.complaint_app, name="complaint")
pricing_commands.register(app)
serve_commands.register(app)
delivery_commands.register(app)


def main() -> None:
    try:
        app(standalone_mode=True)
    except (ConfigurationError, DatabaseNotMigrated) as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(EXIT_USAGE)
