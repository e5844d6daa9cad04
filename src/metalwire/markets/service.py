"""Market data operations: import settlements (all or nothing), read them point in time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.audit import record
from metalwire.catalog.units import KNOWN_CURRENCIES, KNOWN_UNITS
from metalwire.db.base import utcnow
from metalwire.markets.models import Instrument, MarketPrice
from metalwire.tabular import ImportRejected, Problems, parse_date, parse_decimal, read_table

MARKET_COLUMNS = ("instrument", "date", "settle", "volume", "open_interest", "currency", "unit")


def import_market(session: Session, path: Path, *, actor: str) -> tuple[int, int, int]:
    """Import settlements: (added, corrected, already present). A changed settle for a known
    date is stored as a new version, so reads ``as_of`` an earlier time still see the old one."""
    rows = read_table(path, MARKET_COLUMNS)
    problems = Problems()
    parsed: list[tuple[int, str, dt.date, Decimal, Decimal | None, Decimal | None, str, str]] = []
    seen: set[tuple[str, dt.date]] = set()
    for number, cells in rows:
        code = cells["instrument"].strip()
        ok = bool(code)
        if not code:
            problems.add(number, "instrument", "missing")
        values: dict[str, object] = {}
        for name, parse in (
            ("date", parse_date),
            ("settle", parse_decimal),
            ("volume", parse_decimal),
            ("open_interest", parse_decimal),
        ):
            if not cells[name]:
                if name in ("date", "settle"):
                    problems.add(number, name, "missing")
                    ok = False
                values[name] = None
                continue
            try:
                values[name] = parse(cells[name])
            except ValueError as exc:
                problems.add(number, name, str(exc))
                ok = False
        if cells["currency"] not in KNOWN_CURRENCIES:
            problems.add(number, "currency", f"unknown currency {cells['currency']!r}")
            ok = False
        if cells["unit"] not in KNOWN_UNITS:
            problems.add(number, "unit", f"unknown unit {cells['unit']!r}")
            ok = False
        if ok and (code, values["date"]) in seen:
            problems.add(
                number, "date", f"{code} already has a row for {values['date']} in this file"
            )
            ok = False
        if ok:
            seen.add((code, values["date"]))  # type: ignore[arg-type]
            parsed.append(
                (
                    number,
                    code,
                    values["date"],
                    values["settle"],  # type: ignore[arg-type]
                    values["volume"],
                    values["open_interest"],
                    cells["currency"],
                    cells["unit"],
                )
            )
    instruments = {i.code: i for i in session.scalars(select(Instrument))}
    for number, code, *_, currency, unit in parsed:
        known = instruments.get(code)
        if known is not None and (known.currency, known.unit) != (currency, unit):
            problems.add(
                number,
                "unit",
                f"{code} is quoted in {known.currency}/{known.unit}, not {currency}/{unit}",
            )
    if problems:
        problems.items.sort(key=lambda p: int(p.split(":")[0].removeprefix("row ")))
        raise ImportRejected(str(path), problems.items)
    latest: dict[tuple[int, dt.date], MarketPrice] = {}
    for price in session.scalars(select(MarketPrice).order_by(MarketPrice.version)):
        latest[(price.instrument_id, price.date)] = price
    added = corrected = present = 0
    now = utcnow()
    for _, code, day, settle, volume, interest, currency, unit in parsed:
        instrument = instruments.get(code)
        if instrument is None:
            instrument = Instrument(
                code=code, name_en=code, name_zh=code, currency=currency, unit=unit
            )
            session.add(instrument)
            session.flush()
            instruments[code] = instrument
        current = latest.get((instrument.id, day))
        if current is not None and current.settle == settle:
            present += 1
            continue
        version = 1 if current is None else current.version + 1
        session.add(
            MarketPrice(
                instrument_id=instrument.id,
                date=day,
                version=version,
                settle=settle,
                volume=volume,
                open_interest=interest,
                recorded_at=now,
                entered_by=actor,
            )
        )
        if current is None:
            added += 1
        else:
            corrected += 1
    record(
        session,
        actor=actor,
        action="import-market",
        object_type="market_price",
        object_id=str(path),
        after={"added": added, "corrected": corrected},
    )
    return added, corrected, present


def settlements(
    session: Session, codes: list[str], *, as_of: dt.datetime | None = None
) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """Each instrument's settlements as recorded at ``as_of`` (latest version per date)."""
    query = (
        select(Instrument.code, MarketPrice.date, MarketPrice.settle)
        .join(Instrument, MarketPrice.instrument_id == Instrument.id)
        .where(Instrument.code.in_(codes))
        .order_by(Instrument.code, MarketPrice.date, MarketPrice.version)
    )
    if as_of is not None:
        query = query.where(MarketPrice.recorded_at <= as_of)
    out: dict[str, dict[dt.date, Decimal]] = {code: {} for code in codes}
    for code, day, settle in session.execute(query):
        out[code][day] = settle
    return {code: sorted(days.items()) for code, days in out.items()}


def instruments(session: Session) -> list[Instrument]:
    return list(session.scalars(select(Instrument).order_by(Instrument.code)))
