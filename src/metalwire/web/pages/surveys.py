"""The survey pages: the list of production surveys, and one survey's released statistics for a
period (headline figures, totals over time, provinces, producer types, inventory, forecast,
version and provenance), through the access gate.

They read the same services and apply the same rules as /api/v1/surveys/{code}/stats and
/history (web/api/surveys.py): a survey above the reader's plan shows what it covers and a call
to subscribe, never a figure; a release before its release time does not exist for the page; a
period before the plan's history is withheld.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from metalwire.accounts.gate import (
    Denied,
    Principal,
    history_floor,
    history_start,
    is_readable,
    may_export,
    may_read_tier,
)
from metalwire.i18n import fmt_number, translations
from metalwire.newsroom import reports
from metalwire.newsroom import service as newsroom
from metalwire.supply import service
from metalwire.supply.models import Survey, SurveyRelease
from metalwire.supply.published import (
    latest_period,
    published_history,
    published_release,
    release_versions,
)
from metalwire.supply.reference import reasons as reason_names
from metalwire.supply.schemas import PERIOD_PATTERN
from metalwire.web.access import access
from metalwire.web.api.prices import now_of
from metalwire.web.api.surveys import period_decision
from metalwire.web.auth import CurrentPrincipal
from metalwire.web.charts import bar_chart, empty_frame, line_chart
from metalwire.web.deps import DbSession
from metalwire.web.i18n import page_lang
from metalwire.web.pages.markets import wider_plan
from metalwire.web.pages.plans import opening_plan
from metalwire.web.pages.site import error_page, page
from metalwire.web.pages.survey_headlines import figure, survey_unit_label

router = APIRouter(include_in_schema=False)

CHART_PERIODS = 24  # two years of monthly totals: the year-on-year shape at a glance
VOLUME_DECIMALS = 2  # supply.stats publishes volumes rounded to 2 decimals
# Headline and section figures read off a release's stats (published as decimal strings).
FIGURE_KEYS = (
    "production",
    "mom_abs",
    "mom_pct",
    "yoy_abs",
    "yoy_pct",
    "ytd",
    "ytd_change_pct",
    "operating_rate",
    "capacity",
    "coverage",
    "inventory",
    "inventory_change_abs",
    "inventory_change_pct",
    "forecast_next",
    "forecast_change_abs",
    "forecast_change_pct",
    "previous_forecast",
    "forecast_variance_abs",
    "forecast_variance_pct",
    "imputed_volume",
    "imputed_share",
)


@dataclass(frozen=True)
class Listing:
    survey: Survey
    latest_period: str | None
    respondents: int
    unit_label: str


@dataclass(frozen=True)
class GroupRow:
    """A province's or producer type's line, named in the page's language."""

    name: str
    volume: Decimal | None
    share: Decimal | None
    change_abs: Decimal | None
    change_pct: Decimal | None
    operating_rate: Decimal | None = None


@dataclass(frozen=True)
class TotalRow:
    """One period of the totals table (the chart's figures, for readers who cannot see it)."""

    period: str
    production: Decimal | None
    mom_pct: Decimal | None
    status: str
    version: int


@dataclass(frozen=True)
class MoverRow:
    name: str
    change: Decimal | None
    reasons: list[str]


@dataclass(frozen=True)
class ReasonRow:
    name: str
    volume: Decimal | None
    respondents: int


@dataclass(frozen=True)
class VersionRow:
    version: int
    status: str
    production: Decimal | None
    revised: bool
    released_at: dt.datetime  # in the survey's timezone


@dataclass(frozen=True)
class Provenance:
    respondents_reporting: int
    matched_count: int
    imputed_count: int
    new_respondents: int
    dropped_respondents: int
    missing: int


@dataclass(frozen=True)
class Report:
    url: str
    title: str
    locked: bool


