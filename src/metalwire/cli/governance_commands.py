"""``metalwire methodology`` and ``metalwire complaint``: methodology changes proposed,
consulted on and decided, the versions of a family, and complaints acknowledged and answered
from the terminal. Each command is one transaction on the audit trail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from metalwire.cli.context import console, fail, print_rows, refusing
from metalwire.db.base import utcnow
from metalwire.errors import ServiceError
from metalwire.governance import complaints, consultations, versions
from metalwire.governance.consultations import Decision, Proposal
from metalwire.governance.rules import ComplaintOutcome, ComplaintState, Outcome, stage_on

methodology_app = typer.Typer(
    help="Methodology versions and changes: propose, consult, decide.", no_args_is_help=True
)
complaint_app = typer.Typer(help="Complaints: list, acknowledge, answer.", no_args_is_help=True)
ActorOption = Annotated[str, typer.Option("--user", help="Who acts (the audit trail)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


def _read(path: Path, option: str = "--text") -> str:
    if not path.is_file():
        fail(f"{option}: no file {path}")
    return path.read_text("utf-8")


def _in_chinese(what: str) -> str:
    return f"{what}, in Chinese (published beside the English)"


@methodology_app.command("versions")
def list_versions(family: str, as_json: JsonOption = False) -> None:
    """A family's versions, oldest first, with the one in force today."""
    with refusing(ServiceError) as session:
        today = versions.version_on(session, family, utcnow().date())
        rows = [
            {
                "number": v.number,
                "effective": v.effective.isoformat(),
                "in_force": v.number == today.number,
                "summary": v.summary,
                "summary_zh": v.summary_zh,
                "consultation": v.consultation_id,
            }
            for v in versions.history(session, family)
        ]
    print_rows(
        rows, ("number", "effective", "in_force", "summary", "consultation"), as_json=as_json
    )


@methodology_app.command("propose")
def propose(
    family: str,
    title: Annotated[str, typer.Option("--title")],
    summary: Annotated[str, typer.Option("--summary", help="What changes, in a few lines")],
    rationale: Annotated[str, typer.Option("--rationale", help="Why")],
    text: Annotated[Path, typer.Option("--text", help="The proposed document (Markdown file)")],
    title_zh: Annotated[str, typer.Option("--title-zh", help=_in_chinese("The title"))],
    summary_zh: Annotated[str, typer.Option("--summary-zh", help=_in_chinese("The summary"))],
    rationale_zh: Annotated[str, typer.Option("--rationale-zh", help=_in_chinese("Why"))],
    text_zh: Annotated[
        Path, typer.Option("--text-zh", help=_in_chinese("The proposed document (file)"))
    ],
    user: ActorOption = "cli",
) -> None:
    """Propose a change to a family's methodology, in English and Chinese (public once opened
    with `consult`)."""
    proposal = Proposal(
        family,
        title,
        summary,
        rationale,
        _read(text),
        title_zh=title_zh,
        summary_zh=summary_zh,
        rationale_zh=rationale_zh,
        text_zh=_read(text_zh, "--text-zh"),
    )
    with refusing(ServiceError) as session:
        item = consultations.propose(session, proposal, actor=user)
        line = f"consultation {item.id} proposed for {family}"
    console.print(line)


@methodology_app.command("consult")
def consult(
    consultation_id: int,
    closes: Annotated[
        dt.datetime,
        typer.Option("--closes", formats=["%Y-%m-%d"], help="The last day comments are taken"),
    ],
    user: ActorOption = "cli",
) -> None:
    """Open a proposal for comments from today until --closes (at least 14 days)."""
    with refusing(ServiceError) as session:
        item = consultations.open_consultation(
            session, consultation_id, closes=closes.date(), actor=user, today=utcnow().date()
        )
        line = f"consultation {item.id} open for comments until {item.closes_on}"
    console.print(line)


