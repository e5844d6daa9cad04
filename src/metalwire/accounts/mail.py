"""Outgoing e-mail over SMTP (password resets; later alerts)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from metalwire.settings import Settings

log = logging.getLogger("metalwire.mail")


def send_mail(settings: Settings, to: str, subject: str, body: str) -> bool:
    """Send one plain-text message; without a configured server, log it (development)."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not settings.smtp_host:
        log.warning("no METALWIRE_SMTP_HOST: mail to %s not sent:\n%s", to, body)
        return False
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user and settings.smtp_password:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)
    return True
