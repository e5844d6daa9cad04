"""The demo production surveys, read back through the survey service on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role
from metalwire.audit import AuditEvent
from metalwire.catalog.models import Tier
from metalwire.demo.survey_panels import survey_specs
from metalwire.demo.surveys import build_surveys
from metalwire.supply import service
from metalwire.supply.models import Respondent, Survey, SurveyRelease, SurveyReturn
from metalwire.supply.published import published_history, published_release, release_versions
from metalwire.supply.reference import reason_moves
from tests.conftest import ScratchDatabase, Templates, scratch_database

# 11:00 in Shanghai on 26 November 2026: October is the last full month.
NOW = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
MONTHS = 14
FIRST, LATEST = "2025-09", "2026-10"
STORY = "2025-10"  # the month the reference report tells
# Months in which the silver export window opened (as the demo's markets have it); the survey
# build is given them here instead of computing them from markets it does not build.
EXPORT_MONTHS = {"2025-10", "2025-11", "2025-12", "2026-05"}
EDITOR = "editor@metalwire.demo"
SILVER = "AG-INGOT-CN-OUTPUT"
# Monthly panel output (t) the demo should land in for the latest month: the national figure
# (copper ~1.15 Mt, aluminium ~3.6 Mt, zinc ~0.55 Mt, lead ~0.6 Mt, lithium carbonate 60-80 kt)
# times the panel's coverage.
LEVELS = {
    SILVER: (1_200, 1_600),
    "CU-CATHODE-CN-OUTPUT": (900_000, 1_200_000),
    "ZN-REFINED-CN-OUTPUT": (400_000, 560_000),
    "PB-REFINED-CN-OUTPUT": (450_000, 620_000),
    "AL-PRIMARY-CN-OUTPUT": (3_100_000, 3_700_000),
    "LI2CO3-CN-OUTPUT": (50_000, 85_000),
}


def build(db: ScratchDatabase, *, seed: int = 7) -> list[str]:
    with db.transaction() as session:
        editor = accounts.get_user(session, EDITOR) or accounts.add_user(
            session, EDITOR, role=Role.EDITOR, plan="enterprise", actor="test"
        )
        return build_surveys(
            session, editor=editor, now=NOW, seed=seed, months=MONTHS, export_months=EXPORT_MONTHS
        )


def history(db: ScratchDatabase, code: str) -> list[tuple[str, int, str, dict[str, Any]]]:
    """(period, version, status, stats) of the latest published version of each period."""
    with db.transaction() as session:
        survey = service.require_survey(session, code)
        return [
            (r.period, r.version, r.status.value, r.stats)
            for r in published_history(session, survey, as_of=NOW)
        ]


def counts(db: ScratchDatabase) -> dict[str, int]:
    with db.transaction() as session:
        return {
            model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Survey, Respondent, SurveyReturn, SurveyRelease, AuditEvent)
        }


def built_once(templates: Templates, backend: str) -> str:
    """The surveys built once per backend per run: the template the tests copy."""
    return templates.build(backend, ("surveys", MONTHS, NOW, 7), build).template


@pytest.fixture(scope="module")
def built(
    backend: str, templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScratchDatabase]:
    """One copy of the built surveys, shared by the module's tests that only read it."""
    directory = tmp_path_factory.mktemp("surveys")
    with scratch_database(backend, built_once(templates, backend), directory) as db:
        yield db


@pytest.fixture
def own(backend: str, templates: Templates, tmp_path: Path) -> Iterator[ScratchDatabase]:
    """A copy of the built surveys of the test's own, for a test that builds on it."""
    with scratch_database(backend, built_once(templates, backend), tmp_path) as db:
        yield db


