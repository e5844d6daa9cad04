"""The generated reports: the facts of a released survey period or of a day's released prices
gathered from the database as of now, drafted in both languages by the pure
``newsroom.generators``, given public teasers, and stored as drafts for an editor.

Reports quote RELEASED data only (survey releases and published prices as of now), and each
language version keeps the facts it quotes (``generated_from``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from metalwire.accounts.models import Scope, User
from metalwire.catalog import service as catalog
from metalwire.catalog.models import CatalogGroup, PriceSeries, Tier
from metalwire.catalog.units import price_unit_label
from metalwire.db.base import utcnow
from metalwire.newsroom import generators as gen
from metalwire.newsroom import phrasing as ph
from metalwire.newsroom.editing import ArticleInput, require_role, store_article
from metalwire.newsroom.models import (
    Article,
    ArticleKind,
)
from metalwire.newsroom.service import LANGS, NewsroomError, NotFound
from metalwire.newsroom.teaser import teaser
from metalwire.pricing.published import PublishedPrice, corrections, published_prices
from metalwire.supply import service as supply
from metalwire.supply.models import Survey, SurveyRelease
from metalwire.supply.published import published_release

# The premium sentence of a production report reads this many trading days up to the period end.
PREMIUM_DAYS = 10
_PREMIUM_LOOKBACK = dt.timedelta(days=31)


# --- the production report ---------------------------------------------------------------------


def production_slug(survey: Survey, period: str) -> str:
    return f"{survey.code.lower()}-{period}"


def daily_slug(group_code: str, day: dt.date) -> str:
    return f"{group_code}-prices-{day.isoformat()}"


def _period_end(period: str) -> dt.date:
    year, month = supply.parse_period(period)
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


@dataclass
class _Sources:
    """What a report quotes: premium refs, links per ref, the latest release time."""

    premium: set[str] = field(default_factory=set)
    links: dict[str, str] = field(default_factory=dict)
    released: list[dt.datetime] = field(default_factory=list)

    def quote(self, ref: str, link: str, tier: Tier) -> None:
        """Link a quoted figure to where a reader finds it; a premium one makes the report's
        figures premium."""
        self.links[ref] = link
        if tier is Tier.PREMIUM:
            self.premium.add(ref)

    def price(self, series: PriceSeries, p: PublishedPrice) -> str:
        ref = f"assessment:{p.assessment_id}"
        day = p.market_date.isoformat()
        self.quote(ref, f"/api/v1/series/{series.code}/prices?start={day}&end={day}", series.tier)
        self.released.append(p.release_at)
        return ref


def premium_facts(
    session: Session, survey: Survey, period: str, *, now: dt.datetime, sources: _Sources
) -> gen.PremiumFacts | None:
    """The survey's spot premium series over its last ``PREMIUM_DAYS`` published trading days
    up to the period's end: lowest low, highest high, latest range, trend of the mid."""
    if not survey.premium_series:
        return None
    series = catalog.get_series(session, survey.premium_series)
    if series is None:
        return None
    end = _period_end(period)
    prices = published_prices(session, series, as_of=now, start=end - _PREMIUM_LOOKBACK, end=end)[
        -PREMIUM_DAYS:
    ]
    if not prices:
        return None
    first, last = prices[0], prices[-1]
    lowest = min(prices, key=lambda p: (p.low, p.market_date))
    highest = max(prices, key=lambda p: (p.high, p.market_date))
    for p in prices:
        sources.price(series, p)
    window = f"{series.code}/{first.market_date.isoformat()}..{last.market_date.isoformat()}"
    sources.quote(
        window,
        f"/api/v1/series/{series.code}/prices?start={first.market_date.isoformat()}"
        f"&end={last.market_date.isoformat()}",
        series.tier,
    )
    trend: gen.Trend = "up" if last.mid > first.mid else "down" if last.mid < first.mid else "flat"
    return gen.PremiumFacts(
        series_code=series.code,
        unit_en=price_unit_label(series.currency, series.unit, "en"),
        unit_zh=price_unit_label(series.currency, series.unit, "zh"),
        low_min=lowest.low,
        high_max=highest.high,
        latest_low=last.low,
        latest_high=last.high,
        trend=trend,
        days=len(prices),
        series_ref=window,
        low_min_ref=f"assessment:{lowest.assessment_id}",
        high_max_ref=f"assessment:{highest.assessment_id}",
        latest_ref=f"assessment:{last.assessment_id}",
    )


