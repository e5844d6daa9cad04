"""A survey is named in English and Chinese wherever it is created (service, CLI, API, desk),
on both databases: a Chinese name is written in Chinese, one left out is made from the catalog
entry's, and the Chinese report names the survey in Chinese only."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope
from metalwire.audit import AuditEvent
from metalwire.catalog.models import Tier
from metalwire.cli import app as cli
from metalwire.newsroom import reports
from metalwire.newsroom import service as newsroom
from metalwire.supply import service
from metalwire.supply.models import ReleaseStatus
from metalwire.supply.naming import NameProblem, survey_names
from metalwire.supply.returns import add_returns
from metalwire.supply.schemas import ReturnIn
from tests import support
from tests.conftest import ScratchDatabase

runner = CliRunner()


def test_names_are_made_from_the_entry_and_a_chinese_name_is_chinese() -> None:
    made = survey_names(None, "  ", entry_en="Silver", entry_zh="白银")
    assert made == ("Silver output survey", "白银产量调查")
    given = survey_names(" China silver ingot output ", "中国银锭产量", entry_en="x", entry_zh="银")
    assert given == ("China silver ingot output", "中国银锭产量")
    with pytest.raises(NameProblem, match="written in Chinese") as refused:
        survey_names("Silver output", "Silver output", entry_en="Silver", entry_zh="白银")
    assert refused.value.field == "name_zh"
    with pytest.raises(NameProblem, match="at most 300"):
        survey_names("x" * 301, "白银", entry_en="Silver", entry_zh="白银")


def test_the_cli_takes_both_names(env_db: ScratchDatabase) -> None:
    args = ["survey", "create", "AG-OUT", "--entry", "silver", "--unit", "t"]
    named = runner.invoke(
        cli, [*args, "--name", "China silver ingot output", "--name-zh", "中国银锭产量"]
    )
    assert named.exit_code == 0, named.output
    assert "China silver ingot output / 中国银锭产量" in named.output
    english = runner.invoke(
        cli, ["survey", "create", "ZN-OUT", "--entry", "zinc", "--name-zh", "Zinc"]
    )
    assert english.exit_code == 1 and "name_zh" in english.output
    made = runner.invoke(cli, ["survey", "create", "ZN-OUT", "--entry", "zinc"])
    assert made.exit_code == 0, made.output
    listed = runner.invoke(cli, ["survey", "list", "--json"])
    names = {row["code"]: (row["name"], row["name_zh"]) for row in json.loads(listed.output)}
    assert names["AG-OUT"] == ("China silver ingot output", "中国银锭产量")
    assert names["ZN-OUT"][1].endswith("产量调查") and names["ZN-OUT"][1] != names["ZN-OUT"][0]
    # A survey named in English in both languages (before the rule) is renamed, audited.
    with env_db.transaction() as session:
        service.require_survey(session, "AG-OUT").name_zh = "China silver ingot output"
    refused = runner.invoke(cli, ["survey", "rename", "AG-OUT", "--name-zh", "Silver"])
    assert refused.exit_code == 1 and "name_zh" in refused.output
    renamed = runner.invoke(cli, ["survey", "rename", "AG-OUT", "--name-zh", "中国银锭产量"])
    assert renamed.exit_code == 0, renamed.output
    with env_db.transaction() as session:
        survey = service.require_survey(session, "AG-OUT")
        assert (survey.name_en, survey.name_zh) == ("China silver ingot output", "中国银锭产量")
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "rename").order_by(AuditEvent.id)
        ).all()[-1]
        assert event.before == {
            "name_en": "China silver ingot output",
            "name_zh": "China silver ingot output",
        }
        assert event.after == {"name_en": "China silver ingot output", "name_zh": "中国银锭产量"}


def test_the_api_creates_a_survey_named_in_both_languages(
    db: ScratchDatabase, app: FastAPI
) -> None:
    with db.transaction() as session:
        accounts.add_user(session, "ed@desk.cn", role=Role.EDITOR, plan="enterprise", actor="t")
        accounts.add_user(session, "an@desk.cn", role=Role.ANALYST, plan="enterprise", actor="t")
        editor = accounts.create_api_key(session, "ed@desk.cn", Scope.PUBLISH, actor="t").secret
        analyst = accounts.create_api_key(session, "an@desk.cn", Scope.SUBMIT, actor="t").secret
    body = {
        "code": "AG-OUT",
        "entry": "silver",
        "unit": "t",
        "name_en": "China silver ingot output",
        "name_zh": "中国银锭产量",
        "tier": "free",
    }
    with TestClient(app) as client:
        assert client.post("/api/v1/surveys", json=body).status_code == 401
        as_analyst = {"Authorization": f"Bearer {analyst}"}
        assert client.post("/api/v1/surveys", json=body, headers=as_analyst).status_code == 403
        headers = {"Authorization": f"Bearer {editor}"}
        created = client.post("/api/v1/surveys", json=body, headers=headers)
        assert created.status_code == 201, created.text
        assert created.json()["name_zh"] == "中国银锭产量" and created.json()["unit"] == "mt"
        english = client.post(
            "/api/v1/surveys",
            json={**body, "code": "AG-OUT-2", "name_zh": "Silver"},
            headers=headers,
        )
        assert english.status_code == 422
        assert english.json()["invalid_params"][0]["name"] == "name_zh"
        listed = client.get("/api/v1/surveys", params={"lang": "zh"}).json()
        assert [(s["code"], s["name"]) for s in listed] == [("AG-OUT", "中国银锭产量")]


def test_the_desk_form_creates_a_survey_named_in_both_languages(
    db: ScratchDatabase, app: FastAPI, client: TestClient
) -> None:
    support.sign_in(client, db, "ed@desk.cn", role=Role.EDITOR, plan="enterprise")
    page = client.get("/desk/surveys")
    assert page.status_code == 200 and 'id="create-form"' in page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    form = {
        "csrf_token": found.group(1),
        "code": "AG-OUT",
        "entry": "silver",
        "unit": "mt",
        "name_en": "China silver ingot output",
        "name_zh": "China silver",
        "tier": "premium",
    }
    refused = client.post("/desk/surveys/create", data=form, follow_redirects=False)
    assert refused.status_code == 422 and 'id="create-errors"' in refused.text
    assert 'id="create-name_zh" name="name_zh" type="text" value="China silver"' in refused.text
    with db.transaction() as session:
        assert service.get_survey(session, "AG-OUT") is None
    done = client.post(
        "/desk/surveys/create", data={**form, "name_zh": "中国银锭产量"}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    listing = client.get(done.headers["location"]).text
    assert "China silver ingot output" in listing and "中国银锭产量" in listing
    with db.transaction() as session:
        survey = service.require_survey(session, "AG-OUT")
        assert (survey.name_en, survey.name_zh, survey.tier) == (
            "China silver ingot output",
            "中国银锭产量",
            Tier.PREMIUM,
        )


def test_the_chinese_report_names_the_survey_in_chinese(db: ScratchDatabase) -> None:
    """A premium survey's report: the public title says the facts without their figures, in
    each language, and the Chinese one carries no English name."""
    with db.transaction() as session:
        editor = accounts.add_user(
            session, "ed@desk.cn", role=Role.EDITOR, plan="enterprise", actor="t"
        )
        survey = service.create_survey(
            session,
            "AG-OUT",
            entry="silver",
            unit="mt",
            name_en="China silver ingot output",
            name_zh="中国银锭产量",
            tier=Tier.PREMIUM,
            actor="t",
        )
        for period, (hn, yn) in {"2025-09": ("300", "200"), "2025-10": ("260", "190")}.items():
            stock = {"2025-09": ("40", "30"), "2025-10": ("20", "15")}[period]
            add_returns(
                session,
                survey,
                [
                    ReturnIn(
                        period=period,
                        respondent=code,
                        name=name,
                        province=province,
                        producer_type="primary",
                        capacity=Decimal(3600),
                        production=Decimal(volume),
                        inventory=Decimal(held),
                    )
                    for code, name, province, volume, held in (
                        ("HN-1", "Henan One", "Henan", hn, stock[0]),
                        ("YN-1", "Yunnan One", "Yunnan", yn, stock[1]),
                    )
                ],
                actor="t",
            )
            service.release(
                session,
                survey,
                period,
                status=ReleaseStatus.FINAL,
                user=editor,
                release_at=service.scheduled_release(survey, period),
                now=dt.datetime(2025, 9, 1, tzinfo=dt.UTC),
            )
    now = dt.datetime(2025, 11, 5, tzinfo=dt.UTC)
    with db.transaction() as session:
        article = reports.draft_production_report(session, "AG-OUT", "2025-10", actor="t", now=now)
        zh = newsroom.translation(article, "zh")
        en = newsroom.translation(article, "en")
        assert "China silver" not in zh.title + zh.summary + zh.body_markdown
        # Chosen by the facts (output down, smelter stocks halved), never a fixed line, and
        # with no figure of the premium survey in the public title.
        assert en.title.startswith("Silver Production Declined in October 2025") or (
            "Declined" in en.title or "Plunged" in en.title
        ), en.title
        assert "Production Report" not in en.title and "产量报告" not in zh.title
        assert "下降" in zh.title, zh.title
        for title in (en.title, zh.title):
            assert not re.search(r"\d+(\.\d+)?%|\d{3}", title.replace("2025", "")), title
