"""The demo's market data, arbitrage inputs and indices, through the real services only.

``build_markets`` (after the demo prices are published) loads:

* the packaged real data (World Bank monthly metals, FRED USD/CNY) through
  ``markets.real_data.write_import_files`` and ``markets.service.import_market``;
* the demo settlements (demo/settlements.py: the USD/CNY fixing, SHFE front and contract months,
  LME and the London silver price) as import files, one file per market date and publication
  time, each loaded at that time (``import_market(now=...)``), so a read ``as_of`` an earlier
  instant sees only what had been loaded by then;
* the demo indices (demo/indices.py), defined through ``indices.service.define``, and the
  packaged real-data World Bank base-metals index.

Rerunnable: only settlements not yet stored are written (a second build with the same seed and
``now`` adds nothing and records nothing), definitions are idempotent.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.models import User
from metalwire.demo.indices import index_definitions
from metalwire.demo.settlements import DEFAULT_DAYS, Row, demo_settlements
from metalwire.indices import engine
from metalwire.indices import service as indices
from metalwire.markets import service as markets
from metalwire.markets import windows
from metalwire.markets.data_rows import MARKET_COLUMNS
from metalwire.markets.models import Instrument, MarketPrice
from metalwire.markets.real_data import write_import_files

ACTOR = "demo"


def build_markets(
    session: Session,
    *,
    now: dt.datetime,
    analyst: User,
    editor: User,
    seed: int = 7,
    days: int = DEFAULT_DAYS,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Market data, settlements and indices for the demo, in the caller's transaction; call it
    after the demo's prices are published. Returns summary lines."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if days < 0:
        raise ValueError("days must be >= 0")
    defined = markets.sync_instruments(session, actor=ACTOR)
    with tempfile.TemporaryDirectory(prefix="metalwire-markets-") as scratch:
        folder = Path(scratch)
        real = _real_data(session, folder, now, analyst.email)
        if progress:
            progress("market data: real World Bank and FRED data loaded")
        rows, specs = demo_settlements(session, now=now, seed=seed, days=days)
        for spec in specs:
            defined += markets.define_instrument(session, spec, actor=ACTOR)
        codes = sorted({row.instrument for row in rows})
        first = min((row.date for row in rows), default=now.date())
        stored = _stored(session, codes, first)
        new = [row for row in rows if (row.instrument, row.date) not in stored]
        added = _load(session, new, folder, analyst.email)
    if progress:
        progress("market data: demo settlements loaded")
    changed = 0
    for definition in index_definitions(session, now, days):
        _, new_index = indices.define(
            session, json.dumps(definition, ensure_ascii=False), actor=editor.email
        )
        changed += new_index
    real_index = engine.packaged_definition("real_metals_index")
    indices.define(session, real_index.model_dump_json(), actor=editor.email)
    count = len(indices.definitions(session))
    return [
        f"demo markets: {defined} instruments defined or updated, {real:,} real settlements "
        f"and {added:,} demo settlements added",
        f"demo indices: {count} defined ({changed} new); arbitrage windows: "
        f"{', '.join(w.code for w in windows.definitions())}",
    ]


def _stored(session: Session, codes: list[str], start: dt.date) -> set[tuple[str, dt.date]]:
    query = (
        select(Instrument.code, MarketPrice.date)
        .join(Instrument, MarketPrice.instrument_id == Instrument.id)
        .where(Instrument.code.in_(codes), MarketPrice.date >= start)
    )
    return {(code, day) for code, day in session.execute(query)}


def _load(session: Session, rows: list[Row], folder: Path, actor: str) -> int:
    """Write the rows as import files, one per load time, and import each at its time."""
    batches: dict[dt.datetime, list[Row]] = {}
    for row in rows:
        batches.setdefault(row.loaded_at, []).append(row)
    added = 0
    for loaded_at in sorted(batches):
        path = folder / f"market-{loaded_at.strftime('%Y%m%dT%H%M')}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(MARKET_COLUMNS)
            for row in sorted(batches[loaded_at], key=lambda r: r.instrument):
                writer.writerow(
                    [
                        row.instrument,
                        row.date.isoformat(),
                        row.settle,
                        "" if row.volume is None else row.volume,
                        "" if row.open_interest is None else row.open_interest,
                        row.currency,
                        row.unit,
                    ]
                )
        count, _, _ = markets.import_market(session, path, actor=actor, now=loaded_at)
        added += count
    return added


def _real_data(session: Session, folder: Path, now: dt.datetime, actor: str) -> int:
    added = 0
    for path in write_import_files(folder / "real"):
        count, _, _ = markets.import_market(session, path, actor=actor, now=now)
        added += count
    return added
