"""Index operations: store definitions, compute values from stored, published inputs.

Values are computed when read, with the definition in force at the instant asked for
(``as_of``: the version whose effective date is the latest on or before it), from the
constituents as published at that instant: a released or corrected constituent moves the index
at once, and an earlier ``as_of`` reproduces exactly what the index was then. Nothing computed
is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from metalwire.accounts.gate import Input
from metalwire.audit import record
from metalwire.catalog.models import PriceSeries
from metalwire.catalog.service import series_by_code
from metalwire.db.base import utcnow
from metalwire.errors import ServiceError
from metalwire.indices import engine
from metalwire.indices.models import (
    FIRST_EFFECTIVE,
    IndexDefinitionRecord,
    IndexDefinitionVersion,
)
from metalwire.markets.service import settlements
from metalwire.pricing.published import published_prices
from metalwire.pricing.release_times import scheduled_release


class IndexError_(ServiceError):
    """A refused index operation; the message names the field or code."""


def define(
    session: Session,
    text: str,
    *,
    actor: str,
    effective: dt.date | None = None,
    require_effective: bool = False,
    now: dt.datetime | None = None,
) -> tuple[engine.IndexDefinition, bool]:
    """Load a definition (YAML or JSON); returns it and whether the index was new.

    A changed definition is a new version in force from ``effective`` (a market date, today
    unless given; ``require_effective``: it must be given), never earlier than today and after
    the latest version's date: values of earlier dates keep the definition they had."""
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
        _add_version(session, definition.code, 1, FIRST_EFFECTIVE, data, actor)
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
        today = (now or utcnow()).date()
        if effective is None and require_effective:
            raise IndexError_(
                "a changed definition is a new version: give the date it takes effect",
                field="effective",
            )
        when = effective or today
        _check_effective(session, definition.code, when, today)
        _add_version(session, definition.code, row.version + 1, when, data, actor)
        record(
            session,
            actor=actor,
            action="redefine",
            object_type="index",
            object_id=definition.code,
            before=row.definition,
            after={**data, "version": row.version + 1, "effective": when},
        )
        row.definition, row.version, row.updated_at = data, row.version + 1, utcnow()
    return definition, False


def _add_version(
    session: Session,
    code: str,
    version: int,
    effective: dt.date,
    data: dict[str, Any],
    actor: str,
) -> None:
    session.add(
        IndexDefinitionVersion(
            code=code, version=version, effective_from=effective, definition=data, actor=actor
        )
    )


def _check_effective(session: Session, code: str, effective: dt.date, today: dt.date) -> None:
    """A new version takes effect from today or later, after the latest version's date."""
    if effective < today:
        raise IndexError_(
            f"a definition change takes effect from today ({today}) or later, not {effective}",
            field="effective",
        )
    latest = session.scalar(
        select(func.max(IndexDefinitionVersion.effective_from)).where(
            IndexDefinitionVersion.code == code
        )
    )
    if latest is not None and effective <= latest:
        raise IndexError_(
            f"the latest version of {code} takes effect on {latest}; a new one must be later",
            field="effective",
        )


def definition_at(
    session: Session, code: str, as_of: dt.datetime
) -> tuple[engine.IndexDefinition, int]:
    """The definition in force at ``as_of`` (the version with the latest effective date on or
    before the instant's date) and its version number; one statement."""
    row = session.execute(
        select(IndexDefinitionVersion.definition, IndexDefinitionVersion.version)
        .where(
            IndexDefinitionVersion.code == code,
            IndexDefinitionVersion.effective_from <= as_of.date(),
        )
        .order_by(IndexDefinitionVersion.effective_from.desc())
        .limit(1)
    ).first()
    if row is None:
        raise IndexError_(
            f"no index {code!r}; load one with `metalwire index define`", field="code"
        )
    return engine.IndexDefinition.model_validate(row.definition), row.version


def definitions_at(
    session: Session, as_of: dt.datetime
) -> list[tuple[engine.IndexDefinition, int]]:
    """Every index with the definition in force at ``as_of`` and its version number, by code:
    what a listing shows and gates by (a version announced for a later date is not in force
    yet). One statement: the versions in force by then, the latest per code kept."""
    rows = session.execute(
        select(
            IndexDefinitionVersion.code,
            IndexDefinitionVersion.definition,
            IndexDefinitionVersion.version,
        )
        .where(IndexDefinitionVersion.effective_from <= as_of.date())
        .order_by(IndexDefinitionVersion.code, IndexDefinitionVersion.effective_from)
    )
    latest = {row.code: row for row in rows}  # ordered by date: the last one per code wins
    return [
        (engine.IndexDefinition.model_validate(row.definition), row.version)
        for _, row in sorted(latest.items())
    ]


def versions(session: Session, code: str) -> list[IndexDefinitionVersion]:
    """Every version of an index's definition, oldest first."""
    return list(
        session.scalars(
            select(IndexDefinitionVersion)
            .where(IndexDefinitionVersion.code == code)
            .order_by(IndexDefinitionVersion.version)
        )
    )


def load(session: Session, code: str, as_of: dt.datetime | None = None) -> engine.IndexDefinition:
    """The definition in force at ``as_of`` (now by default)."""
    return definition_at(session, code, as_of or utcnow())[0]


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
    instant = as_of or utcnow()
    definition = load(session, code, instant)
    prices = constituent_prices(session, definition, as_of=instant)
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
    definition, version = definition_at(session, code, as_of)
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
        version,
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
