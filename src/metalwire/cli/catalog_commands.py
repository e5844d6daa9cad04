"""``metalwire catalog`` and ``metalwire series``: look at the catalog from the terminal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError
from rich.tree import Tree

from metalwire.catalog import lifecycle_service as lifecycle
from metalwire.catalog import service
from metalwire.catalog.models import Tier
from metalwire.catalog.schemas import SeriesDefinition
from metalwire.catalog.units import price_unit_label
from metalwire.cli.context import (
    console,
    fail,
    print_json,
    print_rows,
    refusing,
    unit_of_work,
)
from metalwire.db.base import utcnow
from metalwire.errors import ServiceError

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


# --- the series lifecycle: define, change from a date, discontinue with notice ---------------

EffectiveOption = Annotated[
    dt.datetime,
    typer.Option("--effective", formats=["%Y-%m-%d"], help="First market date it applies to"),
]
NoticeOption = Annotated[str, typer.Option("--notice", help="The public notice")]
ActorOption = Annotated[str, typer.Option("--user", help="Who announces it (the audit trail)")]


@series_app.command("create")
def series_create(
    file: Annotated[
        Path | None, typer.Option("--file", help="A YAML or JSON series definition")
    ] = None,
    field: Annotated[
        list[str] | None, typer.Option("--set", help="A field as name=value, repeated")
    ] = None,
    user: ActorOption = "cli",
) -> None:
    """Define a new series from a file or --set fields (the SeriesDefinition shape)."""
    data: dict[str, object] = {}
    if file is not None:
        loaded = yaml.safe_load(file.read_text("utf-8")) if file.is_file() else None
        if not isinstance(loaded, dict):
            fail(f"{file}: not a series definition (a mapping of fields)")
        data.update(loaded)
    for item in field or []:
        name, _, value = item.partition("=")
        data[name.strip()] = value
    try:
        definition = SeriesDefinition.model_validate(data)
    except ValidationError as exc:
        fail("\n".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    with refusing(ServiceError) as session:
        lifecycle.create_series(session, definition, actor=user)
    console.print(f"series {definition.code} created")


@series_app.command("change")
def series_change(
    code: str,
    effective: EffectiveOption,
    notice: NoticeOption,
    release_time: Annotated[
        str | None, typer.Option("--release-time", help="New release time HH:MM")
    ] = None,
    tier: Annotated[Tier | None, typer.Option("--tier", help="New tier")] = None,
    user: ActorOption = "cli",
) -> None:
    """Change a series' release time or tier from a market date on, with a public notice."""
    try:
        when = dt.time.fromisoformat(release_time) if release_time else None
    except ValueError:
        fail("--release-time: HH:MM", code=2)
    with refusing(ServiceError) as session:
        lifecycle.change_series(
            session,
            code,
            effective=effective.date(),
            notice=notice,
            actor=user,
            release_time=when,
            tier=tier,
        )
        lifecycle.apply_due(session, today=utcnow().date(), actor=user)
    console.print(f"{code}: change announced, effective {effective.date()}")


@series_app.command("discontinue")
def series_discontinue(
    code: str, effective: EffectiveOption, notice: NoticeOption, user: ActorOption = "cli"
) -> None:
    """Discontinue a series from a market date (announced in advance); its history stays."""
    with refusing(ServiceError) as session:
        lifecycle.discontinue_series(
            session, code, effective=effective.date(), notice=notice, actor=user
        )
    console.print(f"{code}: discontinued from {effective.date()}")


@series_app.command("apply-due")
def series_apply_due(user: ActorOption = "cli") -> None:
    """Bring series to the changes in force today (run daily, like `alerts send`)."""
    with unit_of_work() as session:
        changed = lifecycle.apply_due(session, today=utcnow().date(), actor=user)
    console.print(f"{len(changed)} series brought to their announced changes")


@series_app.command("notices")
def series_notices(
    code: Annotated[str | None, typer.Argument()] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
) -> None:
    """The public notices of series changes, newest first."""
    with unit_of_work() as session:
        rows = [
            {
                "series": n.series.code,
                "kind": n.kind.value,
                "effective": n.effective_from.isoformat(),
                "before": n.before,
                "after": n.after,
                "notice": n.notice,
            }
            for n in lifecycle.notices(session, code)
        ]
    print_rows(rows, ("series", "kind", "effective", "before", "after", "notice"), as_json=as_json)