@dataclass(frozen=True)
class ReleaseView:
    """One released period as the reader may see it."""

    period: str
    version: int
    status: str
    revised: bool
    released_at: dt.datetime  # in the survey's timezone
    figures: dict[str, Decimal | None]
    main_provinces: list[str]
    provinces: list[GroupRow]
    producer_types: list[GroupRow]
    province_chart: Markup
    producer_type_chart: Markup
    cuts: list[MoverRow]
    increases: list[MoverRow]
    reasons: list[ReasonRow]
    provenance: Provenance
    versions: list[VersionRow]


def _local(moment: dt.datetime, survey: Survey) -> dt.datetime:
    return moment.astimezone(ZoneInfo(survey.timezone))


def _type_names(survey: Survey, lang: str) -> dict[str, str]:
    return {t["code"]: t.get(f"name_{lang}") or t["code"] for t in survey.producer_types}


def _province_name(line: Mapping[str, Any], lang: str) -> str:
    # supply.service.localize added name_en / name_zh to every province line at release.
    return str(line.get(f"name_{lang}") or line.get("name") or "")


# --- the gate ----------------------------------------------------------------------------------


def released_history(
    session: Session, principal: Principal, survey: Survey, now: dt.datetime
) -> list[SurveyRelease]:
    """The API's rule for /history: the latest released version of each period, from the
    month of the plan's history floor on; oldest first."""
    first_day = history_start(principal, None, now.date())
    start = service.period_of(first_day) if first_day else None
    return published_history(session, survey, as_of=now, start=start)


# --- building the view -------------------------------------------------------------------------


def _group_rows(
    lines: Sequence[Mapping[str, Any]], names: Mapping[str, str] | None, lang: str
) -> list[GroupRow]:
    return [
        GroupRow(
            name=names.get(line["name"], line["name"]) if names else _province_name(line, lang),
            volume=figure(line.get("volume")),
            share=figure(line.get("share")),
            change_abs=figure(line.get("change_abs")),
            change_pct=figure(line.get("change_pct")),
        )
        for line in lines
    ]


def _main_provinces(stats: Mapping[str, Any], lang: str) -> list[str]:
    """The main supply provinces (published by their English names) in the page's language."""
    names = {
        line.get("name_en"): _province_name(line, lang) for line in stats.get("by_province") or []
    }
    return [names.get(name, name) for name in stats.get("main_provinces") or []]


def _with_rates(rows: list[GroupRow], codes: list[str], rates: list[Any]) -> list[GroupRow]:
    """Each producer type's line with its operating rate (published in a list of its own)."""
    by_type = {r.get("producer_type"): figure(r.get("operating_rate")) for r in rates}
    return [
        GroupRow(row.name, row.volume, row.share, row.change_abs, row.change_pct, by_type.get(code))
        for row, code in zip(rows, codes, strict=True)
    ]


def _chart(rows: list[GroupRow], title: str, lang: str) -> Markup:
    return bar_chart(
        [
            (row.name, row.volume, fmt_number(row.volume, lang, VOLUME_DECIMALS))
            for row in rows
            if row.volume is not None
        ],
        title=title,
    )


def _movers(
    items: Sequence[Mapping[str, Any]], types: Mapping[str, str], lang: str
) -> list[MoverRow]:
    known = reason_names()
    out = []
    for item in items:
        if item.get("kind") == "province":
            name = _province_name(item, lang)
        else:
            name = types.get(item["name"], item["name"])
        codes = item.get("reasons") or []
        out.append(
            MoverRow(
                name=name,
                change=figure(item.get("change")),
                reasons=[known[c].name(lang) if c in known else c for c in codes],
            )
        )
    return out


def _reasons(items: Sequence[Mapping[str, Any]], lang: str) -> list[ReasonRow]:
    known = reason_names()
    return [
        ReasonRow(
            name=known[item["code"]].name(lang) if item["code"] in known else item["code"],
            volume=figure(item.get("volume")),
            respondents=int(item.get("respondents") or 0),
        )
        for item in items
    ]


