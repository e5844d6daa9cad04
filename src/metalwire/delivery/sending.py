"""Sending what was prepared: the webhooks of a batch together (webhook_sender), the mails
on a few threads (an SMTP conversation is blocking), the withheld ones not at all."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from metalwire.delivery import mail
from metalwire.delivery.preparing import Prepared, Withheld
from metalwire.delivery.webhook_sender import Outcome, WebhookRequest, WebhookSender
from metalwire.settings import Settings

MAIL_THREADS = 4

Result = Outcome | Withheld


def send_prepared(
    prepared: Sequence[Prepared], settings: Settings, sender: WebhookSender
) -> list[Result]:
    hooks = [p for p in prepared if isinstance(p, WebhookRequest)]
    mails = [p for p in prepared if isinstance(p, mail.MailRequest)]
    results: list[Result] = [p for p in prepared if isinstance(p, Withheld)]
    results += sender.post_all(hooks)
    if mails:
        with ThreadPoolExecutor(max_workers=MAIL_THREADS) as pool:
            results += list(pool.map(lambda m: mail.send(m, settings), mails))
    return results
