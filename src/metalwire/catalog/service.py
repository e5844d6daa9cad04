"""Catalog operations: sync the packaged navigation, define series, query them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, cast

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from metalwire.audit import upsert
from metalwire.catalog.models import (
    CatalogEntry,
    CatalogGroup,
    Commodity,
    PriceSeries,
    SeriesKind,
    SeriesStatus,
    Tier,
)
from metalwire.catalog.schemas import CatalogData, SeriesDefinition
from metalwire.errors import NotFound

SYSTEM_ACTOR = "system"


class CatalogError(NotFound):
    """A reference to something the catalog does not hold."""


@lru_cache(maxsize=1)
def load_catalog_data() -> CatalogData:
    text = resources.files("metalwire.catalog").joinpath("data/catalog.yaml").read_text("utf-8")
    return CatalogData.model_validate(yaml.safe_load(text))


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _upsert(
    session: Session,
    result: SyncResult,
    actor: str,
    existing: Any | None,
    model: type[Any],
    values: dict[str, Any],
) -> Any:
    row, done = upsert(
        session,
        actor=actor,
        existing=existing,
        model=model,
        values=values,
        object_id=values["code"],
    )
    result.created += done == "create"
    result.updated += done == "update"
    return row


def sync_catalog(session: Session, actor: str = SYSTEM_ACTOR) -> SyncResult:
    """Bring groups, entries and commodities in line with the packaged catalog data.

    Idempotent: a second run finds nothing to change and writes nothing.
    """
    data = load_catalog_data()
    result = SyncResult()
    groups = {g.code: g for g in session.scalars(select(CatalogGroup))}
    entries = {e.code: e for e in session.scalars(select(CatalogEntry))}
    commodities = {c.code: c for c in session.scalars(select(Commodity))}
    for g_pos, group in enumerate(data.groups):
        g_row = _upsert(
            session,
            result,
            actor,
            groups.get(group.code),
            CatalogGroup,
            {
                "code": group.code,
                "name_en": group.name_en,
                "name_zh": group.name_zh,
                "position": g_pos,
            },
        )
        for e_pos, entry in enumerate(group.entries):
            e_row = _upsert(
                session,
                result,
                actor,
                entries.get(entry.code),
                CatalogEntry,
                {
                    "code": entry.code,
                    "name_en": entry.name_en,
                    "name_zh": entry.name_zh,
                    "position": e_pos,
                    "group_id": g_row.id,
                },
            )
            for commodity in entry.commodities:
                _upsert(
                    session,
                    result,
                    actor,
                    commodities.get(commodity.code),
                    Commodity,
                    {
                        "code": commodity.code,
                        "name_en": commodity.name_en,
                        "name_zh": commodity.name_zh,
                        "spec": commodity.spec,
                        "entry_id": e_row.id,
                    },
                )
    return result


def define_series(session: Session, definition: SeriesDefinition, actor: str) -> PriceSeries:
    """Create a series, or update its definition; either way one audit event records it."""
    commodity = session.scalar(select(Commodity).where(Commodity.code == definition.commodity))
    if commodity is None:
        raise CatalogError(f"unknown commodity code {definition.commodity!r}", field="commodity")
    values = definition.model_dump(exclude={"commodity"})
    values["commodity_id"] = commodity.id
    existing = session.scalar(select(PriceSeries).where(PriceSeries.code == definition.code))
    series, _ = upsert(
        session,
        actor=actor,
        existing=existing,
        model=PriceSeries,
        values=values,
        object_id=definition.code,
    )
    return cast(PriceSeries, series)


@dataclass(frozen=True)
class NavEntry:
    id: int
    code: str
    name_en: str
    name_zh: str


@dataclass(frozen=True)
class NavGroup:
    id: int
    code: str
    name_en: str
    name_zh: str
    entries: tuple[NavEntry, ...]


def navigation(session: Session) -> list[NavGroup]:
    """Groups with their entries, for the site's commodity navigation (on every page).

    One statement into plain rows: it runs for every page, and loading the same groups and
    entries as ORM objects was the largest cost of a cached page at a release burst."""
    rows = session.execute(
        select(
            CatalogGroup.id,
            CatalogGroup.code,
            CatalogGroup.name_en,
            CatalogGroup.name_zh,
            CatalogEntry.id,
            CatalogEntry.code,
            CatalogEntry.name_en,
            CatalogEntry.name_zh,
        )
        .outerjoin(CatalogEntry, CatalogEntry.group_id == CatalogGroup.id)
        .order_by(CatalogGroup.position, CatalogGroup.id, CatalogEntry.position, CatalogEntry.id)
    ).all()
    groups: dict[int, tuple[tuple[int, str, str, str], list[NavEntry]]] = {}
    for gid, gcode, gen, gzh, eid, ecode, een, ezh in rows:
        _, entries = groups.setdefault(gid, ((gid, gcode, gen, gzh), []))
        if eid is not None:
            entries.append(NavEntry(eid, ecode, een, ezh))
    return [NavGroup(*head, entries=tuple(entries)) for head, entries in groups.values()]


def catalog_tree(session: Session) -> tuple[Sequence[CatalogGroup], dict[int, int]]:
    """Groups with entries and commodities loaded, and the active series count per entry."""
    groups = session.scalars(
        select(CatalogGroup)
        .order_by(CatalogGroup.position)
        .options(selectinload(CatalogGroup.entries).selectinload(CatalogEntry.commodities))
    ).all()
    counts = dict(
        session.execute(
            select(Commodity.entry_id, func.count(PriceSeries.id))
            .join(PriceSeries, PriceSeries.commodity_id == Commodity.id)
            .where(PriceSeries.status == SeriesStatus.ACTIVE)
            .group_by(Commodity.entry_id)
        ).all()
    )
    return groups, counts


@dataclass(frozen=True)
class SeriesFilter:
    group: str | None = None
    entry: str | None = None
    tier: Tier | None = None
    status: SeriesStatus | None = None
    kind: SeriesKind | None = None


# A series' commodity, catalog entry and group (what the gate weighs: its group), loaded for
# any number of series in three statements instead of three per series.
SERIES_GROUP = (
    selectinload(PriceSeries.commodity)
    .selectinload(Commodity.entry)
    .selectinload(CatalogEntry.group)
)


def _series_query(filters: SeriesFilter) -> Any:
    query = (
        select(PriceSeries)
        .join(Commodity, PriceSeries.commodity_id == Commodity.id)
        .join(CatalogEntry, Commodity.entry_id == CatalogEntry.id)
        .join(CatalogGroup, CatalogEntry.group_id == CatalogGroup.id)
        .options(SERIES_GROUP)
    )
    if filters.group:
        query = query.where(CatalogGroup.code == filters.group)
    if filters.entry:
        query = query.where(CatalogEntry.code == filters.entry)
    if filters.tier:
        query = query.where(PriceSeries.tier == filters.tier)
    if filters.status:
        query = query.where(PriceSeries.status == filters.status)
    if filters.kind:
        query = query.where(PriceSeries.kind == filters.kind)
    return query


def list_series(
    session: Session, filters: SeriesFilter, *, after: str | None = None, limit: int = 100
) -> tuple[list[PriceSeries], str | None]:
    """A page of series ordered by code (keyset pagination); returns the rows and the next key."""
    query = _series_query(filters).order_by(PriceSeries.code)
    if after is not None:
        query = query.where(PriceSeries.code > after)
    rows = list(session.scalars(query.limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].code
    return rows, None


def series_by_code(session: Session, codes: Iterable[str]) -> dict[str, PriceSeries]:
    """Series by code with their catalog groups, in one read however many codes (an index's
    constituents, say); codes that name no series are absent."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    query = _series_query(SeriesFilter()).where(PriceSeries.code.in_(wanted))
    return {series.code: series for series in session.scalars(query)}


def get_series(session: Session, code: str) -> PriceSeries | None:
    series: PriceSeries | None = session.scalar(
        _series_query(SeriesFilter()).where(PriceSeries.code == code)
    )
    return series


def known_group_codes(session: Session) -> set[str]:
    return set(session.scalars(select(CatalogGroup.code)))


def known_entry_codes(session: Session) -> set[str]:
    return set(session.scalars(select(CatalogEntry.code)))