def release_view(
    session: Session, survey: Survey, row: SurveyRelease, now: dt.datetime, lang: str
) -> ReleaseView:
    stats = row.stats
    gettext = translations(lang).gettext
    types = _type_names(survey, lang)
    type_lines = list(stats.get("by_producer_type") or [])
    provinces = _group_rows(stats.get("by_province") or [], None, lang)
    producer_types = _with_rates(
        _group_rows(type_lines, types, lang),
        [line["name"] for line in type_lines],
        list(stats.get("operating_rate_by_producer_type") or []),
    )
    movers = stats.get("forecast_movers") or {}
    unit = survey_unit_label(survey, lang)
    versions = release_versions(session, survey, row.period, as_of=now)
    return ReleaseView(
        period=row.period,
        version=row.version,
        status=row.status.value,
        revised=bool(stats.get("revised")),
        released_at=_local(row.release_at, survey),
        figures={key: figure(stats.get(key)) for key in FIGURE_KEYS},
        main_provinces=_main_provinces(stats, lang),
        provinces=provinces,
        producer_types=producer_types,
        province_chart=_chart(
            provinces, gettext("Output by province, %(unit)s") % {"unit": unit}, lang
        ),
        producer_type_chart=_chart(
            producer_types, gettext("Output by producer type, %(unit)s") % {"unit": unit}, lang
        ),
        cuts=_movers(movers.get("cuts") or [], types, lang),
        increases=_movers(movers.get("increases") or [], types, lang),
        reasons=_reasons(stats.get("reasons") or [], lang),
        provenance=Provenance(
            respondents_reporting=int(stats.get("respondents_reporting") or 0),
            matched_count=int(stats.get("matched_count") or 0),
            imputed_count=int(stats.get("imputed_count") or 0),
            new_respondents=len(stats.get("new_respondents") or []),
            dropped_respondents=len(stats.get("dropped_respondents") or []),
            missing=len(stats.get("missing") or []),
        ),
        versions=[
            VersionRow(
                version=v.version,
                status=v.status.value,
                production=figure(v.stats.get("production")),
                revised=bool(v.stats.get("revised")),
                released_at=_local(v.release_at, survey),
            )
            for v in versions
        ],
    )


def total_rows(history: Sequence[SurveyRelease]) -> list[TotalRow]:
    """The chart's periods, newest first."""
    return [
        TotalRow(
            r.period,
            figure(r.stats.get("production")),
            figure(r.stats.get("mom_pct")),
            r.status.value,
            r.version,
        )
        for r in reversed(history[-CHART_PERIODS:])
    ]


def totals_chart(history: Sequence[SurveyRelease], title: str) -> Markup:
    points = [
        (r.period, value)
        for r in history[-CHART_PERIODS:]
        if (value := figure(r.stats.get("production"))) is not None
    ]
    return line_chart(points, title=title)


def related_report(
    session: Session, principal: Principal, survey: Survey, period: str, lang: str, now: dt.datetime
) -> Report | None:
    """The period's production report, once an editor has published it and its time has come;
    its title is public (the article page shows it to everyone), its body follows the plan."""
    article = newsroom.get_article(session, reports.production_slug(survey, period))
    if article is None or not is_readable(article, now) or not article.translations:
        return None
    return Report(
        url=f"/articles/{article.slug}",
        title=newsroom.translation(article, lang).title,
        locked=not newsroom.may_read_body(principal, article),
    )


def downloads(code: str) -> dict[str, str]:
    """The API's exports of the whole history the plan allows (the API checks the right again)."""
    return {kind: f"/api/v1/surveys/{code}/history?format={kind}" for kind in ("csv", "xlsx")}


# --- routes ------------------------------------------------------------------------------------


@router.get("/surveys", response_class=HTMLResponse)
@access("public")
def surveys_page(request: Request, session: DbSession) -> HTMLResponse:
    """Every survey with its newest released period: what /api/v1/surveys lists, no figures."""
    now = now_of(request)
    lang = page_lang(request)
    listings = [
        Listing(
            s,
            latest_period(session, s, as_of=now),
            len(service.panel(session, s)),
            survey_unit_label(s, lang),
        )
        for s in service.list_surveys(session)
    ]
    return page(request, "survey.html", listing=True, surveys=listings)