def arbitrage_facts(
    session: Session, survey: Survey, period: str, *, now: dt.datetime
) -> gen.ArbitrageFacts | None:
    """The survey metal's export (silver) or import window over the period's last market days,
    as published when the report is drafted. A window above the survey's tier is left out, so a
    free report never quotes a premium figure."""
    from metalwire.markets import windows

    metal = survey.entry.code
    preferred = ("silver-export",) if metal == "silver" else ("base-metal-import",)
    definition = next(
        (d for d in windows.definitions() if d.metal == metal and d.kind in preferred), None
    )
    if definition is None:
        return None
    if windows.tier_of(session, definition) != "free" and survey.tier.value != "premium":
        return None
    year, month = (int(part) for part in period.split("-"))
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    history = windows.compute(
        session, definition, as_of=now, start=last - dt.timedelta(days=14), end=last
    )
    if not history.rows:
        return None
    first, latest = history.rows[0], history.rows[-1]
    opened_on = next(
        (
            w.opened
            for w in history.windows
            if w.opened <= latest.date and (w.closed is None or w.closed > latest.date)
        ),
        None,
    )
    # Open earlier in these days and closed since: the day it closed.
    closed_on = max(
        (w.closed for w in history.windows if w.closed is not None and w.closed <= latest.date),
        default=None,
    )
    trend: gen.Trend = (
        "up" if latest.profit > first.profit else "down" if latest.profit < first.profit else "flat"
    )
    unit_en, unit_zh = ("yuan/kg", "元/千克") if definition.unit == "kg" else ("yuan/mt", "元/吨")
    return gen.ArbitrageFacts(
        kind="export" if definition.kind == "silver-export" else "import",
        profit=latest.profit,
        unit_en=unit_en,
        unit_zh=unit_zh,
        open=latest.open,
        opened_on=opened_on if latest.open else None,
        closed_on=None if latest.open else closed_on,
        trend=trend,
        source_ref=f"arbitrage:{definition.code}@{latest.date.isoformat()}",
    )


def _producer_types(survey: Survey) -> dict[str, tuple[str, str]]:
    """Names for producer types the generators do not know (the survey's own wording)."""
    return {
        t["code"]: (f"{t['name_en']} producers", f"{t['name_zh']}企业")
        for t in survey.producer_types
        if t["code"] not in gen.PRODUCER_TYPES
    }


def production_input(
    session: Session, survey: Survey, period: str, *, now: dt.datetime
) -> ArticleInput:
    """Both language versions of a period's production report, from the RELEASED statistics."""
    release: SurveyRelease | None = published_release(session, survey, period, as_of=now)
    if release is None:
        raise NotFound(f"no released statistics for {survey.code} {period}", field="period")
    sources = _Sources(released=[release.release_at])
    source_ref = f"{survey.code}/{period}/v{release.version}"
    sources.quote(source_ref, f"/api/v1/surveys/{survey.code}/stats?period={period}", survey.tier)
    premium = premium_facts(session, survey, period, now=now, sources=sources)
    arbitrage = arbitrage_facts(session, survey, period, now=now)
    entry = survey.entry
    drafts: dict[str, gen.Draft] = {}

    def write(lang: str, spot: gen.PremiumFacts | None, figures: bool = True) -> gen.Draft:
        return gen.production_report(
            release.stats,
            survey_name_en=survey.name_en,
            survey_name_zh=survey.name_zh,
            commodity_en=entry.name_en.lower(),
            commodity_zh=entry.name_zh,
            unit=survey.unit,
            period=period,
            lang=lang,
            source_ref=source_ref,
            premium=spot,
            arbitrage=arbitrage,
            producer_types=_producer_types(survey),
            figures_in_title=figures,
        )

    for lang in LANGS:
        draft = write(lang, premium)
        # The spot premium belongs in the body: if the title and summary written without it
        # differ, its figures are secret there too.
        secret = {source_ref} & sources.premium
        if premium is not None:
            plain = write(lang, None)
            if (plain.title, plain.summary) != (draft.title, draft.summary):
                secret |= sources.premium
        public = write(lang, premium, figures=False).title
        drafts[lang] = _production_teaser(draft, secret, survey, period, public)
    premium_tier = survey.tier is Tier.PREMIUM or bool(sources.premium)
    tags = {*drafts["en"].tags, *drafts["zh"].tags, entry.code, entry.group.code, survey.code}
    return ArticleInput(
        slug=production_slug(survey, period),
        kind=ArticleKind.PRODUCTION,
        tier=Tier.PREMIUM if premium_tier else Tier.FREE,
        drafts=drafts,
        group_code=entry.group.code,
        tags=sorted(tags),
        source=source_ref,
        data_released_at=max(sources.released),
        links=sources.links,
    )