@methodology_app.command("decide")
def decide(
    consultation_id: int,
    outcome: Annotated[Outcome, typer.Option("--outcome")],
    rationale: Annotated[str, typer.Option("--rationale", help="Published with the decision")],
    response: Annotated[str, typer.Option("--response", help="The response to the comments")],
    rationale_zh: Annotated[str, typer.Option("--rationale-zh", help=_in_chinese("The rationale"))],
    response_zh: Annotated[str, typer.Option("--response-zh", help=_in_chinese("The response"))],
    effective: Annotated[
        dt.datetime | None,
        typer.Option("--effective", formats=["%Y-%m-%d"], help="First day in force"),
    ] = None,
    text: Annotated[
        Path | None, typer.Option("--text", help="Amended: the document as adopted")
    ] = None,
    text_zh: Annotated[
        Path | None, typer.Option("--text-zh", help=_in_chinese("Amended: the document"))
    ] = None,
    user: ActorOption = "cli",
) -> None:
    """Decide a consultation after its comment period: adopted, amended or withdrawn; the
    rationale and response in English and Chinese."""
    decision = Decision(
        outcome,
        rationale,
        response,
        rationale_zh=rationale_zh,
        response_to_comments_zh=response_zh,
        effective=effective.date() if effective else None,
        text=_read(text) if text else None,
        text_zh=_read(text_zh, "--text-zh") if text_zh else None,
    )
    with refusing(ServiceError) as session:
        item = consultations.decide(
            session, consultation_id, decision, actor=user, today=utcnow().date()
        )
        made = item.version
        line = f"consultation {item.id}: {outcome.value}" + (
            f", version {made.number} of {made.family} in force from {made.effective_from}"
            if made
            else ""
        )
    console.print(line)


@methodology_app.command("consultations")
def list_consultations(as_json: JsonOption = False) -> None:
    """Every consultation, proposals included, newest first."""
    today = utcnow().date()
    with refusing(ServiceError) as session:
        rows = [
            {
                "id": c.id,
                "family": c.family,
                "title": c.title,
                "title_zh": c.title_zh,
                "stage": stage_on(c.stage, c.closes_on, today).value,
                "closes": c.closes_on.isoformat() if c.closes_on else None,
                "comments": len(c.comments),
                "outcome": c.outcome.value if c.outcome else None,
            }
            for c in consultations.listing(session, staff=True)
        ]
    columns = ("id", "family", "title", "stage", "closes", "comments", "outcome")
    print_rows(rows, columns, as_json=as_json)


@complaint_app.command("list")
def list_complaints(
    state: Annotated[ComplaintState | None, typer.Option("--state")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every complaint, oldest first, with how many days it waited for acknowledgement."""
    now = utcnow()
    with refusing(ServiceError) as session:
        rows = [
            {
                "id": c.id,
                "complainant": c.user.email,
                "subject": f"{c.subject_kind.value} {c.subject}",
                "state": c.state.value,
                "waiting_days": complaints.age_days(c, now),
                "body": c.body,
            }
            for c in complaints.every(session, state)
        ]
    columns = ("id", "complainant", "subject", "state", "waiting_days", "body")
    print_rows(rows, columns, as_json=as_json)


@complaint_app.command("acknowledge")
def acknowledge(complaint_id: int, user: ActorOption = "cli") -> None:
    """Acknowledge a logged complaint."""
    with refusing(ServiceError) as session:
        complaints.acknowledge(session, complaint_id, actor=user, now=utcnow())
    console.print(f"complaint {complaint_id} acknowledged")


@complaint_app.command("answer")
def answer(
    complaint_id: int,
    text: Annotated[str, typer.Option("--answer", help="The answer the complainant reads")],
    outcome: Annotated[ComplaintOutcome, typer.Option("--outcome")],
    user: ActorOption = "cli",
) -> None:
    """Answer an acknowledged complaint, with its outcome."""
    with refusing(ServiceError) as session:
        complaints.answer(
            session, complaint_id, text=text, outcome=outcome, actor=user, now=utcnow()
        )
    console.print(f"complaint {complaint_id} answered ({outcome.value})")
