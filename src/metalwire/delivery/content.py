"""What an event says to one reader, built when it is sent, through the gate.

The outbox holds ids, never values: a webhook, an e-mail or a live stream asks here at send
time with the recipient's principal as it is then, so a plan downgraded or a key revoked between
the release and the send means no premium digit leaves, and nothing is ever sent before its
release instant. ``None`` means: this reader may not read it (nothing is sent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from metalwire.accounts.gate import (
    Principal,
    is_readable,
    is_released,
    may_read_series_value,
    may_read_tier,
)
from metalwire.catalog import lifecycle_service
from metalwire.catalog.models import PriceSeries, SeriesChange
from metalwire.governance.models import Consultation
from metalwire.governance.versions import VersionRef
from metalwire.markets import windows
from metalwire.markets.access import window_decision
from metalwire.newsroom.models import Article
from metalwire.newsroom.service import may_read_body, translation
from metalwire.outbox.models import EventKind, ReleaseEvent
from metalwire.pricing.models import Assessment
from metalwire.pricing.phrases import explained_in
from metalwire.pricing.price_row import standard_row, to_json
from metalwire.pricing.published import published_prices
from metalwire.pricing.release_times import scheduled_release
from metalwire.supply.models import SurveyRelease

Data = dict[str, Any]
# A survey release's headline figures, as the survey page leads with them.
SURVEY_HEADLINES = ("production", "mom_pct", "yoy_pct", "inventory", "operating_rate")


def _series_head(series: PriceSeries) -> Data:
    return {
        "series": series.code,
        "name": series.name_en,
        "name_zh": series.name_zh,
        "unit": series.unit,
        "currency": series.currency,
    }


def _price(
    session: Session, event: ReleaseEvent, principal: Principal, now: dt.datetime
) -> Data | None:
    assessment = session.get(Assessment, event.refs["assessment_id"])
    if assessment is None:
        return None
    series = assessment.series
    if not may_read_series_value(
        principal, series, assessment.market_date, assessment.release_at, now
    ):
        return None
    day = assessment.market_date
    prices = published_prices(session, series, as_of=now, start=day, end=day)
    if not prices:
        return None
    data = _series_head(series) | {
        "price": to_json(standard_row(prices[-1], series.unit, series.currency))
    }
    if event.kind is EventKind.PRICE_CORRECTED:
        notice = explained_in(assessment.explanation, "en")
        notice_zh = explained_in(assessment.explanation, "zh")
        data["correction"] = {
            "version": assessment.version,
            "reason": assessment.correction_reason,
            # The platform's notice (what was published, what is right, the reason) in both
            # languages: a reader is told in theirs.
            "notice": notice.text,
            "notice_zh": notice_zh.text if notice_zh.lang == "zh" else None,
        }
    return data


def _delay(
    session: Session, event: ReleaseEvent, principal: Principal, now: dt.datetime
) -> Data | None:
    series = session.get(PriceSeries, event.refs["series_id"])
    if series is None or not may_read_tier(
        principal, series.tier.value, series.commodity.entry.group.code
    ):
        return None
    day = dt.date.fromisoformat(event.refs["date"])
    return _series_head(series) | {
        "date": day.isoformat(),
        "scheduled_at": scheduled_release(series, day).isoformat(),
    }


def _survey(
    session: Session, event: ReleaseEvent, principal: Principal, now: dt.datetime
) -> Data | None:
    release = session.get(SurveyRelease, event.refs["release_id"])
    if release is None or not is_released(release.release_at, now):
        return None
    survey = release.survey
    if not may_read_tier(principal, survey.tier.value, survey.entry.group.code):
        return None
    return {
        "survey": survey.code,
        "name": survey.name_en,
        "name_zh": survey.name_zh,
        "unit": survey.unit,
        "period": release.period,
        "version": release.version,
        "status": release.status.value,
        "released_at": release.release_at.isoformat(),
        "figures": {k: release.stats[k] for k in SURVEY_HEADLINES if k in release.stats},
    }


def _report(
    session: Session, event: ReleaseEvent, principal: Principal, now: dt.datetime
) -> Data | None:
    article = session.get(Article, event.refs["article_id"])
    if article is None or not is_readable(article, now) or not may_read_body(principal, article):
        return None
    en, zh = translation(article, "en"), translation(article, "zh")
    assert article.publish_at is not None  # readable: published
    return {
        "slug": article.slug,
        "kind": article.kind.value,
        "group": article.group_code,
        "title": en.title,
        "title_zh": zh.title,
        "summary": en.summary,
        "summary_zh": zh.summary,
        "published_at": article.publish_at.isoformat(),
    }


def _window(
    session: Session, event: ReleaseEvent, principal: Principal, now: dt.datetime
) -> Data | None:
    definition = windows.get_definition(event.code)
    if definition is None or not window_decision(session, principal, definition):
        return None
    day = dt.date.fromisoformat(event.refs["date"])
    # As the release left it (the instant the event names), not as of the send: a retry or a
    # worker catching up after a settlement moved the window again must not say "opened" of
    # a window it shows closed.
    history = windows.compute(session, definition, as_of=event.due_at, start=day, end=day)
    if not history.rows:
        return None
    row = history.rows[-1]
    return {
        "window": definition.code,
        "name": definition.name_en,
        "name_zh": definition.name_zh,
        "date": row.date.isoformat(),
        "open": row.open,
        "profit": str(row.profit),
    }


def _series_notice(
    session: Session, event: ReleaseEvent, principal: Principal, now: dt.datetime
) -> Data | None:
    # Public, as on GET /api/v1/series-notices: a notice names no value, so every reader of
    # any plan is told of a premium series' new release time or its discontinuation.
    change = session.get(SeriesChange, event.refs["change_id"])
    return None if change is None else lifecycle_service.notice_record(change)


def _consultation(
    session: Session, event: ReleaseEvent, principal: Principal, now: dt.datetime
) -> Data | None:
    item = session.get(Consultation, event.refs["consultation_id"])
    if item is None:
        return None
    made = item.version
    return {
        "consultation": item.id,
        "family": item.family,
        "title": item.title,
        "title_zh": item.title_zh,
        "summary": item.summary,
        "summary_zh": item.summary_zh,
        "opens_on": item.opens_on.isoformat() if item.opens_on else None,
        "closes_on": item.closes_on.isoformat() if item.closes_on else None,
        "outcome": item.outcome.value if item.outcome else None,
        "decided_on": item.decided_on.isoformat() if item.decided_on else None,
        "version": None
        if made is None
        else VersionRef(made.family, made.number, made.effective_from).as_json(),
        "url": f"/consultations/{item.id}",
    }


BUILDERS: dict[
    EventKind, Callable[[Session, ReleaseEvent, Principal, dt.datetime], Data | None]
] = {
    EventKind.PRICE_RELEASED: _price,
    EventKind.PRICE_CORRECTED: _price,
    EventKind.PRICE_DELAYED: _delay,
    EventKind.SURVEY_RELEASED: _survey,
    EventKind.REPORT_PUBLISHED: _report,
    EventKind.WINDOW_OPENED: _window,
    EventKind.WINDOW_CLOSED: _window,
    EventKind.SERIES_NOTICE: _series_notice,
    EventKind.CONSULTATION_OPENED: _consultation,
    EventKind.CONSULTATION_DECIDED: _consultation,
}


def event_data(
    session: Session, event: ReleaseEvent, principal: Principal, now: dt.datetime
) -> Data | None:
    """The event's content for this reader now, or None when the gate says no (or the event
    is not yet due: nothing is said of a release before its instant)."""
    if event.due_at > now:
        return None
    return BUILDERS[event.kind](session, event, principal, now)
