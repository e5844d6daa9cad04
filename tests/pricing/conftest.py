"""Pricing fixtures: two demo series, an analyst and an editor, and a helper to submit evidence."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, User
from metalwire.catalog.schemas import SeriesDefinition
from metalwire.catalog.service import define_series
from metalwire.demo.build import demo_series
from metalwire.pricing.engine import SubmissionKind
from metalwire.pricing.schemas import SubmissionIn
from metalwire.pricing.service import add_submissions
from tests.conftest import ScratchDatabase

SILVER = "AG-INGOT-CN-SPOT"  # free, yuan/kg, 0 decimals, 11:30 Asia/Shanghai
PREMIUM = "AG-INGOT-CN-PREMIUM"  # premium tier
DAY = dt.date(2026, 11, 25)  # a Wednesday, a CN trading day
BEFORE_RELEASE = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # 11:00 Shanghai
AFTER_RELEASE = dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC)  # 11:30 Shanghai


@dataclass
class Desk:
    db: ScratchDatabase
    analyst: User
    editor: User

    def submit(
        self,
        series: str,
        day: dt.date,
        deals: list[tuple[str, str]],
        received: dt.datetime | None = None,
    ) -> None:
        received = received or dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC)
        items = [
            SubmissionIn(
                series=series,
                date=day,
                kind=SubmissionKind.DEAL,
                price=Decimal(price),
                volume=Decimal(volume),
                contributor=f"trader-{i}",
                received_at=received,
            )
            for i, (price, volume) in enumerate(deals)
        ]
        with self.db.transaction() as session:
            add_submissions(session, items, actor=self.analyst.email)


def define_demo_series(db: ScratchDatabase, *codes: str) -> None:
    wanted = {d.code: d for d in demo_series()}
    with db.transaction() as session:
        for code in codes:
            define_series(
                session, SeriesDefinition.model_validate(wanted[code].model_dump()), actor="test"
            )


@pytest.fixture
def desk(db: ScratchDatabase) -> Desk:
    define_demo_series(db, SILVER, PREMIUM, "AG-LONDON-SPOT")
    with db.transaction() as session:
        analyst = accounts.add_user(
            session,
            "analyst@desk.cn",
            role=Role.ANALYST,
            plan="enterprise",
            password="analyst password",
            actor="t",
        )
        editor = accounts.add_user(
            session,
            "editor@desk.cn",
            role=Role.EDITOR,
            plan="enterprise",
            password="editor password",
            actor="t",
        )
    return Desk(db, analyst, editor)
