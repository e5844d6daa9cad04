"""E-mail through the outbox: a price alert when a released price moved by the reader's
threshold, a report notice when a report of a subscribed group is out, and a correction to
everyone who was mailed the value it corrects, each in the reader's language.

What is mailed is recorded as an ``AlertDelivery`` (the alerts' own record, by subject), so
``metalwire alerts send`` never mails it again and a later correction knows who had it.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from metalwire.accounts.mail import send_mail
from metalwire.accounts.models import User
from metalwire.alerts import rules
from metalwire.alerts import service as alerts
from metalwire.alerts.models import AlertDelivery, PriceAlert
from metalwire.catalog.units import price_unit_label
from metalwire.delivery.content import Data
from metalwire.delivery.models import Delivery
from metalwire.delivery.webhook_sender import Outcome
from metalwire.i18n import fmt_date, fmt_number, reader_lang
from metalwire.i18n import gettext_in as _t  # the name `make messages` extracts
from metalwire.newsroom.models import Article
from metalwire.outbox.models import EventKind, ReleaseEvent
from metalwire.settings import Settings


@dataclass(frozen=True)
class MailRequest:
    delivery_id: str
    to: str
    subject: str
    body: str
    # The alerts' record of what was mailed (subject, detail), written when it is sent.
    record_subject: str
    user_id: int


Made = tuple[str, str, str]  # (mail subject, body, the alerts' record subject)


def _price_alert(session: Session, user: User, data: Data, base: str) -> Made | str:
    """The alert as ``metalwire alerts send`` words it, judged by the same rule: the move of
    the released mid against the previous released mid (a premium series, which publishes no
    percent change, included), rounded as the site shows it."""
    alert = session.scalar(
        select(PriceAlert).where(
            PriceAlert.user_id == user.id, PriceAlert.series.has(code=data["series"])
        )
    )
    if alert is None:
        return "the reader removed the alert"
    price, code = data["price"], data["series"]
    if price["change"] is None:
        return "no earlier released price to move from"
    mid, day = Decimal(price["mid"]), dt.date.fromisoformat(price["date"])
    move = rules.Move(code, day, mid - Decimal(price["change"]), mid)
    rule = rules.PriceRule(alert.id, code, alert.threshold_pct)
    triggered = rules.evaluate([rule], {code: move})
    if not triggered:
        return "the move is below the reader's threshold"
    notice = alerts.PriceNotice(alert.series, triggered[0])
    subject, body = alerts.compose([notice], reader_lang(user.lang), base, day)
    return subject, body, notice.subject


def _price_text(data: Data, lang: str) -> str:
    price = data["price"]
    unit = price_unit_label(data["currency"], data["unit"], lang)
    name = data["name_zh"] if lang == "zh" else data["name"]
    day = fmt_date(dt.date.fromisoformat(price["date"]), lang)
    mid = fmt_number(Decimal(price["mid"]), lang)
    return f"{name} ({data['series']}), {day}: {mid} {unit}"


def _correction_notice(correction: Data, lang: str) -> str:
    """The platform's notice of the correction in the reader's language (the reason inside as
    the editor wrote it); a payload from before the notices were carried: the reason alone."""
    said = correction.get("notice_zh") if lang == "zh" else correction.get("notice")
    return str(said or correction.get("notice") or correction["reason"])


def _correction(user: User, data: Data, base: str) -> Made:
    lang = reader_lang(user.lang)
    correction = data["correction"]
    subject = _t(lang, "metalwire correction: %(series)s") % {"series": data["series"]}
    footer = _t(lang, "You set these alerts on your account page; change or delete them there:")
    body = (
        _t(lang, "A price you were sent has been corrected:")
        + f"\n\n- {_price_text(data, lang)}\n  {_correction_notice(correction, lang)}"
        + f"\n  {base}/series/{data['series']}\n\n{footer}\n{base}/account\n"
    )
    day = data["price"]["date"]
    return subject, body, f"correction:{data['series']}:{day}:v{correction['version']}"


def _report(session: Session, event: ReleaseEvent, user: User, base: str) -> Made | str:
    """The report notice as ``metalwire alerts send`` words it."""
    article = session.get(Article, event.refs["article_id"])
    if article is None or article.publish_at is None:
        return "the report was withdrawn"
    notice = alerts.ReportNotice(article)
    subject, body = alerts.compose(
        [notice], reader_lang(user.lang), base, article.publish_at.date()
    )
    return subject, body, notice.subject


def prepare(
    session: Session,
    delivery: Delivery,
    event: ReleaseEvent,
    user: User,
    data: Data,
    settings: Settings,
    now: dt.datetime,
) -> MailRequest | str:
    """The message for this reader, or why none goes (a reason, recorded as withheld)."""
    base = settings.base_url.rstrip("/")
    made: Made | str
    if event.kind is EventKind.PRICE_RELEASED:
        made = _price_alert(session, user, data, base)
    elif event.kind is EventKind.PRICE_CORRECTED:
        made = _correction(user, data, base)
    elif event.kind is EventKind.REPORT_PUBLISHED:
        made = _report(session, event, user, base)
    else:
        return f"no e-mail for {event.kind.value}"
    if isinstance(made, str):
        return made
    subject, body, record_subject = made
    already = session.scalar(
        select(AlertDelivery.id).where(
            AlertDelivery.user_id == user.id, AlertDelivery.subject == record_subject
        )
    )
    if already is not None:
        return "already mailed"
    return MailRequest(delivery.id, user.email, subject, body, record_subject, user.id)


def record_mailed(session: Session, request: MailRequest, now: dt.datetime) -> None:
    """The alerts' record of a sent mail. A ``metalwire alerts send`` that mailed the same
    subject in the meantime already wrote it: that is kept, and this batch's record stands."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(AlertDelivery)
        .values(
            user_id=request.user_id,
            subject=request.record_subject,
            detail={"delivery": request.delivery_id},
            sent_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "subject"])
    )


def send(request: MailRequest, settings: Settings) -> Outcome:
    if not settings.smtp_host:
        return Outcome(request.delivery_id, False, error="no mail server (METALWIRE_SMTP_HOST)")
    try:
        send_mail(settings, request.to, request.subject, request.body)
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(request.delivery_id, False, error=(str(exc) or type(exc).__name__)[:300])
    return Outcome(request.delivery_id, True)
