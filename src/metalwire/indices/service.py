"""Index operations: store definitions, compute values from stored, published inputs.

Values are computed when read, from the constituents as published at the instant asked for
(``as_of``): a released or corrected constituent moves the index at once, and an earlier
``as_of`` reproduces exactly what the index was then. Nothing computed is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import Input
from metalwire.audit import record
from metalwire.catalog.models import PriceSeries
from metalwire.catalog.service import series_by_code
from metalwire.db.base import utcnow
from metalwire.errors import ServiceError
from metalwire.indices import engine
from metalwire.indices.models import IndexDefinitionRecord
from metalwire.markets.service import settlements
from metalwire.pricing.published import published_prices
from metalwire.pricing.release_times import scheduled_release


class IndexError_(ServiceError):
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
        raise IndexError_(
            f"no index {code!r}; load one with `metalwire index define`", field="code"
        )
    return engine.IndexDefinition.model_validate(row.definition)


def _series_of(session: Session, definition: engine.IndexDefinition) -> dict[str, PriceSeries]:
    """The index's own catalog series (if any) and its series constituents, read at once; an
    unknown constituent is refused."""
    wanted = [c.series for c in definition.constituents if c.series]
    found = series_by_code(session, [definition.code, *wanted])
    for code in wanted:
        if code not in found:
            raise IndexError_(f"unknown series {code!r}", field="constituents")
    return found


def constituent_prices(
    session: Session,
    definition: engine.IndexDefinition,
    *,
    as_of: dt.datetime,
    series: dict[str, PriceSeries] | None = None,
) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """Published mids of series constituents and settlements of instrument constituents.
    ``series``: the definition's series as ``_series_of`` reads them, when already read."""
    known = series if series is not None else _series_of(session, definition)
    prices: dict[str, list[tuple[dt.date, Decimal]]] = {}
    instruments = [c.instrument for c in definition.constituents if c.instrument]
    prices.update(settlements(session, instruments, as_of=as_of))
    for constituent in definition.constituents:
        if constituent.series:
            prices[constituent.series] = [
                (p.market_date, p.mid)
                for p in published_prices(session, known[constituent.series], as_of=as_of)
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


# --- the published view: values, inputs and provenance -------------------------------------------


@dataclass(frozen=True)
class Access:
    """What decides who may read an index: its own catalog series' tier and group when it has
    one; otherwise premium if any series constituent is premium, free if none is."""

    tier: str
    group: str | None
    series: PriceSeries | None  # the index's own catalog series (same code), if any
    constituents: dict[str, PriceSeries]  # series constituents by code

    @property
    def constituent_inputs(self) -> dict[str, Input]:
        """Each series constituent as the gate weighs it: (tier, catalog group), by code."""
        return {
            code: (series.tier.value, series.commodity.entry.group.code)
            for code, series in self.constituents.items()
        }

    @property
    def inputs(self) -> list[Input]:
        """The inputs the gate weighs besides the index's own tier: none when the index has its
        own catalog series (its tier decides; a constituent above the plan is shown locked),
        otherwise every series constituent."""
        return [] if self.series is not None else list(self.constituent_inputs.values())


def access_of(session: Session, definition: engine.IndexDefinition) -> Access:
    found = _series_of(session, definition)
    constituents = {c.series: found[c.series] for c in definition.constituents if c.series}
    own = found.get(definition.code)
    if own is not None:
        return Access(own.tier.value, own.commodity.entry.group.code, own, constituents)
    tiers = {s.tier.value for s in constituents.values()}
    return Access("premium" if "premium" in tiers else "free", None, None, constituents)


@dataclass(frozen=True)
class IndexView:
    """An index as published at an instant: each value with the price of every constituent that
    made it (its own date when carried forward), and each constituent's base sum and count, so
    a value can be recomputed by hand: I_t = base_value × Σ w_i · p_i,t / (sum_i / count_i)."""

    definition: engine.IndexDefinition
    record_version: int
    points: list[engine.IndexPoint]
    prices: dict[dt.date, dict[str, Decimal]]  # the price each constituent entered with
    base: dict[str, tuple[Decimal, int]]
    weights: dict[str, Decimal]  # normalized, in effect at the base


def view(
    session: Session,
    code: str,
    *,
    as_of: dt.datetime,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> IndexView:
    """The index's values from ``start`` to ``end`` as published at ``as_of``.

    Only released constituent values enter (``published_prices`` as of the instant); an index
    with its own catalog series is, in addition, published at that series' release time, so a
    date's value exists for readers from then on.
    """
    row = session.scalar(select(IndexDefinitionRecord).where(IndexDefinitionRecord.code == code))
    if row is None:
        raise IndexError_(
            f"no index {code!r}; load one with `metalwire index define`", field="code"
        )
    definition = engine.IndexDefinition.model_validate(row.definition)
    found = _series_of(session, definition)
    prices = constituent_prices(session, definition, as_of=as_of, series=found)
    try:
        points = engine.compute(definition, prices, start=start, end=end)
    except engine.IndexDataError as exc:
        raise IndexError_(str(exc)) from None
    own = found.get(definition.code)
    if own is not None:
        points = [p for p in points if scheduled_release(own, p.date) <= as_of]
    tables = {c: dict(quotes) for c, quotes in prices.items()}
    used: dict[dt.date, dict[str, Decimal]] = {}
    for point in points:
        used[point.date] = {
            c: tables[c][point.carried_forward.get(c, point.date)] for c in definition.codes
        }
    return IndexView(
        definition,
        row.version,
        points,
        used,
        engine.base_sums(definition, prices),
        engine.weights_on(definition, definition.base_period.start),
    )


def published_view(
    session: Session,
    code: str,
    *,
    as_of: dt.datetime,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[IndexView | None, str | None]:
    """``view``, or None and the reason the index has no values yet (a constituent not yet
    published in the base period, say): readers are shown the definition and the reason."""
    try:
        return view(session, code, as_of=as_of, start=start, end=end), None
    except IndexError_ as exc:
        return None, str(exc)
