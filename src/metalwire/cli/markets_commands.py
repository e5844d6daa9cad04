"""``metalwire import market``, ``metalwire markets`` and ``metalwire index``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from metalwire.cli.context import (
    ImporterOption,
    console,
    fail,
    importing,
    print_rows,
    refuse,
    refusing,
    unit_of_work,
)
from metalwire.cli.pricing_commands import import_app
from metalwire.errors import InvalidInput
from metalwire.indices import service as indices
from metalwire.indices.definition_rows import import_definition
from metalwire.markets import service
from metalwire.markets.real_data import write_import_files

markets_app = typer.Typer(help="Market data: instruments and settlements.", no_args_is_help=True)
index_app = typer.Typer(help="Indices: definitions and values.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
DayOption = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])]


@import_app.command("market")
def import_market(
    file: Path,
    user: ImporterOption = "cli",
) -> None:
    """Import settlements (instrument, date, settle, volume, open_interest, currency, unit)."""
    with importing() as session:
        added, corrected, present = service.import_market(session, file, actor=user)
    console.print(f"{added} settlements added, {corrected} corrected, {present} already present")


@markets_app.command("real-data")
def real_data(folder: Path) -> None:
    """Write the packaged real price data (World Bank, FRED) as market import files."""
    for path in write_import_files(folder):
        console.print(str(path))


@markets_app.command("instruments")
def list_instruments(as_json: JsonOption = False) -> None:
    """Instruments with currency and unit."""
    with unit_of_work() as session:
        rows = [
            {"code": i.code, "kind": i.kind, "currency": i.currency, "unit": i.unit}
            for i in service.instruments(session)
        ]
    print_rows(rows, ("code", "kind", "currency", "unit"), as_json=as_json)


@index_app.command("define")
def index_define(
    file: Path,
    effective: Annotated[
        dt.datetime | None,
        typer.Option(
            "--effective",
            formats=["%Y-%m-%d"],
            help="Market date a changed definition takes effect (a new version; required)",
        ),
    ] = None,
) -> None:
    """Load an index definition from YAML or JSON; a changed one is a new version from
    --effective DATE (earlier dates keep the definition they had)."""
    try:
        with unit_of_work() as session:
            definition, new = import_definition(
                session,
                file,
                actor="cli",
                effective=effective.date() if effective else None,
                require_effective=True,
            )
    except InvalidInput as exc:  # every bad field on a line of its own, with the file
        fail("\n".join(str(problem) for problem in exc.problems))
    except indices.IndexError_ as exc:
        refuse(exc)
    when = f" from {effective.date()}" if effective and not new else ""
    console.print(f"{'defined' if new else 'updated'} index {definition.code}{when}")


@index_app.command("compute")
def index_compute(
    code: str,
    start: DayOption = None,
    end: DayOption = None,
    as_json: JsonOption = False,
    contributions: Annotated[
        bool, typer.Option("--contributions", help="Each constituent's points")
    ] = False,
) -> None:
    """Compute an index from its stored, published inputs."""
    with refusing(indices.IndexError_) as session:
        points = indices.compute(
            session,
            code,
            start=start.date() if start else None,
            end=end.date() if end else None,
        )
    rows = []
    for point in points:
        row: dict[str, object] = {"date": point.date.isoformat(), "value": str(point.value)}
        if contributions:
            row["contributions"] = {k: str(v) for k, v in point.contributions.items()}
        rows.append(row)
    print_rows(rows, ("date", "value"), as_json=as_json)
