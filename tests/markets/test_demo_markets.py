"""The demo's market data, windows and indices (demo/markets.py), on both databases: built the way
demo/build.py is to call it (off-grade iron ore evidence before the assessments, the markets after
the prices are published), then read back through the services."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from sqlalchemy import func, select

from metalwire.audit import AuditEvent
from metalwire.catalog.service import get_series
from metalwire.demo import build as demo_build
from metalwire.demo import indices as demo_indices
from metalwire.demo import markets as demo
from metalwire.demo.anchors import fx_curve
from metalwire.demo.iron_ore import IRON_ORE_SERIES, iron_ore_evidence
from metalwire.demo.settlements import SHFE_METALS
from metalwire.indices import service as indices
from metalwire.indices.models import IndexDefinitionRecord
from metalwire.markets import service as markets
from metalwire.markets import windows
from metalwire.markets.models import Instrument, MarketPrice
from metalwire.markets.normalization import adjustment_for, normalize_to_62
from metalwire.pricing.models import Assessment, AssessmentStatus, Submission
from metalwire.pricing.published import published_prices
from tests.conftest import ScratchDatabase, scratch_database

# 18:00 Shanghai, 10:00 London on a Thursday: today's SHFE settlements (15:05 Shanghai) are in,
# London's (12:05 and 17:35 London) are not.
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
DAYS = 20
TODAY = dt.date(2026, 11, 26)


def build(db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """build_demo with iron_ore_evidence wired in after the submissions, then build_markets."""
    original = demo_build._submit
    lines: list[str] = []

    def submit(session, books, desk, **kwargs):  # type: ignore[no-untyped-def]
        original(session, books, desk, **kwargs)
        lines.extend(
            iron_ore_evidence(
                session, now=kwargs["now"], seed=kwargs["seed"], days=DAYS, analyst=desk.analyst
            )
        )

    monkeypatch.setattr(demo_build, "_submit", submit)
    with db.transaction() as session:
        demo_build.build_demo(session, days=DAYS, now=NOW)
        desk = demo_build.ensure_demo_users(session)
        lines += demo.build_markets(
            session, now=NOW, analyst=desk.analyst, editor=desk.editor, days=DAYS
        )
    return lines


@pytest.fixture(scope="module")
def built(
    backend: str, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScratchDatabase]:
    """The demo built once per backend for the module's tests (they read it; the one that builds
    again proves it adds nothing): building it per test was ~4 minutes of CI."""
    directory = tmp_path_factory.mktemp("demo-markets")
    with (
        scratch_database(backend, template_database, directory) as db,
        pytest.MonkeyPatch.context() as monkeypatch,
    ):
        build(db, monkeypatch)
        yield db


def mids(db: ScratchDatabase, code: str) -> dict[dt.date, Decimal]:
    with db.transaction() as session:
        series = get_series(session, code)
        assert series is not None
        return {p.market_date: p.mid for p in published_prices(session, series, as_of=NOW)}


def settles(db: ScratchDatabase, code: str, as_of: dt.datetime = NOW) -> dict[dt.date, Decimal]:
    with db.transaction() as session:
        rows = markets.settlement_history(session, [code], as_of=as_of)[code]
    return {r.date: r.settle for r in rows}


def test_settlements_follow_the_published_spot_prices(built: ScratchDatabase) -> None:
    for metal in SHFE_METALS:
        spot = mids(built, metal.spot)
        front = settles(built, f"SHFE-{metal.symbol}-FRONT")
        assert len(front) >= 12 and TODAY in front, metal.symbol
        premium = mids(built, metal.premium_series) if metal.premium_series else None
        for day, settle in front.items():
            if day not in spot or (premium is not None and day not in premium):
                continue  # the desk is late today; the exchange settled from the market level
            if premium is not None:  # spot = SHFE front + spot premium, to the tick
                assert abs(spot[day] - (settle + premium[day])) <= metal.tick / 2, (metal, day)
            else:
                assert abs(spot[day] - settle) / spot[day] < Decimal("0.01"), (metal, day)
    fix = settles(built, "USDCNY-FIX")
    for day, rate in fix.items():
        assert abs(float(rate) / fx_curve().at(day) - 1) < 0.01
    # London (3-month and silver) stays at the level of the Shanghai price landed in London.
    for symbol in ("CU", "ZN", "NI"):
        three = settles(built, f"LME-{symbol}-3M")
        shfe = settles(built, f"SHFE-{symbol}-FRONT")
        assert TODAY not in three  # 17:35 London has not come
        for day, price in three.items():
            if day in shfe and day in fix:
                parity = float(shfe[day]) / (1.13 * float(fix[day]))
                # Below it by the CIF premium and the duty (a few percent), and the walk.
                assert -0.09 < float(price) / parity - 1 < 0.01, (symbol, day)
    london = mids(built, "AG-LONDON-SPOT")
    for day, price in settles(built, "LBMA-AG").items():
        if day in london:
            assert abs(float(price) / float(london[day]) - 1) < 0.05, day


def test_the_curve_lists_contract_months_and_settlements_are_point_in_time(
    built: ScratchDatabase,
) -> None:
    with built.transaction() as session:
        day, points = markets.futures_curve(session, "SHFE-CU", as_of=NOW)
        assert day == TODAY
        months = [p.instrument.contract_month for p in points]
        assert months == ["2026-12", "2027-01", "2027-02", "2027-03", "2027-04", "2027-05"]
        assert points[0].settlement.settle == settles(built, "SHFE-CU-FRONT")[TODAY]
        assert all(p.settlement.volume and p.settlement.open_interest for p in points)
        earlier, _ = markets.futures_curve(session, "SHFE-CU", as_of=NOW, day=dt.date(2026, 11, 15))
        assert earlier == dt.date(2026, 11, 13)  # a Sunday asked: the Friday before
    # Before 15:05 Shanghai today's settlements had not been loaded.
    two_pm = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC)
    assert TODAY not in settles(built, "SHFE-CU-FRONT", as_of=two_pm)
    assert dt.date(2026, 11, 25) in settles(built, "SHFE-CU-FRONT", as_of=two_pm)


def test_every_window_has_results_that_recompute(built: ScratchDatabase) -> None:
    with built.transaction() as session:
        for definition in windows.definitions():
            history = windows.compute(session, definition, as_of=NOW)
            assert len(history.rows) >= 12, definition.code
            assert history.rows[-1].date == TODAY
            assert not history.missing, definition.code
            if definition.kind != "base-metal-import":
                continue
            for row in history.rows:
                v = {role: item.value for role, item in row.inputs.items()}
                p = row.parameters
                with localcontext() as context:
                    context.prec = 50
                    cost = (v["lme_3m"] + v["cif_premium"]) * (1 + p.vat) * (1 + p.import_duty) * v[
                        "cny_per_usd"
                    ] + (p.port_costs + p.other_costs)
                    expected = v["shfe_front"] + v["spot_premium"] - cost
                assert row.profit == expected.quantize(Decimal("0.01"), ROUND_HALF_UP)
                # The demo's landed price keeps the profit near parity, not thousands away.
                assert abs(row.profit) < Decimal("0.03") * v["shfe_front"], definition.code


def test_the_demo_indices(built: ScratchDatabase) -> None:
    with built.transaction() as session:
        codes = [r.code for r in indices.definitions(session)]
        assert codes == [
            "FE-ORE-62-INDEX",
            "MW-BASE-METALS-INDEX",
            "MW-NEW-ENERGY-INDEX",
            "MW-NONFERROUS-INDEX",
            "MW-WB-BASE-METALS",
        ]
        composite = indices.view(session, "MW-NONFERROUS-INDEX", as_of=NOW)
        definition = composite.definition
        base = definition.base_period
        assert composite.points[0].date == base.start and composite.points[0].value == 1000
        # Weights are production values: output × base-period average mid, yuan bn.
        for constituent in definition.constituents:
            assert constituent.series is not None
            total, count = composite.base[constituent.code]
            unit = get_series(session, constituent.series).unit  # type: ignore[union-attr]
            value = (
                Decimal(demo_indices.OUTPUT_T[constituent.code])
                * demo_indices.KG_PER_T[unit]
                * total
                / count
            )
            expected = (value / Decimal(10) ** 9).quantize(Decimal("0.01"), ROUND_HALF_UP)
            assert constituent.weight == expected
        sub = indices.view(session, "MW-BASE-METALS-INDEX", as_of=NOW)
        assert set(sub.definition.codes) == set(demo_indices.BASE_METALS) < set(definition.codes)
        # The iron-ore index is the 62% Fe assessment, date for date.
        ore = indices.view(session, "FE-ORE-62-INDEX", as_of=NOW)
    published = mids(built, IRON_ORE_SERIES)
    assert {p.date: p.value for p in ore.points} == published


def test_off_grade_iron_ore_enters_at_its_62_percent_equivalent(built: ScratchDatabase) -> None:
    with built.transaction() as session:
        series = get_series(session, IRON_ORE_SERIES)
        assert series is not None
        off_grade = list(
            session.scalars(
                select(Submission).where(
                    Submission.series_id == series.id, Submission.adjustment != 0
                )
            )
        )
        assert len(off_grade) >= 10
        for item in off_grade:
            fe, sio2, al2o3 = (
                Decimal(x)
                for x in re.findall(r"Fe ([\d.]+)%, SiO2 ([\d.]+)%, Al2O3 ([\d.]+)%", item.note)[0]
            )
            assert item.adjustment == adjustment_for(fe, sio2, al2o3)
            assert item.price is not None
            normalized = normalize_to_62(item.price, fe, sio2, al2o3)
            assert normalized.value62 == item.price + item.adjustment
            assert item.volume is not None and item.volume >= 50_000
        used = set()
        for row in session.scalars(
            select(Assessment).where(
                Assessment.series_id == series.id, Assessment.status == AssessmentStatus.APPROVED
            )
        ):
            used |= set(row.explanation.get("inputs_used", []))
        assert used & {item.id for item in off_grade}


def test_a_second_build_adds_nothing(
    built: ScratchDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = (MarketPrice, Instrument, IndexDefinitionRecord, Submission, AuditEvent)

    def counts() -> tuple[int, ...]:
        with built.transaction() as session:
            return tuple(
                int(session.scalar(select(func.count()).select_from(t)) or 0) for t in tables
            )

    first = counts()
    lines = build(built, monkeypatch)
    assert counts() == first
    assert "0 real settlements and 0 demo settlements added" in " ".join(lines)


def test_production_reports_quote_the_export_window(built: ScratchDatabase) -> None:
    from metalwire.newsroom.reports import arbitrage_facts
    from metalwire.supply.service import require_survey

    with built.transaction() as session:
        silver = require_survey(session, "AG-INGOT-CN-OUTPUT")
        facts = arbitrage_facts(session, silver, "2026-11", now=NOW)
        assert facts is not None and facts.kind == "export" and facts.unit_en == "yuan/kg"
        definition = windows.get_definition("AG-EXPORT")
        assert definition is not None
        history = windows.compute(
            session, definition, as_of=NOW, start=dt.date(2026, 11, 16), end=dt.date(2026, 11, 30)
        )
        latest = history.rows[-1]
        assert facts.profit == latest.profit and facts.open == latest.open
        assert facts.source_ref == f"arbitrage:AG-EXPORT@{latest.date.isoformat()}"
