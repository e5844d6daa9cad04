"""Market data operations: import settlements (all or nothing), read them point in time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from metalwire.audit import record
from metalwire.catalog.codes import CODE_PATTERN
from metalwire.catalog.units import KNOWN_CURRENCIES, KNOWN_UNITS
from metalwire.db.base import utcnow
from metalwire.errors import InvalidInput
from metalwire.importing import Check, read_rows
from metalwire.markets.data_rows import MARKET_COLUMNS, SettlementRow
from metalwire.markets.models import Instrument, MarketPrice
from metalwire.tabular import Problems


def import_market(
    session: Session, path: Path, *, actor: str, now: dt.datetime | None = None
) -> tuple[int, int, int]:
    """Import settlements: (added, corrected, already present). A changed settle for a known
    date is stored as a new version, so reads ``as_of`` an earlier time still see the old one.

    ``now`` is when the file is loaded (default: the clock): what reads ``as_of`` see from then.
    """
    instruments = {i.code: i for i in session.scalars(select(Instrument))}
    context, check = {"today": (now or utcnow()).date()}, _file_rules(instruments)
    read = read_rows(path, SettlementRow, MARKET_COLUMNS, context=context, check=check)
    rows = [row for _, row in read]
    latest = _latest_versions(session, rows, instruments)
    added = corrected = present = 0
    now = now or utcnow()
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    for row in rows:
        instrument = instruments.get(row.instrument)
        if instrument is None:
            code = row.instrument
            instrument = Instrument(
                code=code, name_en=code, name_zh=code, currency=row.currency, unit=row.unit
            )
            session.add(instrument)
            session.flush()
            instruments[code] = instrument
        current = latest.get((instrument.id, row.date))
        if current is not None and current.settle == row.settle:
            present += 1
            continue
        session.add(
            MarketPrice(
                instrument_id=instrument.id,
                date=row.date,
                version=1 if current is None else current.version + 1,
                settle=row.settle,
                volume=row.volume,
                open_interest=row.open_interest,
                recorded_at=now,
                entered_by=actor,
            )
        )
        if current is None:
            added += 1
        else:
            corrected += 1
    if added or corrected:  # a file that changes nothing is not a state change
        record(
            session,
            actor=actor,
            action="import-market",
            object_type="market_price",
            object_id=str(path),
            after={"added": added, "corrected": corrected},
        )
    return added, corrected, present


def _file_rules(instruments: dict[str, Instrument]) -> Check[SettlementRow]:
    """What a market file's row cannot say alone: one row per instrument and date in a file,
    and an instrument with settlements keeps its quote (currency and unit)."""

    def check(rows: Sequence[tuple[int, SettlementRow]], problems: Problems) -> None:
        seen: set[tuple[str, dt.date]] = set()
        for number, row in rows:
            if (row.instrument, row.date) in seen:
                message = f"{row.instrument} already has a row for {row.date} in this file"
                problems.add(number, "date", message)
                continue
            seen.add((row.instrument, row.date))
            known = instruments.get(row.instrument)
            if known is not None and (known.currency, known.unit) != (row.currency, row.unit):
                problems.add(
                    number,
                    "unit",
                    f"{row.instrument} is quoted in {known.currency}/{known.unit}, "
                    f"not {row.currency}/{row.unit}",
                )

    return check


def _latest_versions(
    session: Session, rows: Sequence[SettlementRow], instruments: dict[str, Instrument]
) -> dict[tuple[int, dt.date], MarketPrice]:
    """The newest stored version of each (instrument, date) a file's rows can meet."""
    latest: dict[tuple[int, dt.date], MarketPrice] = {}
    known_ids = {instruments[r.instrument].id for r in rows if r.instrument in instruments}
    if not known_ids:
        return latest
    days = [row.date for row in rows]
    # Only the versions this file can meet: its instruments, within its dates.
    for price in session.scalars(
        select(MarketPrice)
        .where(
            MarketPrice.instrument_id.in_(sorted(known_ids)),
            MarketPrice.date >= min(days),
            MarketPrice.date <= max(days),
        )
        .order_by(MarketPrice.version)
    ):
        latest[(price.instrument_id, price.date)] = price
    return latest


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


