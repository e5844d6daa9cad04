"""``metalwire survey`` and ``metalwire import survey``: panels, returns, statistics, releases."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from metalwire.catalog.models import Tier
from metalwire.cli.context import (
    ImporterOption,
    console,
    fail,
    importing,
    print_json,
    print_rows,
    refusing,
    unit_of_work,
)
from metalwire.cli.pricing_commands import import_app
from metalwire.db.base import utcnow
from metalwire.pricing.desk import users_by_email
from metalwire.supply import service
from metalwire.supply.models import ReleaseStatus
from metalwire.supply.published import published_history
from metalwire.supply.returns import import_returns

survey_app = typer.Typer(help="Monthly supply surveys.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
PeriodOption = Annotated[str, typer.Option("--period", help="YYYY-MM")]


@survey_app.command("create")
def survey_create(
    code: str,
    entry: Annotated[str, typer.Option(help="Catalog entry code or English name, e.g. silver")],
    unit: Annotated[str, typer.Option(help="Unit of the volumes, e.g. t")] = "mt",
    name: Annotated[
        str, typer.Option(help="English name (default: from the entry, 'Silver output survey')")
    ] = "",
    name_zh: Annotated[
        str | None,
        typer.Option(help="Chinese name, in Chinese (default: from the entry, '白银产量调查')"),
    ] = None,
    tier: Annotated[Tier, typer.Option(help="free or premium")] = Tier.PREMIUM,
    national_capacity: Annotated[
        Decimal | None, typer.Option(help="National capacity, t/yr")
    ] = None,
) -> None:
    """Create a survey under a catalog entry."""
    with refusing(service.SupplyError) as session:
        survey = service.create_survey(
            session,
            code,
            entry=entry,
            unit="mt" if unit == "t" else unit,
            name_en=name,
            name_zh=name_zh,
            tier=tier,
            national_capacity=national_capacity,
            actor="cli",
        )
        console.print(
            f"created survey {survey.code} under {survey.entry.code}: "
            f"{survey.name_en} / {survey.name_zh}"
        )


@survey_app.command("rename")
def survey_rename(
    code: str,
    name: Annotated[str | None, typer.Option(help="New English name")] = None,
    name_zh: Annotated[str | None, typer.Option(help="New Chinese name, in Chinese")] = None,
) -> None:
    """Rename a survey in either language (a name not given is kept)."""
    with refusing(service.SupplyError) as session:
        survey = service.rename_survey(session, code, name_en=name, name_zh=name_zh, actor="cli")
        console.print(f"renamed survey {survey.code}: {survey.name_en} / {survey.name_zh}")


@survey_app.command("list")
def survey_list(as_json: JsonOption = False) -> None:
    """Surveys with their entry, unit and tier."""
    with unit_of_work() as session:
        rows = [
            {
                "code": s.code,
                "name": s.name_en,
                "name_zh": s.name_zh,
                "entry": s.entry.code,
                "unit": s.unit,
                "tier": s.tier.value,
                "respondents": len(service.panel(session, s)),
            }
            for s in service.list_surveys(session)
        ]
    columns = ("code", "name", "name_zh", "entry", "unit", "tier", "respondents")
    print_rows(rows, columns, as_json=as_json)


@survey_app.command("stats")
def survey_stats(code: str, period: PeriodOption, as_json: JsonOption = False) -> None:
    """The period's statistics computed from the returns as they stand."""
    with refusing(service.SupplyError) as session:
        data = service.compute_stats(session, service.require_survey(session, code), period)
    if as_json:
        print_json(data)
        return
    console.print(
        f"{code} {period}: production {data['production']} "
        f"({data['mom_pct']}% MoM, {data['yoy_pct']}% YoY); "
        f"main provinces {', '.join(data['main_provinces'])}"
    )


@survey_app.command("release")
def survey_release(
    code: str,
    period: PeriodOption,
    user: Annotated[str, typer.Option("--user", help="E-mail of the releasing editor")],
    status: Annotated[
        ReleaseStatus, typer.Option(help="preliminary or final")
    ] = ReleaseStatus.PRELIMINARY,
) -> None:
    """Publish the period's statistics (a new version if figures or status changed)."""
    try:
        with unit_of_work() as session:
            row = service.release(
                session,
                service.require_survey(session, code),
                period,
                status=status,
                user=users_by_email(session, user),
            )
            line = (
                f"released {code} {period} v{row.version} ({row.status.value}) at "
                f"{row.release_at:%Y-%m-%d %H:%M} UTC"
            )
    except (service.SupplyError, ValueError) as exc:
        fail(str(exc))
    console.print(line)


@survey_app.command("history")
def survey_history(code: str, as_json: JsonOption = False) -> None:
    """Released totals per period (latest version of each)."""
    with refusing(service.SupplyError) as session:
        survey = service.require_survey(session, code)
        rows = [
            {
                "period": r.period,
                "production": r.stats.get("production"),
                "mom_pct": r.stats.get("mom_pct"),
                "status": r.status.value,
                "version": r.version,
            }
            for r in published_history(session, survey, as_of=utcnow())
        ]
    print_rows(
        rows,
        ("period", "production", "mom_pct", "status", "version"),
        headings=("period", "production", "mom %", "status", "v"),
        as_json=as_json,
    )


@import_app.command("survey")
def import_survey(
    file: Path,
    user: ImporterOption = "cli",
) -> None:
    """Import survey returns: all rows or none. New respondents join the panel."""
    with importing() as session:
        results = import_returns(session, file, actor=user)
    for code, result in results.items():
        console.print(
            f"{code}: {result.added} returns added, {result.replaced} replaced, "
            f"{len(result.new_respondents)} new respondents"
        )
