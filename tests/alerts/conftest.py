"""Alert test helpers: a released two-day market and a local SMTP server (the password-reset
tests' fixture, reused)."""

from __future__ import annotations

import datetime as dt
import time
from email.message import Message
from functools import partial

from metalwire.settings import Settings, load_settings
from tests import support
from tests.conftest import ScratchDatabase
from tests.support import Deals, three_deals
from tests.web.test_account_pages import smtp

__all__ = ["smtp"]

SILVER = "AG-INGOT-CN-SPOT"  # free, 0 decimals, released 11:30 Shanghai (03:30 UTC)
PREMIUM = "AG-INGOT-CN-PREMIUM"  # premium tier, same release time
DAY = dt.date(2026, 11, 25)  # a Wednesday
PREVIOUS_DAY = dt.date(2026, 11, 24)
BEFORE_RELEASE = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
AFTER_RELEASE = dt.datetime(2026, 11, 25, 3, 31, tzinfo=dt.UTC)


def around(mid: int, spread: int = 10) -> Deals:
    """Three deals around ``mid``: the assessed mid is ``mid``."""
    return three_deals(str(mid - spread), str(mid), str(mid + spread))


# Approved well before release: released on time.
publish = partial(support.publish, approved_at=BEFORE_RELEASE - dt.timedelta(1))


def mail_settings(db: ScratchDatabase, port: int) -> Settings:
    return load_settings(
        database_url=db.url, smtp_host="127.0.0.1", smtp_port=port, base_url="http://mw.test"
    )


def wait_for(received: list[object], count: int, within: float = 5) -> list[Message]:
    """The messages received, once ``count`` are in or ``within`` seconds have passed."""
    deadline = time.monotonic() + within
    while len(received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return [m for m in received if isinstance(m, Message)]


# Alerts go out through smtplib, which returns only after the server has answered the message
# (the test server stores it before it answers): when send_alerts or the CLI returns, every
# message it sent is in. A check that one did NOT come waits this long for a late one, not the
# whole 5 s a message that does come may take.
NO_MORE = 0.5


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()