def _production_teaser(
    draft: gen.Draft, secret: set[str], survey: Survey, period: str, public_title: str
) -> gen.Draft:
    checked = ph.check_lang(draft.lang)
    zh = checked == "zh"
    name = survey.name_zh if zh else survey.name_en
    month = ph.month_year(period, checked)
    dates = [
        month,
        period,
        *(ph.month_name(ph.shift_period(period, k), checked) for k in (-1, 0, 1)),
    ]
    return teaser(
        draft,
        secret,
        dates=dates,
        public_titles=[public_title],
        neutral_title=(f"{name}：{month}产量报告" if zh else f"{name}: {month} Production Report"),
        neutral_summary=(
            f"{month}{name}统计及其原因分析，订阅用户可阅读全文。"
            if zh
            else f"The {month} statistics of the {name} survey and the reasons behind them; "
            "subscribers read the full report."
        ),
    )


def draft_production_report(
    session: Session,
    survey_code: str,
    period: str,
    *,
    actor: str,
    user: User | None = None,
    now: dt.datetime | None = None,
) -> Article:
    """Draft (or refresh) the production report of a released survey period."""
    require_role(user, Scope.SUBMIT, "draft reports")
    now = now or utcnow()
    try:
        supply.parse_period(period)
    except supply.SupplyError as exc:
        raise NewsroomError(problems=exc.problems) from None
    survey = supply.get_survey(session, survey_code)
    if survey is None:
        raise NotFound(f"no survey {survey_code!r}", field="survey")
    data = production_input(session, survey, period, now=now)
    article, _ = store_article(session, data, actor=actor, user=user, now=now)
    return article


# --- the daily price report --------------------------------------------------------------------