def test_silver_panel_is_smms_and_october_reads_like_the_report(built: ScratchDatabase) -> None:
    with built.transaction() as session:
        survey = service.require_survey(session, SILVER)
        panel = service.panel(session, survey)
        capacity = sum((r.capacity for r in panel), Decimal(0))
        # 45 producers in 17 provinces, ~24,000 t/yr, over 99 % of national capacity.
        assert len(panel) == 45
        assert len({r.province for r in panel}) == 17
        assert abs(capacity - 24_000) <= 500
        assert survey.national_capacity is not None
        assert (
            capacity < survey.national_capacity
            and capacity / survey.national_capacity > Decimal("0.99")
        )
        assert survey.tier is Tier.FREE and survey.premium_series == "AG-INGOT-CN-PREMIUM"
        assert survey.producer_types == service.DEFAULT_PRODUCER_TYPES
        kinds = {r.producer_type for r in panel}
        assert kinds == {t["code"] for t in service.DEFAULT_PRODUCER_TYPES}
        by_product = sum(1 for r in panel if r.producer_type.endswith("by-product"))
        assert by_product > len(panel) / 2  # mostly lead- and copper-smelter by-product
    rows = history(built, SILVER)
    assert rows[-1][:3] == (LATEST, 1, "preliminary")
    _, _, status, stats = next(row for row in rows if row[0] == STORY)
    assert status == "final"
    assert stats["main_provinces"][:4] == ["Henan", "Yunnan", "Shandong", "Zhejiang"]
    shares = {line["name"]: Decimal(line["share"]) for line in stats["by_province"]}
    assert sum(shares[p] for p in ("henan", "yunnan", "shandong", "zhejiang")) >= 60
    # Output down a few per cent, mostly maintenance; stocks about halved by export orders.
    assert Decimal(stats["mom_pct"]) == Decimal("-3.55")
    assert stats["reasons"][0]["code"] == "maintenance"
    assert -60 < Decimal(stats["inventory_change_pct"]) < -40
    assert {"export-orders", "inventory-count"} <= {r["code"] for r in stats["reasons"]}
    # Lead-zinc smelters in Guangxi, Gansu and Inner Mongolia cut next month for ore grade.
    cuts = {m["name"]: m["reasons"] for m in stats["forecast_movers"]["cuts"]}
    for province in ("guangxi", "gansu", "inner-mongolia"):
        assert "raw-material-grade" in cuts[province], province


def test_every_survey_has_a_plausible_panel_released_on_schedule(built: ScratchDatabase) -> None:
    expected = service.period_range(FIRST, LATEST)
    for spec in survey_specs():
        with built.transaction() as session:
            survey = service.require_survey(session, spec.code)
            panel = service.panel(session, survey)
            assert survey.entry.code == spec.entry and survey.unit == "mt"
            assert survey.tier is (Tier.FREE if spec.code == SILVER else Tier.PREMIUM)
            assert 15 <= len(panel) <= 45, spec.code
            types = {t["code"] for t in survey.producer_types}
            assert {r.producer_type for r in panel} == types, spec.code
            for row in session.scalars(
                select(SurveyRelease).where(
                    SurveyRelease.survey_id == survey.id, SurveyRelease.version == 1
                )
            ):
                # Each period first comes out at its schedule: last day, 20:00 Shanghai.
                assert row.release_at == service.scheduled_release(survey, row.period)
        rows = history(built, spec.code)
        assert [period for period, _, _, _ in rows] == expected, spec.code
        assert [status for _, _, status, _ in rows] == ["final"] * (MONTHS - 1) + ["preliminary"]
        low, high = LEVELS[spec.code]
        latest = Decimal(rows[-1][3]["production"])
        assert low <= latest <= high, (spec.code, latest)
        # Every month some respondents miss the deadline and are imputed (except the first,
        # which has nothing to impute from, a revised month, whose late return came in, and
        # silver's story month, complete so that it releases the reported -3.55 %).
        imputed = [
            stats["imputed_count"]
            for period, version, _, stats in rows[1:]
            if version == 1 and not (spec.code == SILVER and period == STORY)
        ]
        assert all(1 <= n <= 3 for n in imputed), spec.code
    # The Chinese New Year dip, then the recovery.
    silver = {
        period: Decimal(stats["production"]) for period, _, _, stats in history(built, SILVER)
    }
    assert silver["2026-02"] < silver["2026-01"] and silver["2026-02"] < silver["2026-03"]


def test_a_plant_joins_part_way_and_maintenance_shows(built: ScratchDatabase) -> None:
    joined: list[tuple[str, str]] = []
    reasons: set[str] = set()
    for spec in survey_specs():
        for *_, stats in history(built, spec.code)[1:]:
            joined += [(spec.code, n["respondent"]) for n in stats["new_respondents"]]
            reasons |= {r["code"] for r in stats["reasons"]}
    assert ("LI2CO3-CN-OUTPUT", "LI-SC-05") in joined
    assert {"maintenance", "new-capacity", "raw-material-grade"} <= reasons
    with built.transaction() as session:
        survey = service.require_survey(session, "LI2CO3-CN-OUTPUT")
        versions = {
            r.period: r.stats["capacity"] for r in published_history(session, survey, as_of=NOW)
        }
    # The panel's capacity steps up when the new plant joins, and only then.
    assert len(set(versions.values())) == 2
    assert Decimal(versions[LATEST]) > Decimal(versions[FIRST])


