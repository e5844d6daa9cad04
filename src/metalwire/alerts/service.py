"""Alert settings and their sending: readers keep price-move rules and report subscriptions;
``send_alerts`` mails each reader one message with what triggered.

Everything that goes into a mail passes the access gate at send time, for the reader's plan as
it is then: a price before its release instant, a premium series after a downgrade, a report
above the plan — none of them is ever written into a message. What was mailed is recorded per
reader and subject, so a rerun the same day sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from metalwire.accounts.gate import (
    Principal,
    is_readable,
    may_read_series_value,
    may_read_tier,
    released,
)
from metalwire.accounts.mail import send_mail
from metalwire.accounts.models import User
from metalwire.accounts.service import principal_of
from metalwire.alerts import rules
from metalwire.alerts.models import AlertDelivery, PriceAlert, ReportSubscription
from metalwire.audit import record
from metalwire.catalog import service as catalog
from metalwire.catalog.lifecycle import market_today
from metalwire.catalog.models import CatalogGroup, PriceSeries, SeriesStatus
from metalwire.catalog.units import price_unit_label
from metalwire.db.engine import transaction
from metalwire.errors import InvalidInput
from metalwire.i18n import N_, fmt_date, fmt_number, reader_lang
from metalwire.i18n import gettext_in as _t  # the name `make messages` extracts
from metalwire.newsroom import service as newsroom
from metalwire.newsroom.models import Article
from metalwire.pricing.published import published_prices
from metalwire.settings import Settings

log = logging.getLogger("metalwire.alerts")

MAX_PRICE_ALERTS = 50  # per reader: enough for a trading book, not a way to mail the catalog


class AlertRefused(InvalidInput):
    """A refused alert setting, located at the form field it names (``field``). ``message`` is
    an English msgid with %(name)s placeholders, so the page can show it in the reader's
    language (``text``); the located problem reads it in English."""

    def __init__(self, field: str, message: str, **params: str) -> None:
        self.msgid = message
        self.params = params
        super().__init__(self.text(lambda m: m), field=field)

    @property
    def field(self) -> str:
        """The form field refused: the located problem's."""
        return self.problems[0].field or ""

    @property
    def message(self) -> str:
        """The msgid, not ``str(self)`` as for other ServiceErrors: the page translates it."""
        return self.msgid

    def text(self, gettext: Callable[[str], str]) -> str:
        translated = gettext(self.msgid)
        return translated % self.params if self.params else translated


# --- settings ----------------------------------------------------------------------------------


def price_alerts(session: Session, user_id: int) -> list[PriceAlert]:
    query = (
        select(PriceAlert)
        .join(PriceSeries, PriceAlert.series_id == PriceSeries.id)
        .where(PriceAlert.user_id == user_id)
        .order_by(PriceSeries.code)
    )
    return list(session.scalars(query))


def report_groups(session: Session, user_id: int) -> set[str]:
    query = select(ReportSubscription.group_code).where(ReportSubscription.user_id == user_id)
    return set(session.scalars(query))


def group_names(session: Session) -> list[CatalogGroup]:
    """The catalog groups a reader may subscribe to, in the navigation's order."""
    return list(session.scalars(select(CatalogGroup).order_by(CatalogGroup.position)))


def _alertable_series(session: Session, principal: Principal, code: str) -> PriceSeries:
    """The series a rule may watch: known, still published, and within the reader's plan."""
    code = code.strip()
    if not code:
        raise AlertRefused("series", N_("Series: give the code of a price series."))
    series = catalog.get_series(session, code) or catalog.get_series(session, code.upper())
    if series is None:
        raise AlertRefused("series", N_("Series: there is no price series %(code)s."), code=code)
    if series.status is not SeriesStatus.ACTIVE:
        raise AlertRefused(
            "series",
            N_("Series: %(code)s is discontinued; it publishes no new prices."),
            code=series.code,
        )
    if not may_read_tier(principal, series.tier.value, series.commodity.entry.group.code):
        raise AlertRefused(
            "series",
            N_(
                "Series: your plan does not include %(code)s, so you cannot set an alert on "
                "it. Subscribe to see this price."
            ),
            code=series.code,
        )
    return series


