"""Catalog routes: the navigation tree and the price-series definitions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from metalwire.catalog import service
from metalwire.catalog.models import PriceSeries, SeriesKind, SeriesStatus, Tier
from metalwire.catalog.schemas import (
    CatalogOut,
    CommodityOut,
    EntryOut,
    GroupOut,
    LicenceOut,
    SeriesOut,
)
from metalwire.catalog.units import price_unit_label
from metalwire.pricing.methodology import licence_of
from metalwire.pricing.schemas import CODE_LIMIT
from metalwire.web.access import access
from metalwire.web.deps import ApiLang, Code, DbSession
from metalwire.web.pagination import decode_cursor, next_link
from metalwire.web.problems import PROBLEM_RESPONSES, Problem, invalid_parameter, not_found

router = APIRouter(tags=["catalog"])


def series_out(series: PriceSeries, lang: str) -> SeriesOut:
    entry = series.commodity.entry
    licence = licence_of(series.methodology)
    return SeriesOut(
        code=series.code,
        name=series.name_zh if lang == "zh" else series.name_en,
        name_en=series.name_en,
        name_zh=series.name_zh,
        group=entry.group.code,
        entry=entry.code,
        commodity=series.commodity.code,
        kind=series.kind,
        unit=series.unit,
        currency=series.currency,
        unit_label=price_unit_label(series.currency, series.unit, lang),
        decimals=series.decimals,
        basis=series.basis,
        timezone=series.timezone,
        release_time=series.release_time.strftime("%H:%M"),
        calendar=series.calendar,
        tier=series.tier,
        status=series.status,
        methodology=series.methodology,
        methodology_url=f"/methodology/{series.methodology}",
        vat_inclusive=series.vat_inclusive,
        source=series.source,
        licence=None
        if licence is None
        else LicenceOut(
            licensor=licence.licensor,
            terms=licence.terms(lang),
            redistribution=licence.redistribution,
        ),
    )


@router.get("/catalog", response_model=CatalogOut, responses=PROBLEM_RESPONSES)
@access("public")
def get_catalog(session: DbSession, lang: ApiLang) -> CatalogOut:
    """The commodity navigation: groups, their entries and commodities, in the site's order."""
    groups, counts = service.catalog_tree(session)
    zh = lang == "zh"
    return CatalogOut(
        lang=lang,
        groups=[
            GroupOut(
                code=g.code,
                name=g.name_zh if zh else g.name_en,
                name_en=g.name_en,
                name_zh=g.name_zh,
                entries=[
                    EntryOut(
                        code=e.code,
                        name=e.name_zh if zh else e.name_en,
                        name_en=e.name_en,
                        name_zh=e.name_zh,
                        commodities=[
                            CommodityOut(
                                code=c.code, name=c.name_zh if zh else c.name_en, spec=c.spec
                            )
                            for c in e.commodities
                        ],
                        series_count=counts.get(e.id, 0),
                    )
                    for e in g.entries
                ],
            )
            for g in groups
        ],
    )


class SeriesPage(BaseModel):
    items: list[SeriesOut]
    next: str | None = Field(description="URL of the next page, or null on the last page")


def check_catalog_filter(session: Session, group: str | None, entry: str | None) -> None:
    """A group or entry to filter series by must be one the catalog has: 422 otherwise."""
    if group is not None and group not in service.known_group_codes(session):
        raise invalid_parameter("group", f"unknown catalog group {group!r}")
    if entry is not None and entry not in service.known_entry_codes(session):
        raise invalid_parameter("entry", f"unknown catalog entry {entry!r}")


@router.get("/series", response_model=SeriesPage, responses=PROBLEM_RESPONSES)
@access("public")
def get_series_list(
    request: Request,
    response: Response,
    session: DbSession,
    lang: ApiLang,
    group: Annotated[
        str | None,
        Query(
            max_length=CODE_LIMIT, description="Catalog group code", examples=["precious-metals"]
        ),
    ] = None,
    entry: Annotated[
        str | None,
        Query(max_length=CODE_LIMIT, description="Catalog entry code", examples=["silver"]),
    ] = None,
    tier: Annotated[Tier | None, Query()] = None,
    status: Annotated[SeriesStatus | None, Query()] = None,
    kind: Annotated[SeriesKind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(description="Opaque cursor from `next`")] = None,
) -> SeriesPage:
    """Price-series definitions, filtered, ordered by code, paginated by cursor."""
    check_catalog_filter(session, group, entry)
    after = decode_cursor(cursor)
    if after is not None and not isinstance(after, str):
        raise invalid_parameter("cursor", "not a cursor returned by this API")
    rows, last = service.list_series(
        session,
        service.SeriesFilter(group=group, entry=entry, tier=tier, status=status, kind=kind),
        after=after,
        limit=limit,
    )
    return SeriesPage(
        items=[series_out(s, lang) for s in rows], next=next_link(request, response, last)
    )


@router.get(
    "/series/{code}",
    response_model=SeriesOut,
    responses={
        404: {"model": Problem, "description": "No series with that code"},
        **PROBLEM_RESPONSES,
    },
)
@access("public")
def get_one_series(code: Code, session: DbSession, lang: ApiLang) -> SeriesOut:
    """One price series' definition: unit, currency, basis, release time, tier, methodology."""
    series = service.get_series(session, code)
    if series is None:
        raise not_found(f"no price series with code {code!r}")
    return series_out(series, lang)
