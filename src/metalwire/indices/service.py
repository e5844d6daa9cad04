"""Index operations: store definitions, compute values from stored, published inputs.

Values are computed when read, from the constituents as published at the instant asked for
(``as_of``): a released or corrected constituent moves the index at once, and an earlier
``as_of`` reproduces exactly what the index was then. Nothing computed is stored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.audit import record
from metalwire.catalog.service import get_series
from metalwire.db.base import utcnow
from metalwire.indices import engine
from metalwire.markets.models import IndexDefinitionRecord
from metalwire.markets.service import settlements
from metalwire.pricing.service import published_prices


class IndexError_(ValueError):
    """A refused index operation; the message names the field or code."""


def define(session: Session, text: str, *, actor: str) -> tuple[engine.IndexDefinition, bool]:
    """Load or update a definition (YAML or JSON); returns it and whether it was new."""
    try:
        definition = engine.parse_definition(text)
    except engine.DefinitionError as exc:
        raise IndexError_(str(exc)) from None
    data = definition.model_dump(mode="json")
    row = session.scalar(
        select(IndexDefinitionRecord).where(IndexDefinitionRecord.code == definition.code)
    )
    if row is None:
        session.add(IndexDefinitionRecord(code=definition.code, definition=data))
        record(
            session,
            actor=actor,
            action="define",
            object_type="index",
            object_id=definition.code,
            after=data,
        )
        return definition, True
    if row.definition != data:
        record(
            session,
            actor=actor,
            action="redefine",
            object_type="index",
            object_id=definition.code,
            before=row.definition,
            after=data,
        )
        row.definition, row.version, row.updated_at = data, row.version + 1, utcnow()
    return definition, False


def load(session: Session, code: str) -> engine.IndexDefinition:
    row = session.scalar(select(IndexDefinitionRecord).where(IndexDefinitionRecord.code == code))
    if row is None:
        raise IndexError_(f"code: no index {code!r}; load one with `metalwire index define`")
    return engine.IndexDefinition.model_validate(row.definition)


def constituent_prices(
    session: Session, definition: engine.IndexDefinition, *, as_of: dt.datetime
) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """Published mids of series constituents and settlements of instrument constituents."""
    prices: dict[str, list[tuple[dt.date, Decimal]]] = {}
    instruments = [c.instrument for c in definition.constituents if c.instrument]
    prices.update(settlements(session, instruments, as_of=as_of))
    for constituent in definition.constituents:
        if constituent.series:
            series = get_series(session, constituent.series)
            if series is None:
                raise IndexError_(f"constituents: unknown series {constituent.series!r}")
            prices[constituent.series] = [
                (p.market_date, p.mid) for p in published_prices(session, series, as_of=as_of)
            ]
    return prices


def compute(
    session: Session,
    code: str,
    *,
    as_of: dt.datetime | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[engine.IndexPoint]:
    definition = load(session, code)
    prices = constituent_prices(session, definition, as_of=as_of or utcnow())
    try:
        return engine.compute(definition, prices, start=start, end=end)
    except engine.IndexDataError as exc:
        raise IndexError_(str(exc)) from None


def definitions(session: Session) -> list[IndexDefinitionRecord]:
    return list(session.scalars(select(IndexDefinitionRecord).order_by(IndexDefinitionRecord.code)))