def _local_date(moment: dt.datetime, timezone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def daily_input(
    session: Session, group: CatalogGroup, day: dt.date, *, now: dt.datetime
) -> ArticleInput:
    """Both language versions of a group's daily price report: the prices of ``day`` released
    by now, and the corrections published that day."""
    series, _ = catalog.list_series(session, catalog.SeriesFilter(group=group.code), limit=500)
    sources = _Sources()
    prices = _day_prices(session, series, day, now=now, sources=sources)
    if not prices:
        raise NotFound(f"no released prices for {group.code} on {day.isoformat()}", field="date")
    fixes = _day_corrections(session, series, day, now=now, sources=sources)
    drafts: dict[str, gen.Draft] = {}
    for lang in LANGS:
        args = (group.name_en, group.name_zh, day, prices, fixes)
        draft = gen.daily_price_report(*args, lang=lang)
        public = gen.daily_price_report(*args, lang=lang, names_in_title=False).title
        drafts[lang] = _daily_teaser(draft, group, day, prices, sources.premium, public)
    tags = {*drafts["en"].tags, *drafts["zh"].tags, group.code}
    return ArticleInput(
        slug=daily_slug(group.code, day),
        kind=ArticleKind.DAILY,
        tier=Tier.PREMIUM if sources.premium else Tier.FREE,
        drafts=drafts,
        group_code=group.code,
        tags=sorted(tags),
        source=f"{group.code}/{day.isoformat()}",
        data_released_at=max(sources.released),
        links=sources.links,
    )


class _SeriesNames(TypedDict):
    series_code: str
    name_en: str
    name_zh: str
    unit_en: str
    unit_zh: str


def _series_names(series: PriceSeries) -> _SeriesNames:
    """How a daily report names a series it quotes, the same for a price and a correction."""
    return _SeriesNames(
        series_code=series.code,
        name_en=series.name_en,
        name_zh=series.name_zh,
        unit_en=price_unit_label(series.currency, series.unit, "en"),
        unit_zh=price_unit_label(series.currency, series.unit, "zh"),
    )


def _day_prices(
    session: Session,
    series: Sequence[PriceSeries],
    day: dt.date,
    *,
    now: dt.datetime,
    sources: _Sources,
) -> list[gen.PriceFacts]:
    """Each series' price of ``day`` as released by now (series without one are left out)."""
    prices: list[gen.PriceFacts] = []
    for s in series:
        found = published_prices(session, s, as_of=now, start=day, end=day)
        if not found:
            continue
        p = found[-1]
        ref = sources.price(s, p)
        single = p.low == p.high
        prices.append(
            gen.PriceFacts(
                **_series_names(s),
                low=None if single else p.low,
                high=None if single else p.high,
                mid=p.mid,
                change=p.change,
                change_pct=p.change_pct,
                assessment_ref=ref,
            )
        )
    return prices


def _day_corrections(
    session: Session,
    series: Sequence[PriceSeries],
    day: dt.date,
    *,
    now: dt.datetime,
    sources: _Sources,
) -> list[gen.CorrectionFacts]:
    """The corrections of these series published on ``day`` (local date), by series and date."""
    by_id = {s.id: s for s in series}
    fixes: list[gen.CorrectionFacts] = []
    for notice in corrections(session, as_of=now, series_ids=list(by_id)):
        if _local_date(notice.published_at, notice.series.timezone) != day:
            continue
        s = notice.series
        ref = f"assessment:{notice.assessment_id}"
        sources.quote(ref, f"/api/v1/assessments/{notice.assessment_id}", s.tier)
        sources.released.append(notice.published_at)
        fixes.append(
            gen.CorrectionFacts(
                **_series_names(s),
                day=notice.market_date,
                old_low=notice.old_low,
                old_high=notice.old_high,
                new_low=notice.new_low,
                new_high=notice.new_high,
                assessment_ref=ref,
                reason=notice.reason,
            )
        )
    fixes.sort(key=lambda c: (c.series_code, c.day))
    return fixes


def _daily_teaser(
    draft: gen.Draft,
    group: CatalogGroup,
    day: dt.date,
    prices: Sequence[gen.PriceFacts],
    premium: set[str],
    public_title: str,
) -> gen.Draft:
    checked = ph.check_lang(draft.lang)
    zh = checked == "zh"
    name = group.name_zh if zh else group.name_en
    when = ph.format_date(day, checked, short=True)
    return teaser(
        draft,
        premium,
        dates=[when, ph.format_date(day, checked)],
        public_titles=[public_title],
        neutral_title=f"{when}{name}价格" if zh else f"{name} Prices on {when}",
        neutral_summary=(
            f"{when}{name}价格：当日涨跌及全部评估价，订阅用户可阅读全文。"
            if zh
            else f"{name} prices on {when}: the day's movers and every assessment; "
            "subscribers read the full report."
        ),
        cut_before=[p.name_zh if zh else p.name_en for p in prices],
    )


def draft_daily_report(
    session: Session,
    group_code: str,
    day: dt.date,
    *,
    actor: str,
    user: User | None = None,
    now: dt.datetime | None = None,
) -> Article:
    """Draft (or refresh) a catalog group's daily price report."""
    require_role(user, Scope.SUBMIT, "draft reports")
    now = now or utcnow()
    group = session.scalar(select(CatalogGroup).where(CatalogGroup.code == group_code))
    if group is None:
        raise NotFound(f"no catalog group {group_code!r}", field="group")
    data = daily_input(session, group, day, now=now)
    article, _ = store_article(session, data, actor=actor, user=user, now=now)
    return article
