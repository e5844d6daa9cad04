"""The demo market's prices, read back through the published-price services on both databases."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import func, select

from metalwire.audit import AuditEvent
from metalwire.catalog.models import PriceSeries, SeriesStatus
from metalwire.catalog.service import get_series
from metalwire.demo.build import build_demo
from metalwire.pricing.desk import ASSESSED_KINDS
from metalwire.pricing.models import Assessment, AssessmentStatus, Submission
from metalwire.pricing.published import (
    PublishedPrice,
    latest_published,
    published_prices,
    release_state,
)
from tests.conftest import ScratchDatabase, Templates, build_demo_once, scratch_database

# A Wednesday with both markets open: 13:00 in Shanghai (the 11:00 and 11:30 prices are out,
# the 15:00 ones are not), 05:00 in London (nothing released yet).
NOW = dt.datetime(2026, 3, 18, 5, 0, tzinfo=dt.UTC)
DAYS = 12
OZ_PER_KG = 32.1507466
VAT = 1.13


def build(db: ScratchDatabase, *, seed: int = 7) -> list[str]:
    with db.transaction() as session:
        return build_demo(session, days=DAYS, now=NOW, seed=seed)


def assessed_series(db: ScratchDatabase) -> list[PriceSeries]:
    with db.transaction() as session:
        return list(
            session.scalars(
                select(PriceSeries)
                .where(
                    PriceSeries.status == SeriesStatus.ACTIVE,
                    PriceSeries.kind.in_(ASSESSED_KINDS),
                )
                .order_by(PriceSeries.code)
            )
        )


def published(db: ScratchDatabase, code: str) -> list[PublishedPrice]:
    with db.transaction() as session:
        series = get_series(session, code)
        assert series is not None
        return published_prices(session, series, as_of=NOW)


def monthly(name: str, column: str) -> dict[tuple[int, int], float]:
    path = resources.files("metalwire.demo").joinpath(f"data/real/{name}")
    rows = csv.DictReader(path.read_text("utf-8").splitlines())
    return {
        (int(r["month"][:4]), int(r["month"][5:7])): float(r[column]) for r in rows if r[column]
    }


def between_midpoints(values: dict[tuple[int, int], float], day: dt.date) -> float:
    """Linear between the middles of the day's month and its neighbour month."""

    def middle(year: int, month: int) -> dt.datetime:
        days = calendar.monthrange(year, month)[1]
        return dt.datetime(year, month, 1) + dt.timedelta(days=(days - 1) / 2)

    here = middle(day.year, day.month)
    moment = dt.datetime.combine(day, dt.time())
    step = -1 if moment < here else 1
    year, month = divmod(day.year * 12 + day.month - 1 + step, 12)
    there = middle(year, month + 1)
    weight = (moment - here) / (there - here)
    return values[(day.year, day.month)] * (1 - weight) + values[(year, month + 1)] * weight


@pytest.fixture(scope="module")
def built(
    backend: str, templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScratchDatabase]:
    """The demo market, built once per backend per run; one copy shared by the module's tests
    that only read it."""
    demo = build_demo_once(templates, backend, days=DAYS, now=NOW)
    with scratch_database(backend, demo.template, tmp_path_factory.mktemp("demo")) as db:
        yield db


@pytest.fixture
def own(backend: str, templates: Templates, tmp_path: Path) -> Iterator[ScratchDatabase]:
    """A copy of the built demo market of the test's own, for a test that builds on it."""
    demo = build_demo_once(templates, backend, days=DAYS, now=NOW)
    with scratch_database(backend, demo.template, tmp_path) as db:
        yield db