# --- instrument definitions ----------------------------------------------------------------------

INSTRUMENT_KINDS = ("future", "continuous", "lme", "fx", "reference")
CONTRACT_MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class InstrumentError(InvalidInput):
    """A refused instrument definition; ``field=`` names the field."""


class InstrumentSpec(BaseModel):
    """What an instrument is: exchange contract (by contract month), continuous front month,
    LME cash or 3-month, FX fixing or reference price; its currency, unit and VAT treatment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=CODE_PATTERN)
    name_en: str = Field(min_length=1, max_length=300)
    name_zh: str = Field(min_length=1, max_length=300)
    kind: Literal["future", "continuous", "lme", "fx", "reference"]
    exchange: str = Field(default="", max_length=32)
    contract_month: str | None = Field(default=None, pattern=CONTRACT_MONTH)
    currency: str
    unit: str
    vat_inclusive: bool = False
    source: str = Field(default="", max_length=300)

    @model_validator(mode="after")
    def _consistent(self) -> InstrumentSpec:
        if self.currency not in KNOWN_CURRENCIES:
            raise ValueError(f"currency: unknown currency {self.currency!r}")
        if self.unit not in KNOWN_UNITS:
            raise ValueError(f"unit: unknown unit {self.unit!r}")
        if (self.kind == "future") != (self.contract_month is not None):
            raise ValueError("contract_month: a future has one; no other kind does")
        return self


class _InstrumentFile(BaseModel):
    instruments: list[InstrumentSpec]


@lru_cache(maxsize=1)
def packaged_instruments() -> tuple[InstrumentSpec, ...]:
    """The standing instruments shipped with metalwire (markets/data/instruments.yaml)."""
    text = resources.files("metalwire.markets").joinpath("data/instruments.yaml").read_text("utf-8")
    return tuple(_InstrumentFile.model_validate(yaml.safe_load(text)).instruments)


def define_instrument(session: Session, spec: InstrumentSpec, *, actor: str) -> bool:
    """Add or update an instrument; True when something changed. The currency and unit of an
    instrument with settlements are fixed: a changed quote is a new instrument."""
    row = session.scalar(select(Instrument).where(Instrument.code == spec.code))
    values = spec.model_dump()
    before: dict[str, Any] | None = None
    if row is None:
        session.add(Instrument(**values))
        session.flush()
    else:
        before = {name: getattr(row, name) for name in values}
        if before == values:
            return False
        _check_requote(session, row, spec)
        for name, value in values.items():
            setattr(row, name, value)
    record(
        session,
        actor=actor,
        action="define" if before is None else "redefine",
        object_type="instrument",
        object_id=spec.code,
        before=before,
        after=values,
    )
    return True


def _check_requote(session: Session, row: Instrument, spec: InstrumentSpec) -> None:
    """Refuses a new currency or unit for an instrument with settlements: its history would be
    read in the wrong quote."""
    if (row.currency, row.unit) != (spec.currency, spec.unit):
        priced = session.scalar(
            select(func.count(MarketPrice.id)).where(MarketPrice.instrument_id == row.id)
        )
        if priced:
            raise InstrumentError(
                f"{spec.code} has settlements in {row.currency}/{row.unit}; "
                f"it cannot be requoted in {spec.currency}/{spec.unit}",
                field="unit",
            )


def sync_instruments(session: Session, *, actor: str) -> int:
    """Define the packaged instruments; returns how many were added or changed."""
    return sum(define_instrument(session, spec, actor=actor) for spec in packaged_instruments())


def get_instrument(session: Session, code: str) -> Instrument | None:
    return session.scalar(select(Instrument).where(Instrument.code == code))


# --- settlements with volume and open interest, point in time -------------------------------------


class Settlement(NamedTuple):
    """One instrument's settlement on a date: the latest version recorded at the instant read."""

    code: str
    date: dt.date
    settle: Decimal
    volume: Decimal | None
    open_interest: Decimal | None
    version: int
    recorded_at: dt.datetime