def _history_parts(
    session: Session,
    principal: Principal,
    survey: Survey,
    now: dt.datetime,
    lang: str,
    unit_label: str,
) -> dict[str, Any]:
    """What the survey page shows of every released period the reader may see: the periods to
    choose from, the chart and table of totals, the downloads and the plan's floor."""
    history = released_history(session, principal, survey, now)
    gettext = translations(lang).gettext
    return {
        "periods": [r.period for r in reversed(history)],
        "chart": totals_chart(
            history,
            gettext("%(name)s: total output per month, %(unit)s")
            % {"name": getattr(survey, f"name_{lang}"), "unit": unit_label},
        ),
        "totals": total_rows(history),
        "downloads": downloads(survey.code) if may_export(principal) else None,
        "floor": history_floor(principal, now.date()),
    }


def _locked(session: Session, survey: Survey, lang: str) -> dict[str, Any]:
    """The paywall's part of a survey page above the reader's plan: the chart's empty frame
    and the plan that opens the survey."""
    gettext = translations(lang).gettext
    title = gettext("%(name)s: total output per month, %(unit)s") % {
        "name": getattr(survey, f"name_{lang}"),
        "unit": survey_unit_label(survey, lang),
    }
    return {
        "locked": True,
        "locked_chart": empty_frame(title, gettext("Figures for subscribers")),
        "opening_plan": opening_plan(session, survey.tier.value, survey.entry.group.code, lang),
    }


def _withheld(
    request: Request,
    session: Session,
    principal: Principal,
    common: dict[str, Any],
    period: str,
    *,
    history: bool,
) -> HTMLResponse:
    """A period the reader may not see. An embargoed one looks exactly like one never released
    (404); one before the plan's history is the survey's page saying so, with the plan that
    opens it (200: a paywall, not an error; the API answers 403)."""
    if not history:
        context = {**common, "period": period, "withheld": "absent"}
        return page(request, "survey.html", status_code=404, **context)
    wider = wider_plan(session, principal, page_lang(request))
    context = {**common, "period": period, "withheld": "history", "opening_plan": wider}
    return page(request, "survey.html", **context)


@router.get("/surveys/{code}", response_class=HTMLResponse)
@access("gated")
def survey_page(
    code: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    period: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    survey = service.get_survey(session, code)
    if survey is None:
        return error_page(request, 404, None)
    now = now_of(request)
    lang = page_lang(request)
    common: dict[str, Any] = {
        "listing": False,
        "survey": survey,
        "unit_label": survey_unit_label(survey, lang),
        "locked": False,
        "view": None,
        "withheld": None,
        "period_error": None,
    }
    if not may_read_tier(principal, survey.tier.value, survey.entry.group.code):
        # What the survey is and which plan opens it (200, as the series page); never a figure.
        return page(request, "survey.html", **{**common, **_locked(session, survey, lang)})

    common.update(_history_parts(session, principal, survey, now, lang, common["unit_label"]))
    gettext = translations(lang).gettext
    if period is not None and not re.fullmatch(PERIOD_PATTERN, period):
        error = gettext("Period: give a month as YYYY-MM, e.g. 2025-10.")
        return page(
            request,
            "survey.html",
            status_code=422,
            **{**common, "period": period, "period_error": error},
        )
    wanted = period or latest_period(session, survey, as_of=now)
    if wanted is None:  # nothing released yet: the survey exists, its figures do not
        return page(request, "survey.html", **{**common, "period": None})
    row = published_release(session, survey, wanted, as_of=now)
    decision = period_decision(principal, survey, wanted, row, now)
    if row is None or not decision:
        history = row is not None and decision.reason is Denied.HISTORY
        return _withheld(request, session, principal, common, wanted, history=history)
    return page(
        request,
        "survey.html",
        **{
            **common,
            "period": wanted,
            "view": release_view(session, survey, row, now, lang),
            "report": related_report(session, principal, survey, wanted, lang, now),
        },
    )
