"""``metalwire report`` exactly as operators and scripts use it, on both databases."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from metalwire.cli import app
from metalwire.newsroom import service
from tests.conftest import ScratchDatabase
from tests.newsroom.test_service import PERIOD, PREMIUM, SURVEY, Market, market

__all__ = ["market"]  # the fixture shared with the service tests

runner = CliRunner()
PRODUCTION = ["report", "production", "--survey", SURVEY, "--period", PERIOD]
DAILY = ["report", "daily", "--group", "precious-metals", "--date", "2026-11-25"]


def status(db: ScratchDatabase, slug: str) -> str:
    with db.transaction() as session:
        article = service.require_article(session, slug)
        return article.status.value


def test_production_report_prints_markdown_title_first(market: Market, env_db: object) -> None:
    result = runner.invoke(app, PRODUCTION)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("# ") and "Silver" in lines[0]
    assert "## Sources" in result.stdout and f"{SURVEY}/{PERIOD}/v1#production" in result.stdout
    assert "ag-out-2025-10: draft, revision 1 (en)" in result.stderr
    zh = runner.invoke(app, [*PRODUCTION, "--lang", "zh"])
    assert zh.exit_code == 0, zh.output
    assert zh.stdout.startswith("# ") and "白银" in zh.stdout and "## 来源" in zh.stdout
    # Both languages were stored at once: printing Chinese added no revision.
    assert "revision 1 (zh)" in zh.stderr
    assert status(market.db, "ag-out-2025-10") == "draft"


def test_json_carries_the_provenance(market: Market, env_db: object) -> None:
    result = runner.invoke(app, [*PRODUCTION, "--json"])
    assert result.exit_code == 0, result.output
    article = json.loads(result.stdout)
    assert article["slug"] == "ag-out-2025-10" and article["status"] == "draft"
    assert article["title"] and article["body_markdown"] and article["languages"] == ["en", "zh"]
    refs = {fact["source_ref"] for fact in article["generated_from"]}
    assert f"{SURVEY}/{PERIOD}/v1#production" in refs
    assert any(fact["key"].startswith(PREMIUM) for fact in article["generated_from"])
    assert all(
        {"key", "value", "source_kind", "source_ref", "label"} <= set(f)
        for f in article["generated_from"]
    )


def test_publishing_needs_an_editor(market: Market, env_db: object) -> None:
    nobody = runner.invoke(app, [*DAILY, "--publish"])
    assert nobody.exit_code == 1 and "--user" in nobody.output
    analyst = runner.invoke(app, [*DAILY, "--publish", "--user", market.desk.analyst.email])
    assert analyst.exit_code == 1 and "may not publish" in analyst.output
    # One transaction: a refused publication stores no draft either.
    with market.db.transaction() as session:
        assert service.get_article(session, "precious-metals-prices-2026-11-25") is None
    editor = runner.invoke(app, [*DAILY, "--publish", "--user", market.desk.editor.email])
    assert editor.exit_code == 0, editor.output
    assert editor.stdout.startswith("# Precious Metals Prices on Nov 25, 2026")
    assert "published" in editor.stderr
    assert status(market.db, "precious-metals-prices-2026-11-25") == "published"


def test_publish_and_list_commands(market: Market, env_db: object) -> None:
    assert runner.invoke(app, PRODUCTION).exit_code == 0
    listed = runner.invoke(app, ["report", "list", "--json"])
    assert [row["status"] for row in json.loads(listed.stdout)] == ["draft"]
    refused = runner.invoke(
        app, ["report", "publish", "ag-out-2025-10", "--user", market.desk.analyst.email]
    )
    assert refused.exit_code == 1 and "may not publish" in refused.output
    later = runner.invoke(
        app,
        [
            "report",
            "publish",
            "ag-out-2025-10",
            "--user",
            market.desk.editor.email,
            "--at",
            "2099-01-01T00:00:00Z",
        ],
    )
    assert later.exit_code == 0, later.output
    assert "scheduled at 2099-01-01 00:00 UTC" in later.output
    assert runner.invoke(app, ["report", "list", "--status", "scheduled"]).exit_code == 0
    unknown = runner.invoke(app, ["report", "publish", "nope", "--user", market.desk.editor.email])
    assert unknown.exit_code == 1 and "slug: no article 'nope'" in unknown.output
    missing = runner.invoke(
        app, ["report", "production", "--survey", SURVEY, "--period", "2030-01"]
    )
    assert missing.exit_code == 1 and "no released statistics" in missing.output
    bad = runner.invoke(app, [*PRODUCTION, "--lang", "fr"])
    assert bad.exit_code == 1 and "--lang" in bad.output