def test_a_late_return_is_published_as_a_revision_and_the_first_figure_kept(
    built: ScratchDatabase,
) -> None:
    with built.transaction() as session:
        survey = service.require_survey(session, SILVER)
        revised = session.scalars(
            select(SurveyRelease.period).where(
                SurveyRelease.survey_id == survey.id, SurveyRelease.version == 2
            )
        ).all()
        assert len(revised) == 1
        period = revised[0]
        first, second = release_versions(session, survey, period, as_of=NOW)
        assert (first.version, second.version) == (1, 2)
        assert first.stats["revised"] is False and second.stats["revised"] is True
        assert first.status.value == second.status.value == "final"
        # Version 1 imputed the late smelter; version 2 has its return instead.
        assert first.stats["imputed_count"] >= 1 and second.stats["imputed_count"] == 0
        assert first.stats["production"] != second.stats["production"]
        # Revised with the next month's release; until then readers saw version 1.
        following = service.shift_period(period, 1)
        assert second.release_at == service.scheduled_release(survey, following)
        before = second.release_at - dt.timedelta(seconds=1)
        shown = published_release(session, survey, period, as_of=before)
        assert shown is not None and shown.version == 1
        shown = published_release(session, survey, period, as_of=NOW)
        assert shown is not None and shown.version == 2


def test_a_second_build_adds_nothing(own: ScratchDatabase) -> None:
    before = counts(own)
    surveys = len(survey_specs())
    assert before["Survey"] == surveys and before["SurveyRelease"] == surveys * MONTHS + 1
    lines = build(own)
    assert counts(own) == before
    assert all("0 returns added, 0 releases" in line for line in lines), lines


def test_the_same_seed_builds_the_same_statistics(
    built: ScratchDatabase, db: ScratchDatabase
) -> None:
    """The run's build (``built``) and a second one from scratch (``db``), side by side."""
    build(db)
    for spec in survey_specs():
        assert history(built, spec.code) == history(db, spec.code), spec.code


def test_refuses_a_naive_now_and_an_empty_window(db: ScratchDatabase) -> None:
    with db.transaction() as session:
        editor = accounts.add_user(
            session, EDITOR, role=Role.EDITOR, plan="enterprise", actor="test"
        )
        with pytest.raises(ValueError, match="months"):
            build_surveys(session, editor=editor, now=NOW, months=0)
        with pytest.raises(ValueError, match="timezone"):
            build_surveys(session, editor=editor, now=NOW.replace(tzinfo=None))


def test_reasons_follow_the_direction_of_the_change(built: ScratchDatabase) -> None:
    """Every reason a demo return cites moves output (or stocks) the way that smelter's output
    (or forecast, or stock) moved: no cut put down to high production enthusiasm, no increase
    to maintenance; export orders only draw stocks down, and only in a month the export window
    opened."""
    directions = reason_moves()
    checked = 0
    with built.transaction() as session:
        for spec in survey_specs():
            survey = service.require_survey(session, spec.code)
            returns = session.scalars(
                select(SurveyReturn).where(SurveyReturn.survey_id == survey.id)
            ).all()
            by_month = {(item.respondent_id, item.period): item for item in returns}
            for (respondent, period), item in by_month.items():
                before = by_month.get((respondent, service.shift_period(period, -1)))
                for code in item.reasons:
                    moves = directions[code]
                    # Figures are rounded to the survey's decimals, so a change may round to 0.
                    if moves.measure == "stock":
                        assert before is not None, (spec.code, period, code)
                        assert before.inventory is not None and item.inventory is not None
                        stock = float(item.inventory - before.inventory)
                        assert stock * moves.sign >= 0, (spec.code, period, code, stock)
                        if code == "export-orders":
                            assert spec.code == SILVER and period in EXPORT_MONTHS, period
                    else:
                        output = float(item.production - before.production) if before else 0.0
                        forecast = float((item.forecast_next or item.production) - item.production)
                        assert max(output * moves.sign, forecast * moves.sign) >= 0, (
                            spec.code,
                            period,
                            code,
                            output,
                            forecast,
                        )
                    checked += 1
    assert checked > 200


def test_the_forecast_movers_cite_reasons_that_move_output_their_way(
    built: ScratchDatabase,
) -> None:
    directions = reason_moves()
    for spec in survey_specs():
        for period, _, _, stats in history(built, spec.code):
            for side, sign in (("cuts", -1), ("increases", 1)):
                for mover in stats["forecast_movers"][side]:
                    for code in mover["reasons"]:
                        moves = directions[code]
                        assert (moves.measure, moves.sign) == ("output", sign), (
                            spec.code,
                            period,
                            side,
                            code,
                        )
