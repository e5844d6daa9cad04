"""Two imports coding new contributors at once: the second counts the same codes as the first
and offers the same next one while the first is still open. It waits for the first to commit,
then codes its contributor with the next free code: both imports succeed, no code is given
twice. Real transactions, the first held open while the second runs. On PostgreSQL the second
counts while the first is open (the race itself: before ON CONFLICT DO NOTHING it failed with
a unique violation on the code); on SQLite the import's write lock, taken by the submissions
written before the codes, already makes it count after the first commits, which this holds."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

from sqlalchemy import select

from metalwire.pricing.evidence import SubmissionKind
from metalwire.pricing.models import Contributor
from metalwire.pricing.schemas import SubmissionIn
from metalwire.pricing.submissions import add_submissions
from tests.conftest import Desk

SILVER = "AG-INGOT-CN-SPOT"
DAY = dt.date(2026, 11, 25)


def _item(contributor: str, price: str) -> SubmissionIn:
    return SubmissionIn(
        series=SILVER,
        date=DAY,
        kind=SubmissionKind.DEAL,
        price=Decimal(price),
        volume=Decimal(1),
        contributor=contributor,
        received_at=dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC),
    )


def test_two_imports_coding_new_contributors_at_once_both_succeed(desk: Desk) -> None:
    coded = threading.Event()
    outcome: dict[str, object] = {}

    def second() -> None:
        coded.wait(10)
        try:
            with desk.db.transaction() as session:
                add_submissions(session, [_item("beta", "7850")], actor="t")
            outcome["second"] = "ok"
        except Exception as exc:  # the outcome is what the test asserts
            outcome["second"] = exc

    thread = threading.Thread(target=second)
    thread.start()
    with desk.db.transaction() as session:
        add_submissions(session, [_item("alpha", "7840")], actor="t")
        coded.set()  # "alpha" holds C-01, uncommitted: the second import offers C-01 too
        time.sleep(1.0)  # long enough for it to reach its insert and wait on this one
    thread.join(30)
    assert not thread.is_alive()
    assert outcome["second"] == "ok", outcome["second"]
    with desk.db.session() as session:
        codes = {n: c for n, c in session.execute(select(Contributor.name, Contributor.code))}
    assert codes == {"alpha": "C-01", "beta": "C-02"}
