"""The series page: one price series' released history (chart, table, monthly averages), how its
latest price was assessed, its corrections and downloads — through the access gate.

It reads the same services and applies the same rules as /api/v1/series/{code}/... and
/api/v1/assessments/{id} (web/api/prices.py): a series above the reader's plan shows its
definition, unit, release time, methodology and an empty chart frame with the paywall naming
the plan that opens it (200, as a price service answers; the API keeps its 403), never a value;
nothing before its release time shows at all.
"""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_left
from collections.abc import Hashable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, NamedTuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from cachetools import LRUCache
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from metalwire.accounts.gate import (
    Principal,
    history_floor,
    history_start,
    may_export,
    may_read_series_value,
    may_read_tier,
)
from metalwire.catalog import lifecycle_service
from metalwire.catalog import service as catalog
from metalwire.catalog.lifecycle import pending_after
from metalwire.catalog.models import PriceSeries, SeriesChange
from metalwire.catalog.units import price_unit_label
from metalwire.governance.versions import VersionRef, version_on
from metalwire.i18n import fmt_date, fmt_number, translations
from metalwire.pricing.assessing import get_assessment
from metalwire.pricing.contributors import codes_of_submissions, input_ids
from metalwire.pricing.disclosure import disclosure_of
from metalwire.pricing.models import AssessmentStatus
from metalwire.pricing.partner import licence_allows_export, licence_for
from metalwire.pricing.phrases import explained_in
from metalwire.pricing.price_row import DisclosureRow
from metalwire.pricing.published import (
    PublishedPrice,
    ReleaseState,
    corrections,
    late_releases,
    period_averages,
    publication_stamp,
    published_prices,
    release_state,
)
from metalwire.web.access import access
from metalwire.web.api.prices import now_of
from metalwire.web.auth import CurrentPrincipal
from metalwire.web.charts import empty_frame, history_chart
from metalwire.web.deps import DbSession
from metalwire.web.i18n import page_lang, render
from metalwire.web.pages.plans import opening_plan
from metalwire.web.pages.site import banner_dismissed, error_page, page
from metalwire.web.shared import shared_content

router = APIRouter(include_in_schema=False)

RangeCode = Literal["1M", "3M", "1Y", "5Y", "all"]
# Calendar days each chart range reaches back from today; "all" is the whole released history.
RANGE_DAYS: dict[str, int | None] = {"1M": 31, "3M": 92, "1Y": 366, "5Y": 1827, "all": None}
TABLE_ROWS = 60  # the newest prices listed; the downloads carry the rest
AVERAGE_MONTHS = 12
CHART_POINTS = 1300  # five years of trading days fit unthinned
CORRECTION_ROWS = 20


class TableRow(NamedTuple):
    """A row of the prices table, formatted once for the cached view by the functions behind the
    templates' ``number`` and ``date`` filters: 60 rows of five localized numbers were a
    quarter of the page's time when formatted on every request."""

    day: str
    low: str
    high: str
    mid: str
    change: str  # with its arrow and sign: the direction never rests on colour alone
    change_pct: str
    direction: str  # "up", "down" or "" (the CSS class)


def _table_row(p: PublishedPrice, decimals: int, lang: str) -> TableRow:
    change, pct, direction = "–", "–", ""
    if p.change is not None:
        number = fmt_number(p.change, lang, decimals)
        if p.change > 0:
            change, direction = f"▲ +{number}", "up"
        elif p.change < 0:
            change, direction = f"▼ {number}", "down"
        else:
            change = "= 0"
    if p.change_pct is not None:  # published to two places already
        pct = f"+{p.change_pct}%" if p.change_pct > 0 else f"{p.change_pct}%"
    return TableRow(
        fmt_date(p.market_date, lang),
        fmt_number(p.low, lang, decimals),
        fmt_number(p.high, lang, decimals),
        fmt_number(p.mid, lang, decimals),
        change,
        pct,
        direction,
    )


@dataclass(frozen=True)
class HistoryView:
    """What the page shows of the released history in its window (the same for every reader
    with the same window: the gate has already fixed the window)."""

    latest: PublishedPrice | None
    rows: list[TableRow]  # newest first, at most TABLE_ROWS
    total: int  # prices in the chart's range
    averages: list[tuple[dt.date, dt.date, Decimal, int]]  # newest month first
    chart: Markup


@dataclass(frozen=True)
class Explanation:
    """How the newest released price was made, as a reader may see it."""

    assessment_id: int
    market_date: dt.date
    version: int
    method: str
    inputs_used: int
    contributors: list[str]  # the public codes of the inputs used (never names)
    excluded: list[dict[str, Any]]  # each with its contributor's code
    text: str
    rationale: str | None
    lang: str = "en"  # the language ``text`` is in (an assessment made before Chinese: English)
    disclosure: DisclosureRow | None = None  # EU BMR Annex II: what the price was made of
    methodology: VersionRef | None = None  # the version in force on the market date