def set_price_alert(
    session: Session, user: User, series_code: str, threshold: str, *, actor: str
) -> PriceAlert:
    """Add a rule, or change the threshold of the reader's rule on that series."""
    series = _alertable_series(session, principal_of(user), series_code)
    try:
        threshold_pct = rules.parse_threshold(threshold)
    except rules.ThresholdError as exc:
        raise AlertRefused("threshold", str(exc)) from None
    existing = session.scalar(
        select(PriceAlert).where(PriceAlert.user_id == user.id, PriceAlert.series_id == series.id)
    )
    before = None
    if existing is None:
        if len(price_alerts(session, user.id)) >= MAX_PRICE_ALERTS:
            raise AlertRefused(
                "series",
                N_("Series: you have %(count)s price alerts, the most an account may keep."),
                count=str(MAX_PRICE_ALERTS),
            )
        existing = PriceAlert(user_id=user.id, series_id=series.id, threshold_pct=threshold_pct)
        session.add(existing)
    else:
        before = {"threshold_pct": existing.threshold_pct}
        existing.threshold_pct = threshold_pct
    session.flush()
    record(
        session,
        actor=actor,
        action="set-price-alert",
        object_type="price_alert",
        object_id=f"{user.email}:{series.code}",
        before=before,
        after={"threshold_pct": threshold_pct},
    )
    return existing


def delete_price_alert(session: Session, user: User, alert_id: int, *, actor: str) -> bool:
    """Delete one of the reader's own rules; another reader's id deletes nothing."""
    alert = session.get(PriceAlert, alert_id)
    if alert is None or alert.user_id != user.id:
        return False
    code = alert.series.code
    session.delete(alert)
    record(
        session,
        actor=actor,
        action="delete-price-alert",
        object_type="price_alert",
        object_id=f"{user.email}:{code}",
        before={"threshold_pct": alert.threshold_pct},
    )
    return True


def set_report_groups(
    session: Session, user: User, groups: Iterable[str], *, actor: str, now: dt.datetime
) -> set[str]:
    """The catalog groups whose new reports the reader wants mailed (replaces the old set)."""
    wanted = {g.strip() for g in groups if g.strip()}
    unknown = sorted(wanted - catalog.known_group_codes(session))
    if unknown:
        raise AlertRefused(
            "groups", N_("Reports: there is no group %(code)s."), code=", ".join(unknown)
        )
    current = report_groups(session, user.id)
    if wanted == current:
        return current
    session.execute(
        delete(ReportSubscription).where(
            ReportSubscription.user_id == user.id,
            ReportSubscription.group_code.in_(sorted(current - wanted)),
        )
    )
    for code in sorted(wanted - current):
        session.add(ReportSubscription(user_id=user.id, group_code=code, created_at=now))
    session.flush()
    record(
        session,
        actor=actor,
        action="set-report-groups",
        object_type="user",
        object_id=user.email,
        before={"groups": sorted(current)},
        after={"groups": sorted(wanted)},
    )
    return wanted


# --- what is due -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceNotice:
    series: PriceSeries
    triggered: rules.Triggered

    @property
    def subject(self) -> str:
        return f"price:{self.series.code}:{self.triggered.move.market_date.isoformat()}"


@dataclass(frozen=True)
class ReportNotice:
    article: Article

    @property
    def subject(self) -> str:
        return f"report:{self.article.slug}"


Notice = PriceNotice | ReportNotice


def _released_move(
    session: Session, principal: Principal, series: PriceSeries, day: dt.date, now: dt.datetime
) -> rules.Move | None:
    """The series' move on ``day`` as the principal may read it now, or None."""
    prices = published_prices(session, series, as_of=now, start=day, end=day)
    if not prices:
        return None
    price = prices[-1]
    decision = may_read_series_value(principal, series, price.market_date, price.release_at, now)
    if not decision or price.change is None:
        return None
    return rules.Move(series.code, price.market_date, price.mid - price.change, price.mid)


