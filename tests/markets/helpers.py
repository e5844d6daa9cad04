"""Helpers for market tests: correct a published price, load settlements through imports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from metalwire.markets import service as markets
from metalwire.pricing import review
from metalwire.pricing.review import approve_assessment
from tests.conftest import Desk, ScratchDatabase

HEADER = "instrument,date,settle,volume,open_interest,currency,unit"
# How each packaged instrument is quoted; anything else (SHFE contract months) in CNY/mt.
QUOTES = {spec.code: (spec.currency, spec.unit) for spec in markets.packaged_instruments()}


def correct(
    desk: Desk, code: str, day: dt.date, price: str, at: dt.datetime, reason: str = "typo"
) -> None:
    """A published correction: the new value is released at ``at``."""
    with desk.db.transaction() as session:
        row = review.correct(
            session,
            code,
            day,
            low=Decimal(price),
            high=Decimal(price),
            reason=reason,
            user=desk.analyst,
        )
        approve_assessment(session, row.id, user=desk.editor, now=at)


def load(
    db: ScratchDatabase,
    tmp_path: Path,
    rows: list[tuple[str, dt.date, str]],
    at: dt.datetime,
    *,
    volume: str = "",
    open_interest: str = "",
) -> tuple[int, int, int]:
    """Import settlements (instrument, date, settle), recorded at ``at``."""
    lines = [HEADER]
    for code, day, settle in rows:
        currency, unit = QUOTES.get(code, ("CNY", "mt"))
        lines.append(
            f"{code},{day.isoformat()},{settle},{volume},{open_interest},{currency},{unit}"
        )
    path = tmp_path / f"load-{at.strftime('%Y%m%dT%H%M%S')}-{len(rows)}.csv"
    path.write_text("\n".join(lines) + "\n")
    with db.transaction() as session:
        markets.sync_instruments(session, actor="test")
        return markets.import_market(session, path, actor="test", now=at)