def test_every_assessed_series_publishes_a_varied_four_eyes_history(built: ScratchDatabase) -> None:
    methods: set[str] = set()
    for series in assessed_series(built):
        prices = published(built, series.code)
        assert prices, f"{series.code} has no published price"
        methods.update(p.method for p in prices)
    assert {"transaction-based", "spread-based", "interpolated"} <= methods
    with built.transaction() as session:
        rows = session.execute(
            select(Assessment.assessor_id, Assessment.approver_id, Assessment.status)
        ).all()
        assert rows and all(
            status is AssessmentStatus.APPROVED and approver is not None and approver != assessor
            for assessor, approver, status in rows
        )
        # Somewhere in the history an off-market deal was caught by the outlier filter.
        explanations = session.scalars(select(Assessment.explanation)).all()
        assert any("outlier" in e["explanation"] for e in explanations)


def test_silver_follows_the_world_bank_price_converted_to_yuan_with_vat(
    built: ScratchDatabase,
) -> None:
    silver = monthly("worldbank_pinksheet_metals_monthly_usd.csv", "silver_usd_per_troy_oz")
    fx = monthly("usd_cny_monthly_fred.csv", "cny_per_usd")
    shanghai = published(built, "AG-INGOT-CN-SPOT")
    london = published(built, "AG-LONDON-SPOT")
    assert len(shanghai) >= DAYS // 2 and len(london) >= DAYS // 2
    for price in shanghai:
        usd = between_midpoints(silver, price.market_date)
        expected = usd * OZ_PER_KG * between_midpoints(fx, price.market_date) * VAT
        assert abs(float(price.mid) / expected - 1) < 0.05, (price.market_date, price.mid, expected)
    for price in london:
        expected = between_midpoints(silver, price.market_date)
        assert abs(float(price.mid) / expected - 1) < 0.05, (price.market_date, price.mid, expected)
    # Published to the series' decimals: yuan/kg whole, USD/oz to the tenth of a cent.
    assert all(p.mid == p.mid.quantize(Decimal(1)) for p in shanghai)
    assert all(p.mid == p.mid.quantize(Decimal("0.001")) for p in london)


def test_today_some_prices_are_out_some_pending_and_one_or_two_delayed(
    built: ScratchDatabase,
) -> None:
    today = dt.date(2026, 3, 18)
    series = assessed_series(built)
    with built.transaction() as session:
        states = {s.code: release_state(session, s, NOW) for s in series}
        latest = latest_published(session, series, as_of=NOW)
        waiting = session.scalar(
            select(func.count(Assessment.id)).where(
                Assessment.market_date == today,
                Assessment.status == AssessmentStatus.APPROVED,
                Assessment.release_at > NOW,
            )
        )
    assert states["CU-CATHODE-CN-SPOT"] in ("released", "delayed")  # 11:30 Shanghai
    assert states["AU-CN-SPOT"] == "pending"  # 15:30 Shanghai
    assert states["AG-LONDON-SPOT"] == "pending"  # 16:30 London
    assert 1 <= list(states.values()).count("delayed") <= 2
    assert list(states.values()).count("released") >= 10
    # Approved ahead of their time: invisible until released, which is the "expected soon" state.
    assert waiting and waiting >= 1
    for s in series:
        if states[s.code] == "released":
            assert latest[s.id].market_date == today
        else:
            assert latest[s.id].market_date < today


def test_a_second_build_adds_nothing(own: ScratchDatabase) -> None:
    """On a copy of the run's build: building again adds nothing."""

    def counts() -> tuple[int | None, ...]:
        with own.transaction() as session:
            return tuple(
                session.scalar(select(func.count()).select_from(table))
                for table in (Submission, Assessment, AuditEvent)
            )

    first = counts()
    summary = build(own)
    assert counts() == first
    assert "0 submissions added" in summary[-1]


def test_the_same_seed_builds_the_same_prices(built: ScratchDatabase, db: ScratchDatabase) -> None:
    """The run's build (``built``) and a second one from scratch (``db``), side by side."""
    build(db)
    for code in ("AG-INGOT-CN-SPOT", "CU-CATHODE-CN-PREMIUM", "LI2CO3-BATTERY-CN-SPOT"):
        one = [(p.market_date, p.low, p.high, p.method) for p in published(built, code)]
        two = [(p.market_date, p.low, p.high, p.method) for p in published(db, code)]
        assert one and one == two
