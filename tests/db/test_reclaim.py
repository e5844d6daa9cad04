"""After the demo's rewrites, the series table is compact again: the content stamp reads it
whole on every shared answer."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from metalwire.db.migrate import reclaim_dead_rows
from tests.conftest import ScratchDatabase


@pytest.mark.demo_market(days=3)
def test_a_series_row_bumped_thousands_of_times_leaves_no_long_table(db: ScratchDatabase) -> None:
    if db.backend != "postgresql":
        pytest.skip("a PostgreSQL table keeps dead row versions; SQLite rewrites in place")
    with db.engine.begin() as connection:
        for _ in range(200):  # every series row rewritten 200 times, as a demo's approvals do
            connection.execute(
                text("UPDATE price_series SET publication_seq = publication_seq + 1")
            )
    size = text("SELECT pg_relation_size('price_series') / current_setting('block_size')::int")
    with db.engine.connect() as connection:
        bloated = connection.execute(size).scalar_one()
    reclaim_dead_rows(db.engine)
    with db.engine.connect() as connection:
        compact = connection.execute(size).scalar_one()
    assert bloated > 10 and compact <= bloated // 5
