"""Surveys through the service, CLI and API, on both databases: imports are all-or-nothing,
statistics are released at their time, revisions keep the earlier figure."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope, User
from metalwire.catalog.models import Tier
from metalwire.cli import app as cli
from metalwire.supply import service
from metalwire.supply.models import ReleaseStatus, SurveyReturn
from metalwire.supply.published import published_release, release_versions
from tests.conftest import ScratchDatabase

runner = CliRunner()
HEADER = (
    "survey,period,respondent,name,province,producer_type,capacity,production,inventory,"
    "forecast_next,reasons,note"
)
SEPT = [
    "AG-OUT,2025-09,HN-1,Henan One,Henan,lead-smelter by-product,3600,300,40,290,,",
    "AG-OUT,2025-09,YN-1,Yunnan One,Yunnan,copper-smelter by-product,2400,200,30,200,,",
    "AG-OUT,2025-09,SD-1,Shandong One,Shandong,primary,1200,100,20,100,,",
]
OCT = [
    "AG-OUT,2025-10,HN-1,,,,,290,20,280,maintenance,",
    "AG-OUT,2025-10,YN-1,,,,,180,15,150,maintenance;inventory-count,",
    "AG-OUT,2025-10,SD-1,,,,,100,10,100,,",
]


@pytest.fixture
def editor(env_db: ScratchDatabase) -> User:
    with env_db.transaction() as session:
        service.create_survey(
            session,
            "AG-OUT",
            entry="silver",
            unit="mt",
            name_en="Silver ingot output",
            tier=Tier.PREMIUM,
            actor="t",
        )
        return accounts.add_user(
            session, "editor@desk.cn", role=Role.EDITOR, plan="enterprise", actor="t"
        )


def write(tmp_path: Path, lines: list[str], name: str = "returns.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def returns_count(db: ScratchDatabase) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count(SurveyReturn.id))) or 0)


def test_survey_create_cli_and_unknown_survey(env_db: ScratchDatabase, tmp_path: Path) -> None:
    created = runner.invoke(
        cli,
        [
            "survey",
            "create",
            "ZN-OUT",
            "--entry",
            "Zinc",
            "--unit",
            "t",
            "--name",
            "Refined zinc output",
        ],
    )
    assert created.exit_code == 0, created.output
    bad = runner.invoke(
        cli,
        [
            "import",
            "survey",
            str(write(tmp_path, ["NOPE-OUT,2025-09,X,X,Henan,primary,100,10,,,,"])),
        ],
    )
    assert bad.exit_code == 1 and "row 2: survey: unknown survey 'NOPE-OUT'" in bad.output


def test_import_with_one_bad_row_writes_nothing(
    editor: User, env_db: ScratchDatabase, tmp_path: Path
) -> None:
    lines = [*SEPT, "AG-OUT,2025-13,XX-1,X,Atlantis,alien,-5,abc,,,teleport,"]
    result = runner.invoke(cli, ["import", "survey", str(write(tmp_path, lines))])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "row 5: production: not a number: 'abc'",
        "row 5: period: not a month (YYYY-MM): '2025-13'",
    ]
    assert returns_count(env_db) == 0
    lines = [*SEPT, "AG-OUT,2025-09,XX-1,X,Atlantis,alien,-5,10,,,teleport,"]
    result = runner.invoke(cli, ["import", "survey", str(write(tmp_path, lines))])
    assert result.exit_code == 1
    assert "row 5: province: unknown province 'Atlantis'" in result.output
    assert "row 5: producer_type: unknown producer type 'alien'" in result.output
    assert "row 5: capacity: must be positive, got -5" in result.output
    assert "row 5: reasons: unknown reason code(s) teleport" in result.output
    assert returns_count(env_db) == 0


def test_new_respondents_join_the_panel_and_reimport_replaces(
    editor: User, env_db: ScratchDatabase, tmp_path: Path
) -> None:
    first = runner.invoke(cli, ["import", "survey", str(write(tmp_path, SEPT + OCT))])
    assert first.exit_code == 0, first.output
    assert "AG-OUT: 6 returns added, 0 replaced, 3 new respondents" in first.output
    again = runner.invoke(cli, ["import", "survey", str(write(tmp_path, SEPT + OCT))])
    assert "AG-OUT: 0 returns added, 0 replaced, 0 new respondents" in again.output
    fixed = [OCT[0].replace(",290,20,", ",295,20,")]
    third = runner.invoke(cli, ["import", "survey", str(write(tmp_path, fixed))])
    assert "0 returns added, 1 replaced" in third.output


def test_stats_json_has_the_published_keys(
    editor: User, env_db: ScratchDatabase, tmp_path: Path
) -> None:
    runner.invoke(cli, ["import", "survey", str(write(tmp_path, SEPT + OCT))])
    result = runner.invoke(cli, ["survey", "stats", "AG-OUT", "--period", "2025-10", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in (
        "production",
        "mom_abs",
        "mom_pct",
        "yoy_pct",
        "main_provinces",
        "by_province",
        "by_producer_type",
        "inventory",
        "inventory_change_abs",
        "inventory_change_pct",
        "forecast_next",
        "forecast_change_pct",
        "reasons",
        "imputed",
        "new_respondents",
        "dropped_respondents",
        "coverage",
    ):
        assert key in data, key
    # 600 -> 570 t: -30 t, -5.00 %; inventory 90 -> 45 t: -50 %.
    assert Decimal(data["production"]) == 570
    assert Decimal(data["mom_abs"]) == -30 and Decimal(data["mom_pct"]) == Decimal("-5.00")
    assert Decimal(data["inventory_change_pct"]) == Decimal("-50.00")
    assert data["main_provinces"][0] == "Henan"


@pytest.fixture
def released(editor: User, env_db: ScratchDatabase, tmp_path: Path) -> ScratchDatabase:
    runner.invoke(cli, ["import", "survey", str(write(tmp_path, SEPT + OCT))])
    with env_db.transaction() as session:
        survey = service.require_survey(session, "AG-OUT")
        for period in ("2025-09", "2025-10"):
            service.release(
                session,
                survey,
                period,
                status=ReleaseStatus.PRELIMINARY,
                user=editor,
                now=dt.datetime(2025, 10, 1, tzinfo=dt.UTC),
            )
    return env_db


def test_statistics_are_invisible_before_their_release_time(released: ScratchDatabase) -> None:
    release_at = dt.datetime(2025, 10, 31, 12, 0, tzinfo=dt.UTC)  # 20:00 Shanghai on the 31st
    with released.transaction() as session:
        survey = service.require_survey(session, "AG-OUT")
        assert service.scheduled_release(survey, "2025-10") == release_at
        before = release_at - dt.timedelta(seconds=1)
        assert published_release(session, survey, "2025-10", as_of=before) is None
        row = published_release(session, survey, "2025-10", as_of=release_at)
        assert row is not None and row.stats["production"] == "570.00"


def test_a_revision_is_marked_and_the_earlier_release_kept(
    released: ScratchDatabase, editor: User, tmp_path: Path
) -> None:
    runner.invoke(
        cli, ["import", "survey", str(write(tmp_path, [OCT[2].replace(",100,10,", ",110,10,")]))]
    )
    later = dt.datetime(2025, 11, 20, tzinfo=dt.UTC)
    with released.transaction() as session:
        survey = service.require_survey(session, "AG-OUT")
        service.release(
            session, survey, "2025-10", status=ReleaseStatus.FINAL, user=editor, now=later
        )
    with released.transaction() as session:
        survey = service.require_survey(session, "AG-OUT")
        versions = release_versions(session, survey, "2025-10", as_of=later)
        assert [
            (v.version, v.status.value, v.stats["production"], v.stats["revised"]) for v in versions
        ] == [(1, "preliminary", "570.00", False), (2, "final", "580.00", True)]


@pytest.fixture
def api(released: ScratchDatabase, app: FastAPI) -> Iterator[TestClient]:
    app.state.clock = lambda: dt.datetime(2025, 11, 20, tzinfo=dt.UTC)
    with TestClient(app) as client:
        yield client


def _key(db: ScratchDatabase, email: str, role: Role, plan: str, scope: Scope) -> dict[str, str]:
    with db.transaction() as session:
        if accounts.get_user(session, email) is None:
            accounts.add_user(session, email, role=role, plan=plan, actor="t")
        secret = accounts.create_api_key(session, email, scope, actor="t").secret
    return {"Authorization": f"Bearer {secret}"}


def test_stats_api_follows_tier_and_release(api: TestClient, released: ScratchDatabase) -> None:
    assert api.get("/api/v1/surveys/AG-OUT/stats?period=2025-10").status_code == 403
    subscriber = _key(released, "s@x.io", Role.SUBSCRIBER, "subscriber", Scope.READ)
    stats = api.get("/api/v1/surveys/AG-OUT/stats?period=2025-10", headers=subscriber).json()
    assert stats["production"] == "570.00" and stats["status"] == "preliminary"
    assert [v["version"] for v in stats["versions"]] == [1]
    missing = api.get("/api/v1/surveys/AG-OUT/stats?period=2025-11", headers=subscriber)
    assert missing.status_code == 404
    history = api.get("/api/v1/surveys/AG-OUT/history?format=csv", headers=subscriber).text
    assert history.splitlines()[0] == (
        "period,production,mom_abs,mom_pct,yoy_pct,inventory,forecast_next,status,version"
    )
    assert history.splitlines()[2].startswith("2025-10,570.00,-30.00,-5.00,")
    surveys = {s["code"]: s for s in api.get("/api/v1/surveys").json()}
    assert surveys["AG-OUT"]["latest_period"] == "2025-10" and surveys["AG-OUT"]["respondents"] == 3


def test_returns_and_releases_over_the_api(api: TestClient, released: ScratchDatabase) -> None:
    analyst = _key(released, "a@desk.cn", Role.ANALYST, "enterprise", Scope.SUBMIT)
    body = [
        {"period": "2025-11", "respondent": "HN-1", "production": "280"},
        {"period": "2025-11", "respondent": "NEW-1", "production": "50"},
    ]
    bad = api.post("/api/v1/surveys/AG-OUT/returns", json=body, headers=analyst)
    assert bad.status_code == 422
    assert bad.json()["invalid_params"][0]["name"] == "1.name"
    body[1].update(
        {
            "name": "New One",
            "province": "Zhejiang",
            "producer_type": "recycling",
            "capacity": "800",
            "reasons": ["new-capacity"],
        }
    )
    created = api.post("/api/v1/surveys/AG-OUT/returns", json=body, headers=analyst)
    assert created.status_code == 201 and created.json()["new_respondents"] == ["NEW-1"]
    assert (
        api.post(
            "/api/v1/surveys/AG-OUT/releases", json={"period": "2025-11"}, headers=analyst
        ).status_code
        == 403
    )
    editor = _key(released, "editor@desk.cn", Role.EDITOR, "enterprise", Scope.PUBLISH)
    out = api.post("/api/v1/surveys/AG-OUT/releases", json={"period": "2025-11"}, headers=editor)
    assert out.status_code == 201 and out.json()["version"] == 1


def test_finalising_unchanged_figures_is_not_a_revision(
    released: ScratchDatabase, editor: User
) -> None:
    later = dt.datetime(2025, 11, 20, tzinfo=dt.UTC)
    with released.transaction() as session:
        survey = service.require_survey(session, "AG-OUT")
        final = service.release(
            session, survey, "2025-10", status=ReleaseStatus.FINAL, user=editor, now=later
        )
        assert final.version == 2 and final.stats["revised"] is False
        with pytest.raises(service.SupplyError, match="cannot be released before version 2"):
            service.release(
                session,
                survey,
                "2025-10",
                status=ReleaseStatus.FINAL,
                user=editor,
                release_at=later - dt.timedelta(days=30),
            )


def test_a_later_return_can_update_panel_details(
    editor: User, env_db: ScratchDatabase, tmp_path: Path
) -> None:
    runner.invoke(cli, ["import", "survey", str(write(tmp_path, SEPT))])
    expanded = "AG-OUT,2025-10,SD-1,,,,1500,120,10,120,new-capacity,"
    assert runner.invoke(cli, ["import", "survey", str(write(tmp_path, [expanded]))]).exit_code == 0
    with env_db.transaction() as session:
        survey = service.require_survey(session, "AG-OUT")
        shandong = {r.code: r for r in service.panel(session, survey)}["SD-1"]
        assert shandong.capacity == Decimal(1500)
        assert shandong.active_from == dt.date(2025, 9, 1)


def test_the_client_reads_survey_statistics_and_history(
    released: ScratchDatabase, app: FastAPI, live_server: str
) -> None:
    from metalwire.client import Client

    app.state.clock = lambda: dt.datetime(2025, 11, 20, tzinfo=dt.UTC)
    key = _key(released, "s@x.io", Role.SUBSCRIBER, "subscriber", Scope.READ)["Authorization"]
    with Client(live_server, api_key=key.removeprefix("Bearer ")) as mw:
        stats = mw.survey_stats("AG-OUT", "2025-10")
        assert stats["production"] == Decimal("570.00")
        assert stats["mom_pct"] == Decimal("-5.00")
        assert stats["main_provinces"][0] == "Henan"
        history = mw.survey_history("AG-OUT")
    assert list(history.index) == ["2025-09", "2025-10"]
    assert history.loc["2025-10", "production"] == Decimal("570.00")


def test_volumes_outside_their_range_are_refused_by_row_and_field(
    editor: User, env_db: ScratchDatabase, tmp_path: Path
) -> None:
    """Issue #13 finding 2 for survey returns: 1E+999999 and 1E-999999 would be stored as
    something else (Inf, 0); a capacity of 1E+30 tonnes is a typo."""
    lines = [
        "AG-OUT,2025-09,HN-1,Henan One,Henan,lead-smelter by-product,3600,1E+999999,40,290,,",
        "AG-OUT,2025-09,YN-1,Yunnan One,Yunnan,copper-smelter by-product,1E+30,200,1E-999999,,,",
    ]
    result = runner.invoke(cli, ["import", "survey", str(write(tmp_path, lines))])
    assert result.exit_code == 1
    output = result.output
    assert "row 2: production: out of range" in output
    assert "row 3: capacity: out of range" in output
    assert "row 3: inventory: at most 6 decimal places" in output
    assert returns_count(env_db) == 0


def test_text_past_its_column_is_refused_by_row_and_field(
    editor: User, env_db: ScratchDatabase, tmp_path: Path
) -> None:
    """A name longer than the panel's column, a note past 2,000 characters or too many reason
    codes: row- and field-named problems, nothing written (it was an unhandled validation
    error, and on PostgreSQL a 301-character name a database error)."""
    lines = [
        f"AG-OUT,2025-09,HN-1,{'H' * 301},Henan,lead-smelter by-product,3600,300,40,290,,",
        f"AG-OUT,2025-09,YN-1,Yunnan One,Yunnan,primary,2400,200,30,200,,{'n' * 2001}",
        "AG-OUT,2025-09,SD-1,Shandong One,Shandong,primary,1200,100,20,100,"
        + ";".join(["maintenance"] * 21)
        + ",",
    ]
    result = runner.invoke(cli, ["import", "survey", str(write(tmp_path, lines))])
    assert result.exit_code == 1, result.output
    output = result.output
    assert "row 2: name: String should have at most 300 characters" in output
    assert "row 3: note: String should have at most 2000 characters" in output
    assert "row 4: reasons: List should have at most 20 items" in output
    assert returns_count(env_db) == 0