def _price_notices(
    session: Session, principal: Principal, user_id: int, day: dt.date | None, now: dt.datetime
) -> list[PriceNotice]:
    alerts = price_alerts(session, user_id)
    by_code = {a.series.code: a.series for a in alerts}
    moves = {}
    for series in by_code.values():
        move = _released_move(session, principal, series, day or market_today(series, now), now)
        if move is not None:
            moves[series.code] = move
    wanted = [rules.PriceRule(a.id, a.series.code, a.threshold_pct) for a in alerts]
    return [PriceNotice(by_code[t.rule.series_code], t) for t in rules.evaluate(wanted, moves)]


def _published_since(subscription: ReportSubscription) -> ColumnElement[bool]:
    """Reports that came out once the reader had subscribed: the subscription's own bound, not
    visibility (which the gate's ``released`` decides)."""
    return Article.publish_at >= subscription.created_at


def _report_notices(
    session: Session, principal: Principal, user_id: int, now: dt.datetime
) -> list[ReportNotice]:
    """Reports of the reader's groups published since they subscribed, readable in full."""
    subscriptions = session.scalars(
        select(ReportSubscription).where(ReportSubscription.user_id == user_id)
    )
    notices = []
    for subscription in subscriptions:
        articles = session.scalars(
            select(Article)
            .where(
                Article.group_code == subscription.group_code,
                released(Article, now),
                _published_since(subscription),
            )
            .order_by(Article.publish_at, Article.id)
        )
        for article in articles:
            if is_readable(article, now) and newsroom.may_read_body(principal, article):
                notices.append(ReportNotice(article))
    return notices


def due_notices(
    session: Session, user: User, *, now: dt.datetime, day: dt.date | None = None
) -> list[Notice]:
    """What the reader should be mailed now and has not been: through the gate, for the plan
    the reader holds at this moment."""
    principal = principal_of(user)
    notices: list[Notice] = [
        *_price_notices(session, principal, user.id, day, now),
        *_report_notices(session, principal, user.id, now),
    ]
    sent = set(
        session.scalars(
            select(AlertDelivery.subject).where(
                AlertDelivery.user_id == user.id,
                AlertDelivery.subject.in_([n.subject for n in notices]),
            )
        )
    )
    return [n for n in notices if n.subject not in sent]


# --- the message -------------------------------------------------------------------------------


def _signed_pct(value: Decimal, lang: str) -> str:
    # An arrow and a sign, never colour alone (a plain-text mail has no colour anyway).
    arrow = "▲ +" if value > 0 else ("▼ −" if value < 0 else "")
    return f"{arrow}{fmt_number(abs(value), lang, 2)}%"


def _price_line(notice: PriceNotice, lang: str, base_url: str) -> str:
    series, triggered = notice.series, notice.triggered
    move, decimals = triggered.move, series.decimals
    unit = price_unit_label(series.currency, series.unit, lang)
    name = series.name_zh if lang == "zh" else series.name_en
    detail = _t(lang, "previous %(previous)s; your threshold %(threshold)s%%") % {
        "previous": fmt_number(move.previous_mid, lang, decimals),
        "threshold": fmt_number(triggered.rule.threshold_pct, lang),
    }
    return (
        f"- {name} ({series.code}), {fmt_date(move.market_date, lang)}: "
        f"{fmt_number(move.current_mid, lang, decimals)} {unit}, "
        f"{_signed_pct(triggered.change_pct, lang)} ({detail})\n"
        f"  {base_url}/series/{series.code}"
    )


def _report_line(notice: ReportNotice, lang: str, base_url: str) -> str:
    text = newsroom.translation(notice.article, lang)
    return f"- {text.title}\n  {base_url}/articles/{notice.article.slug}"


