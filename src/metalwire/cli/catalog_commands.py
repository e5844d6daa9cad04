"""``metalwire catalog`` and ``metalwire series``: look at the catalog from the terminal."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.tree import Tree

from metalwire.catalog import service
from metalwire.catalog.units import price_unit_label
from metalwire.cli.context import console, print_json, print_rows, unit_of_work

catalog_app = typer.Typer(help="The commodity catalog.", no_args_is_help=True)
series_app = typer.Typer(help="Price-series definitions.", no_args_is_help=True)

LangOption = Annotated[str, typer.Option(help="en or zh")]


@catalog_app.command("show")
def catalog_show(
    lang: LangOption = "en",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """The navigation tree: groups, entries and their active series counts."""
    with unit_of_work() as session:
        groups, counts = service.catalog_tree(session)
        data = [
            {
                "code": g.code,
                "name": getattr(g, f"name_{lang}"),
                "entries": [
                    {
                        "code": e.code,
                        "name": getattr(e, f"name_{lang}"),
                        "series_count": counts.get(e.id, 0),
                    }
                    for e in g.entries
                ],
            }
            for g in groups
        ]
    if as_json:
        print_json(data)
        return
    tree = Tree("metalwire catalog")
    for group in data:
        branch = tree.add(f"[bold]{group['name']}[/bold] ({group['code']})")
        for entry in group["entries"]:
            branch.add(f"{entry['name']} ({entry['code']}) · {entry['series_count']} series")
    console.print(tree)


@series_app.command("list")
def series_list(
    group: Annotated[str | None, typer.Option(help="Group code")] = None,
    entry: Annotated[str | None, typer.Option(help="Entry code")] = None,
    lang: LangOption = "en",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """Price series with unit, release time and tier."""
    with unit_of_work() as session:
        rows, _ = service.list_series(
            session, service.SeriesFilter(group=group, entry=entry), limit=10_000
        )
        data = [
            {
                "code": s.code,
                "name": getattr(s, f"name_{lang}"),
                "entry": s.commodity.entry.code,
                "unit": price_unit_label(s.currency, s.unit, lang),
                "release": f"{s.release_time:%H:%M} {s.timezone}",
                "tier": s.tier.value,
                "status": s.status.value,
            }
            for s in rows
        ]
    print_rows(
        data,
        ("code", "name", "entry", "unit", "release", "tier", "status"),
        as_json=as_json,
    )