def _months_back(today: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` before today's (12 monthly averages end today)."""
    index = today.year * 12 + today.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _earliest(*days: dt.date | None) -> dt.date | None:
    """The earliest start; None (no start: the whole history) wins."""
    return None if None in days else min(d for d in days if d is not None)


def _explanation(
    session: Session,
    principal: Principal,
    series: PriceSeries,
    latest: PublishedPrice | None,
    now: dt.datetime,
    lang: str = "en",
) -> Explanation | None:
    """The newest released assessment's explanation, asked of the gate once more (the same rule
    as /api/v1/assessments/{id}): only a released version the reader may see is ever explained."""
    if latest is None:
        return None
    row = get_assessment(session, latest.assessment_id)
    if row is None or row.series_id != series.id or row.status is not AssessmentStatus.APPROVED:
        return None
    decision = may_read_series_value(principal, series, row.market_date, row.release_at, now)
    if not decision:
        return None
    data = row.explanation
    said = explained_in(data, lang)
    codes = codes_of_submissions(session, input_ids(data))
    used = [int(i) for i in data.get("inputs_used", [])]
    return Explanation(
        assessment_id=row.id,
        market_date=row.market_date,
        version=row.version,
        method=row.method.value,
        inputs_used=len(used),
        contributors=sorted({codes[i] for i in used if i in codes}, key=lambda c: (len(c), c)),
        excluded=[
            {**x, "contributor": codes.get(int(str(x["submission_id"])))} for x in said.excluded
        ],
        text=said.text,
        rationale=row.rationale,
        lang=said.lang,
        disclosure=disclosure_of(row),
        methodology=version_on(session, series.methodology, row.market_date),
    )


def _corrections(
    session: Session, series: PriceSeries, floor: dt.date | None, now: dt.datetime
) -> list[dict[str, Any]]:
    """Released correction notices of this series, newest first; values before the reader's
    history floor are withheld as the API withholds them (``locked``)."""
    out = []
    for n in corrections(session, as_of=now, series_ids=[series.id])[:CORRECTION_ROWS]:
        out.append({"notice": n, "locked": floor is not None and n.market_date < floor})
    return out


def _downloads(code: str, start: dt.date | None) -> dict[str, str]:
    """The API's exports of the range shown (the API checks the export right again)."""
    urls = {}
    for kind in ("csv", "xlsx"):
        query = {"format": kind, **({"start": start.isoformat()} if start else {})}
        urls[kind] = f"/api/v1/series/{code}/prices?{urlencode(query)}"
    return urls


class HistoryViews:
    """Per worker (per app), the history part of recent series pages: the same series, window
    and language read again and again between two releases. Every hit is keyed by the series'
    publication stamp, which changes whenever what a reader may see of it changes (a release
    passes, a correction lands), so a stale view is never served; bounded by count."""

    def __init__(self, size: int = 256) -> None:
        self._items: LRUCache[Hashable, HistoryView] = LRUCache(maxsize=size)
        self._lock = threading.Lock()  # sync routes run in a thread pool; cachetools has none

    def get(self, key: Hashable) -> HistoryView | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: Hashable, view: HistoryView) -> None:
        with self._lock:
            self._items[key] = view


def _views(request: Request) -> HistoryViews:
    views = getattr(request.app.state, "series_history_views", None)
    if not isinstance(views, HistoryViews):
        views = request.app.state.series_history_views = HistoryViews()
    return views


def _history(
    session: Session,
    series: PriceSeries,
    now: dt.datetime,
    chart_start: dt.date | None,
    averages_start: dt.date | None,
    lang: str,
) -> HistoryView:
    # One read serves the chart, the table and the averages: the longer of the two windows.
    prices = published_prices(
        session, series, as_of=now, start=_earliest(chart_start, averages_start)
    )
    dates = [p.market_date for p in prices]
    shown = prices[bisect_left(dates, chart_start) :] if chart_start else prices
    recent = prices[bisect_left(dates, averages_start) :] if averages_start else prices
    averages = period_averages(recent, "month", max(series.decimals, 2))
    title = translations(lang).gettext("Daily mid prices of %(code)s") % {"code": series.code}
    return HistoryView(
        latest=prices[-1] if prices else None,
        rows=[_table_row(p, series.decimals, lang) for p in shown[::-1][:TABLE_ROWS]],
        total=len(shown),
        averages=averages[-AVERAGE_MONTHS:][::-1],
        chart=history_chart(
            [(p.market_date.isoformat(), p.mid) for p in shown],
            title=title,
            max_points=CHART_POINTS,
        ),
    )


def _page_common(
    request: Request,
    session: Session,
    series: PriceSeries,
    shown: tuple[str, str, str],
    now: dt.datetime,
) -> dict[str, Any]:
    """What the series page shows whoever reads it: the series, its unit, its release state and
    banner, the ranges to choose from, the notices of its pending changes. ``shown``: the
    release state, the chart's range and the language."""
    state, window, lang = shown
    licence = licence_for(series)
    return {
        "series": series,
        "licence": licence,
        "licence_terms": licence.terms(lang) if licence else None,
        "unit_label": price_unit_label(series.currency, series.unit, lang),
        "state": state,
        "window": window,
        "ranges": list(RANGE_DAYS),
        "average_months": AVERAGE_MONTHS,
        "banner": state == ReleaseState.PENDING and not banner_dismissed(request, now),
        "notices": _pending_notices(session, series, now),
    }


def _pending_notices(session: Session, series: PriceSeries, now: dt.datetime) -> list[SeriesChange]:
    """The series' announced changes not yet in force on its own market date: a reader is
    told ahead of a new release time or tier, or of the last date it takes values."""
    today = now.astimezone(ZoneInfo(series.timezone)).date()
    if not pending_after(series, today):
        return []  # no statement for the many series without one
    return lifecycle_service.pending_notices(session, today, series.code)


def _kept_view(
    request: Request,
    session: Session,
    series: PriceSeries,
    now: dt.datetime,
    starts: tuple[dt.date | None, dt.date | None],
    stamp: Any,
    lang: str,
) -> HistoryView:
    """The history from the chart's and the averages' starts, made once per publication stamp
    and kept by the worker (web/pages/series.py: HistoryViews)."""
    chart_start, averages_start = starts
    key = (series.id, series.decimals, chart_start, averages_start, stamp, lang)
    views = _views(request)
    view = views.get(key)
    if view is None:
        view = _history(session, series, now, chart_start, averages_start, lang)
        views.put(key, view)
    return view


def _locked(session: Session, series: PriceSeries, group: str, lang: str) -> dict[str, Any]:
    """The paywall's part of a series page above the reader's plan: the chart's empty frame
    (no point of the history drawn) and the plan that opens the series."""
    gettext = translations(lang).gettext
    return {
        "locked": True,
        "locked_chart": empty_frame(
            gettext("Daily mid prices of %(code)s") % {"code": series.code},
            gettext("Prices for subscribers"),
        ),
        "opening_plan": opening_plan(session, series.tier.value, group, lang),
    }


@router.get("/series/{code}", response_class=HTMLResponse)
@access("gated")
def series_page(
    code: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    window: Annotated[RangeCode, Query(alias="range")] = "1Y",
) -> HTMLResponse:
    series = catalog.get_series(session, code)
    if series is None:
        return error_page(request, 404, None)
    now = now_of(request)
    lang = page_lang(request)
    state = release_state(session, series, now)
    common = _page_common(request, session, series, (state, window, lang), now)
    group = series.commodity.entry.group.code
    if not may_read_tier(principal, series.tier.value, group):
        # A price service shows what the series is and which plan opens it, never a value.
        return page(request, "series.html", **common, **_locked(session, series, group, lang))
    stamp = publication_stamp(session, series.id, as_of=now)
    if stamp[1] is None:
        # Nothing released yet (at most embargoed or draft work): as if it did not exist, the
        # way the gate's embargo answers everywhere.
        return error_page(request, 404, None)

    today = now.date()
    days = RANGE_DAYS[window]
    asked = today - dt.timedelta(days=days) if days else None
    chart_start = history_start(principal, asked, today)
    averages_start = history_start(principal, _months_back(today, AVERAGE_MONTHS - 1), today)
    view = _kept_view(request, session, series, now, (chart_start, averages_start), stamp, lang)
    floor = history_floor(principal, today)

    def content() -> tuple[str, tuple[str, ...]]:
        html = render(
            lang,
            "_series_main.html",
            principal=principal,
            path=request.url.path,
            locked=False,
            view=view,
            table_rows=TABLE_ROWS,
            explanation=_explanation(session, principal, series, view.latest, now, lang),
            corrections=_corrections(session, series, floor, now),
            late=late_releases(session, as_of=now, series_ids=[series.id])[:CORRECTION_ROWS],
            # No downloads of a series whose licence forbids redistribution.
            downloads=_downloads(series.code, chart_start)
            if may_export(principal) and licence_allows_export(series)
            else None,
            # Say so when the plan's history, not the range, cut the chart short.
            clipped_at=floor if floor is not None and (asked is None or asked < floor) else None,
            **common,
        )
        return html, ()

    # The content is the same for every reader of a plan within a minute (what it shows goes
    # by the plan's entitlements, the stamp and the minute): made once, not per request. Signed
    # in or not changes the paywall's wording only.
    what = ("series", series.id, window, stamp, request.url.path, principal.is_anonymous)
    hit = shared_content(request, session, principal, what, content)
    return page(request, "series.html", main=Markup(hit.body.decode()), **common)
