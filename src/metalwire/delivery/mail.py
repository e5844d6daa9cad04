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
from sqlalchemy.orm import Session

from metalwire.accounts.mail import send_mail
from metalwire.accounts.models import User
from metalwire.alerts.models import AlertDelivery, PriceAlert
from metalwire.catalog.units import price_unit_label
from metalwire.delivery.content import Data
from metalwire.delivery.models import Delivery
from metalwire.delivery.webhook_sender import Outcome
from metalwire.i18n import fmt_date, fmt_number, translations
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


def _t(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def _lang(user: User) -> str:
    return user.lang if user.lang in ("en", "zh") else "en"


def _signed_pct(value: Decimal, lang: str) -> str:
    arrow = "▲ +" if value > 0 else ("▼ −" if value < 0 else "")
    return f"{arrow}{fmt_number(abs(value), lang, 2)}%"


def _price_text(data: Data, lang: str) -> str:
    price = data["price"]
    unit = price_unit_label(data["currency"], data["unit"], lang)
    name = data["name_zh"] if lang == "zh" else data["name"]
    day = fmt_date(dt.date.fromisoformat(price["date"]), lang)
    mid = fmt_number(Decimal(price["mid"]), lang)
    return f"{name} ({data['series']}), {day}: {mid} {unit}"


def _price_alert(session: Session, user: User, data: Data, base: str) -> tuple[str, str, str] | str:
    alert = session.scalar(
        select(PriceAlert).where(
            PriceAlert.user_id == user.id, PriceAlert.series.has(code=data["series"])
        )
    )
    change_pct = data["price"]["change_pct"]
    if alert is None:
        return "the reader removed the alert"
    if change_pct is None or abs(Decimal(change_pct)) < alert.threshold_pct:
        return "the move is below the reader's threshold"
    lang = _lang(user)
    threshold = fmt_number(alert.threshold_pct, lang)
    body = (
        _t(lang, "Prices that moved by at least your threshold:")
        + f"\n\n- {_price_text(data, lang)}, {_signed_pct(Decimal(change_pct), lang)} "
        + f"({threshold}%)\n  {base}/series/{data['series']}"
    )
    subject = _t(lang, "metalwire alerts, %(date)s") % {
        "date": fmt_date(dt.date.fromisoformat(data["price"]["date"]), lang)
    }
    return subject, body, f"price:{data['series']}:{data['price']['date']}"


def _correction(user: User, data: Data, base: str) -> tuple[str, str, str]:
    lang = _lang(user)
    correction = data["correction"]
    subject = _t(lang, "metalwire correction: %(series)s") % {"series": data["series"]}
    body = (
        _t(lang, "A price you were sent has been corrected:")
        + f"\n\n- {_price_text(data, lang)}\n  {correction['reason']}"
        + f"\n  {base}/series/{data['series']}"
    )
    day = data["price"]["date"]
    return subject, body, f"correction:{data['series']}:{day}:v{correction['version']}"


def _report(user: User, data: Data, base: str) -> tuple[str, str, str]:
    lang = _lang(user)
    title = data["title_zh"] if lang == "zh" else data["title"]
    subject = _t(lang, "New reports:").rstrip(":：") + f": {title}"
    body = _t(lang, "New reports:") + f"\n\n- {title}\n  {base}/articles/{data['slug']}"
    return subject, body, f"report:{data['slug']}"


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
    if event.kind is EventKind.PRICE_RELEASED:
        made = _price_alert(session, user, data, base)
    elif event.kind is EventKind.PRICE_CORRECTED:
        made = _correction(user, data, base)
    elif event.kind is EventKind.REPORT_PUBLISHED:
        made = _report(user, data, base)
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
    footer = _t(
        _lang(user), "You set these alerts on your account page; change or delete them there:"
    )
    return MailRequest(
        delivery.id,
        user.email,
        subject,
        f"{body}\n\n{footer}\n{base}/account\n",
        record_subject,
        user.id,
    )


def send(request: MailRequest, settings: Settings) -> Outcome:
    if not settings.smtp_host:
        return Outcome(request.delivery_id, False, error="no mail server (METALWIRE_SMTP_HOST)")
    try:
        send_mail(settings, request.to, request.subject, request.body)
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(request.delivery_id, False, error=(str(exc) or type(exc).__name__)[:300])
    return Outcome(request.delivery_id, True)