def _settlement_rows() -> Select[
    str, dt.date, Decimal, Decimal | None, Decimal | None, int, dt.datetime
]:
    """Settlement rows with their instrument's code, in ``Settlement``'s order so that a row
    unpacks into one."""
    return select(
        Instrument.code,
        MarketPrice.date,
        MarketPrice.settle,
        MarketPrice.volume,
        MarketPrice.open_interest,
        MarketPrice.version,
        MarketPrice.recorded_at,
    ).join(Instrument, MarketPrice.instrument_id == Instrument.id)


def settlement_history(
    session: Session,
    codes: list[str],
    *,
    as_of: dt.datetime,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, list[Settlement]]:
    """Each instrument's settlements (oldest first) as recorded at ``as_of``."""
    query = (
        _settlement_rows()
        .where(Instrument.code.in_(codes), MarketPrice.recorded_at <= as_of)
        .order_by(Instrument.code, MarketPrice.date, MarketPrice.version)
    )
    if start is not None:
        query = query.where(MarketPrice.date >= start)
    if end is not None:
        query = query.where(MarketPrice.date <= end)
    latest: dict[str, dict[dt.date, Settlement]] = {code: {} for code in codes}
    for row in session.execute(query):
        latest[row.code][row.date] = Settlement(*row)
    return {code: list(days.values()) for code, days in latest.items()}


def latest_settlements(
    session: Session, *, as_of: dt.datetime, since: dt.date | None = None
) -> dict[str, Settlement]:
    """The newest settlement of every instrument (recorded by ``as_of``, dated ``since`` on)."""
    newest = (
        select(MarketPrice.instrument_id, func.max(MarketPrice.date).label("day"))
        .where(MarketPrice.recorded_at <= as_of)
        .group_by(MarketPrice.instrument_id)
    )
    if since is not None:
        newest = newest.where(MarketPrice.date >= since)
    days = newest.subquery()
    query = (
        _settlement_rows()
        .join(
            days,
            (days.c.instrument_id == MarketPrice.instrument_id) & (days.c.day == MarketPrice.date),
        )
        .where(MarketPrice.recorded_at <= as_of)
        .order_by(Instrument.code, MarketPrice.version)
    )
    out: dict[str, Settlement] = {}
    for row in session.execute(query):
        out[row.code] = Settlement(*row)
    return out


@dataclass(frozen=True)
class CurvePoint:
    instrument: Instrument
    settlement: Settlement


def contracts_of(session: Session, root: str) -> list[Instrument]:
    """The contract months listed under a root (``SHFE-CU``: ``SHFE-CU-2612``, ...)."""
    rows = session.scalars(
        select(Instrument)
        .where(
            Instrument.kind == "future",
            Instrument.contract_month.is_not(None),
            Instrument.code.startswith(f"{root}-", autoescape=True),
        )
        .order_by(Instrument.contract_month, Instrument.code)
    )
    return list(rows)


def futures_curve(
    session: Session,
    root: str,
    *,
    as_of: dt.datetime,
    day: dt.date | None = None,
    since: dt.date | None = None,
) -> tuple[dt.date | None, list[CurvePoint]]:
    """The settlements of a root's contract months on ``day`` (default: the newest date with
    any, on or before ``day``), by contract month; (None, []) when there are none."""
    contracts = contracts_of(session, root)
    if not contracts:
        return None, []
    history = settlement_history(
        session, [c.code for c in contracts], as_of=as_of, start=since, end=day
    )
    dates = {s.date for rows in history.values() for s in rows}
    if not dates:
        return None, []
    chosen = max(dates) if day is None or day not in dates else day
    points = [
        CurvePoint(contract, settlement)
        for contract in contracts
        for settlement in history[contract.code]
        if settlement.date == chosen
    ]
    return chosen, points