def compose(notices: Sequence[Notice], lang: str, base_url: str, day: dt.date) -> tuple[str, str]:
    """(subject, body) of the one message a reader gets for a run."""
    base = base_url.rstrip("/")
    prices = [n for n in notices if isinstance(n, PriceNotice)]
    reports = [n for n in notices if isinstance(n, ReportNotice)]
    parts = []
    if prices:
        lines = [_price_line(n, lang, base) for n in prices]
        heading = _t(lang, "Prices that moved by at least your threshold:")
        parts.append(heading + "\n\n" + "\n".join(lines))
    if reports:
        lines = [_report_line(n, lang, base) for n in reports]
        parts.append(_t(lang, "New reports:") + "\n\n" + "\n".join(lines))
    parts.append(
        _t(lang, "You set these alerts on your account page; change or delete them there:")
        + f"\n{base}/account"
    )
    subject = _t(lang, "metalwire alerts, %(date)s") % {"date": fmt_date(day, lang)}
    return subject, "\n\n".join(parts) + "\n"


# --- sending -----------------------------------------------------------------------------------


@dataclass
class SendReport:
    mailed: dict[str, int] = field(default_factory=dict)  # e-mail -> notices in the message
    unsent: list[str] = field(default_factory=list)  # no mail server: logged, not recorded
    failed: dict[str, str] = field(default_factory=dict)  # e-mail -> the mail server's refusal


class _NotSent(Exception):
    """No mail server configured: roll the deliveries back so a later run sends them."""


def _readers(session: Session) -> list[int]:
    with_rules = select(PriceAlert.user_id).union(select(ReportSubscription.user_id))
    query = (
        select(User.id).where(User.id.in_(with_rules), User.is_active.is_(True)).order_by(User.id)
    )
    return list(session.scalars(query))


def _mail_reader(
    session: Session, user: User, settings: Settings, *, now: dt.datetime, day: dt.date | None
) -> int:
    """Mail one reader what is due; returns how many notices went out (0: nothing due)."""
    notices = due_notices(session, user, now=now, day=day)
    if not notices:
        return 0
    # Claim the subjects before sending: a concurrent run trips on the unique constraint
    # instead of mailing the same alert twice.
    for notice in notices:
        delivery = AlertDelivery(
            user_id=user.id, subject=notice.subject, detail=_detail(notice), sent_at=now
        )
        session.add(delivery)
    session.flush()
    lang = reader_lang(user.lang)
    subject, body = compose(notices, lang, settings.base_url, day or _newest_day(notices, now))
    record(
        session,
        actor="alerts",
        action="mail-alerts",
        object_type="user",
        object_id=user.email,
        after={"subjects": [n.subject for n in notices]},
    )
    if not send_mail(settings, user.email, subject, body):
        raise _NotSent
    return len(notices)


def _newest_day(notices: Sequence[Notice], now: dt.datetime) -> dt.date:
    """The market date a message is about: its newest move (a Shanghai date may be ahead of
    the UTC one), or today when it carries only reports."""
    days = [n.triggered.move.market_date for n in notices if isinstance(n, PriceNotice)]
    return max(days, default=now.date())


def _detail(notice: Notice) -> dict[str, str]:
    if isinstance(notice, ReportNotice):
        return {"slug": notice.article.slug}
    move = notice.triggered.move
    return {
        "previous_mid": str(move.previous_mid),
        "mid": str(move.current_mid),
        "change_pct": str(notice.triggered.change_pct),
        "threshold_pct": str(notice.triggered.rule.threshold_pct),
    }


def send_alerts(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    now: dt.datetime,
    day: dt.date | None = None,
) -> SendReport:
    """Evaluate every reader's rules and mail each reader one message; each reader in their own
    transaction, so one refused address does not hold back the others' mail."""
    report = SendReport()
    with sessions() as session:
        readers = _readers(session)
    for user_id in readers:
        email = ""
        try:
            with transaction(sessions) as session:
                user = session.get(User, user_id)
                if user is None:
                    continue
                email = user.email
                count = _mail_reader(session, user, settings, now=now, day=day)
            if count:
                report.mailed[email] = count
        except _NotSent:
            report.unsent.append(email)
        except IntegrityError:
            # Another run claimed these subjects first and mails them: nothing to do here.
            log.info("alerts for %s are being sent by another run", email)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("alert mail to %s failed: %s", email, exc)
            report.failed[email] = str(exc) or type(exc).__name__
    return report
