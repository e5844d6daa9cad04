"""``metalwire report``: draft reports from released data, print them, publish them.

A report is stored in both languages; the one asked for (``--lang``) is printed to standard
output as Markdown, title first (``# ...``), then the summary, the body and its sources. What
happened (stored, revised, published) goes to standard error, so the output can be piped.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import Annotated, Any, Literal

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from metalwire.accounts.models import User
from metalwire.cli.context import (
    console,
    err_console,
    fail,
    print_json,
    refusing,
    unit_of_work,
)
from metalwire.db.base import utcnow
from metalwire.newsroom import publishing, reports, service
from metalwire.newsroom.models import Article
from metalwire.pricing.desk import PricingError, users_by_email

report_app = typer.Typer(help="Market reports: draft, print, publish.", no_args_is_help=True)

LangOption = Annotated[
    str, typer.Option("--lang", help="Language printed: en or zh (both are stored)")
]
PublishOption = Annotated[
    bool, typer.Option("--publish", help="Publish it now (needs --user of an editor)")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="The article with its provenance, as JSON")
]
UserOption = Annotated[
    str | None,
    typer.Option("--user", help="E-mail of the writer (analyst) or, with --publish, the editor"),
]
SOURCES = {"en": "Sources", "zh": "来源"}


def markdown(view: dict[str, Any]) -> str:
    """The article as one Markdown document: title, summary, body, sources."""
    parts = [f"# {view['title']}", view["summary"], view["body_markdown"].rstrip()]
    facts = view.get("generated_from") or []
    if facts:
        lines = [f"## {SOURCES.get(view['lang'], 'Sources')}", ""]
        lines += [f"- {f['label']}: {f['value']} ({f['source_ref']})" for f in facts]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _user(session: Session, email: str | None) -> User | None:
    return users_by_email(session, email) if email else None


def _run(
    draft: Callable[[Session, str, User | None, dt.datetime], Article],
    *,
    lang: str,
    publish: bool,
    as_json: bool,
    user: str | None,
) -> None:
    if lang not in service.LANGS:
        fail(f"--lang: use en or zh, not {lang!r}")
    if publish and not user:
        fail("--publish: give --user EMAIL of an editor")
    now = utcnow()
    with refusing(service.NewsroomError, PricingError) as session:
        acting = _user(session, user)
        article = draft(session, acting.email if acting else "cli", acting, now)
        if publish:
            assert acting is not None
            publishing.publish(session, article, user=acting, now=now)
        view = service.article_view(article, lang, None, now)
        state = f"{article.slug}: {view['status']}, revision {view['revision']} ({view['lang']})"
    err_console.print(state, markup=False, highlight=False)
    if as_json:
        print_json(view)
    else:
        sys.stdout.write(markdown(view))


@report_app.command("production")
def report_production(
    survey: Annotated[str, typer.Option("--survey", help="Survey code")],
    period: Annotated[str, typer.Option("--period", help="YYYY-MM")],
    lang: LangOption = "en",
    publish: PublishOption = False,
    as_json: JsonOption = False,
    user: UserOption = None,
) -> None:
    """The monthly production report of a released survey period."""

    def draft(session: Session, actor: str, acting: User | None, now: dt.datetime) -> Article:
        return reports.draft_production_report(
            session, survey, period, actor=actor, user=acting, now=now
        )

    _run(draft, lang=lang, publish=publish, as_json=as_json, user=user)


@report_app.command("daily")
def report_daily(
    group: Annotated[str, typer.Option("--group", help="Catalog group code, e.g. base-metals")],
    date: Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD")],
    lang: LangOption = "en",
    publish: PublishOption = False,
    as_json: JsonOption = False,
    user: UserOption = None,
) -> None:
    """A catalog group's daily price report: the day's released prices and corrections."""

    def draft(session: Session, actor: str, acting: User | None, now: dt.datetime) -> Article:
        return reports.draft_daily_report(
            session, group, date.date(), actor=actor, user=acting, now=now
        )

    _run(draft, lang=lang, publish=publish, as_json=as_json, user=user)


@report_app.command("publish")
def report_publish(
    slug: str,
    user: Annotated[str, typer.Option("--user", help="E-mail of the publishing editor")],
    at: Annotated[
        str | None, typer.Option("--at", help="Schedule: ISO time with offset, e.g. ...T03:30Z")
    ] = None,
) -> None:
    """Publish a drafted article now, or schedule it with --at."""
    try:
        when = dt.datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None
    except ValueError:
        fail(f"--at: not an ISO time: {at!r}")
    with refusing(service.NewsroomError, PricingError) as session:
        article = service.require_article(session, slug)
        publishing.publish(session, article, user=users_by_email(session, user), publish_at=when)
        assert article.publish_at is not None
        line = f"{slug}: {article.status.value} at {article.publish_at:%Y-%m-%d %H:%M} UTC"
    console.print(line, markup=False, highlight=False)


@report_app.command("list")
def report_list(
    as_json: JsonOption = False,
    status: Annotated[
        Literal["draft", "scheduled", "published"] | None,
        typer.Option("--status", help="draft, scheduled or published"),
    ] = None,
) -> None:
    """Articles, newest first, every status (the desk's view)."""
    now = utcnow()
    with unit_of_work() as session:
        rows: list[dict[str, Any]] = []
        for article in service.list_articles(session, limit=500):
            shown = service.effective_status(article, now).value
            if status and shown != status:
                continue
            text = service.translation(article, "en")
            rows.append(
                {
                    "slug": article.slug,
                    "kind": article.kind.value,
                    "tier": article.tier.value,
                    "status": shown,
                    "publish_at": article.publish_at,
                    "title": text.title,
                }
            )
    if as_json:
        print_json(rows)
        return
    table = Table("slug", "kind", "tier", "status", "publish at (UTC)", "title")
    for row in rows:
        when = row["publish_at"]
        cells = [str(row[k]) for k in ("slug", "kind", "tier", "status")]
        shown = when.strftime("%Y-%m-%d %H:%M") if isinstance(when, dt.datetime) else ""
        table.add_row(*cells, shown, str(row["title"]))
    console.print(table)
