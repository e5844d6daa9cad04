"""Off-grade iron-ore evidence for the demo's 62% Fe CFR Qingdao assessment.

``iron_ore_evidence`` (before the demo's assessments) adds to that assessment's evidence deals in
58%, 61% and 65% Fe fines, each carrying the value-in-use ``adjustment`` to 62% Fe of
``markets.normalization.adjustment_for``; the engine adds it to the price, so the off-grade
cargoes count at their 62% Fe equivalent. Submissions are idempotent on content, so a rebuild
adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.models import User
from metalwire.catalog.models import PriceSeries
from metalwire.demo.prices import EPOCH, contributors, daily_levels
from metalwire.demo.series import series_market
from metalwire.demo.settlements import DEFAULT_DAYS, half_up, trading_days
from metalwire.markets.normalization import DEFAULT_COEFFICIENTS, adjustment_for
from metalwire.pricing.engine import SubmissionKind
from metalwire.pricing.methodology import methodology_for
from metalwire.pricing.release_times import scheduled_release
from metalwire.pricing.schemas import SubmissionIn
from metalwire.pricing.submissions import add_submissions

IRON_ORE_SERIES = "FE-ORE-62-CFR-QINGDAO"

# Off-grade fines for the 62% Fe assessment: (Fe, SiO2, Al2O3), % dry basis.
OFF_GRADES: tuple[tuple[str, Decimal, Decimal, Decimal], ...] = (
    ("58% Fe fines (Yandi-type)", Decimal("58.0"), Decimal("5.5"), Decimal("2.6")),
    ("61% Fe fines (Pilbara Blend-type)", Decimal("61.0"), Decimal("3.8"), Decimal("2.3")),
    ("65% Fe fines (Carajás-type)", Decimal("65.0"), Decimal("2.0"), Decimal("1.1")),
)
CARGOES = (60_000, 80_000, 90_000, 110_000, 170_000)  # dmt, at or above the 50,000 t minimum


def iron_ore_evidence(
    session: Session,
    *,
    now: dt.datetime,
    analyst: User,
    seed: int = 7,
    days: int = DEFAULT_DAYS,
) -> list[str]:
    """Deals in 58%, 61% and 65% Fe fines for the 62% Fe CFR Qingdao assessment, each with its
    value-in-use ``adjustment`` to 62% Fe; call it before the demo's assessments run."""
    row = session.scalar(select(PriceSeries).where(PriceSeries.code == IRON_ORE_SERIES))
    market = series_market(session, IRON_ORE_SERIES)
    if row is None or market is None:
        return [f"iron ore: no {IRON_ORE_SERIES} series defined"]
    family = methodology_for(row.methodology)
    today = now.astimezone(ZoneInfo(row.timezone)).date()
    dates = trading_days(row.calendar, max(today - dt.timedelta(days=days), EPOCH), today)
    names = contributors(row.code, seed)
    items: list[SubmissionIn] = []
    coefficients = (
        f"VIU Fe {DEFAULT_COEFFICIENTS.fe_viu}, SiO2 {DEFAULT_COEFFICIENTS.sio2_penalty}, "
        f"Al2O3 {DEFAULT_COEFFICIENTS.al2o3_penalty} USD/dmt per point"
    )
    for day, level in zip(dates, daily_levels(market, dates, seed), strict=True):
        rng = random.Random(f"{seed}:markets:iron-ore:{day.isoformat()}")
        cutoff = family.cutoff(scheduled_release(row, day))
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            grade, fe, sio2, al2o3 = rng.choice(OFF_GRADES)
            adjustment = adjustment_for(fe, sio2, al2o3)
            value62 = level + rng.gauss(0.0, 0.4 * float(market.spread))
            received = cutoff - dt.timedelta(seconds=rng.randint(5 * 60, 150 * 60))
            if received > now:
                continue
            items.append(
                SubmissionIn(
                    series=row.code,
                    date=day,
                    kind=SubmissionKind.DEAL,
                    price=half_up(Decimal(repr(value62)) - adjustment, Decimal("0.01")),
                    volume=Decimal(rng.choice(CARGOES)),
                    contributor=rng.choice(names),
                    received_at=received,
                    adjustment=adjustment,
                    note=f"{grade}: Fe {fe}%, SiO2 {sio2}%, Al2O3 {al2o3}%; {coefficients}; "
                    f"adjustment to 62% Fe {adjustment:+}",
                )
            )
    ids, present = (
        add_submissions(session, items, actor=analyst.email, source="demo", now=now)
        if items
        else ([], 0)
    )
    return [
        f"iron ore: {len(ids):,} off-grade fines deals normalized to 62% Fe added "
        f"({present:,} already present)"
    ]
