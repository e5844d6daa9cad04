"""E-mail through the outbox on a real SMTP server, on both databases: a price alert at the
release instant in the reader's language (a premium series' move counted as the batch counts
it), nothing below the threshold, a report notice at its publish time and not before, the
worker and ``metalwire alerts send`` never mailing the same thing twice, the correction to
everyone who was sent the value (and nobody else), and nothing premium after a downgrade."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from email.header import decode_header, make_header
from email.message import Message

from sqlalchemy import select

from metalwire.accounts import service as accounts
from metalwire.accounts.models import User
from metalwire.alerts import service as alerts
from metalwire.alerts.models import AlertDelivery
from metalwire.delivery import claims
from metalwire.delivery.models import Channel, Delivery, DeliveryStatus
from metalwire.delivery.worker import StepReport, Worker
from metalwire.newsroom import publishing, reports
from metalwire.outbox.models import EventKind, ReleaseEvent
from metalwire.pricing import review
from metalwire.settings import Settings
from tests.alerts.conftest import NO_MORE, around, body_of, wait_for
from tests.conftest import Desk
from tests.delivery.conftest import (
    DAY,
    PREMIUM,
    RELEASE,
    SILVER,
    Receiver,
    delivery_settings,
    reader,
    webhook,
)
from tests.support import publish

Mailbox = tuple[int, list[object]]
PREVIOUS_DAY = DAY - dt.timedelta(days=1)
CORRECTED_AT = RELEASE + dt.timedelta(hours=2)


def _settings(desk: Desk, port: int) -> Settings:
    return delivery_settings(desk.db, smtp_host="127.0.0.1", smtp_port=port)


def _step(desk: Desk, port: int, at: dt.datetime) -> StepReport:
    """One worker pass at ``at`` (its clock stands there)."""
    worker = Worker(
        desk.db.sessions, _settings(desk, port), name=f"w-{at:%H%M%S%f}", clock=lambda: at
    )
    return worker.step()


def _previous_day(desk: Desk, port: int) -> None:
    """Silver 7,800 and the premium 40 released the day before (fanned out to nobody yet)."""
    publish(desk, SILVER, PREVIOUS_DAY, around(7800))
    publish(desk, PREMIUM, PREVIOUS_DAY, around(40, spread=1))
    _step(desk, port, RELEASE - dt.timedelta(hours=1))


def _today(desk: Desk) -> None:
    """Silver 8,000 (+2.56%) and the premium 44 (+10.00%), approved before 11:30 Shanghai."""
    publish(desk, SILVER, DAY, around(8000))
    publish(desk, PREMIUM, DAY, around(44, spread=1))


def alert(desk: Desk, user: User, code: str, threshold: str) -> None:
    with desk.db.transaction() as session:
        found = session.get(User, user.id)
        assert found is not None
        alerts.set_price_alert(session, found, code, threshold, actor=found.email)


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _mailed(desk: Desk) -> set[tuple[int, str]]:
    with desk.db.session() as session:
        return {(a.user_id, a.subject) for a in session.scalars(select(AlertDelivery))}


def _mail_statuses(desk: Desk) -> dict[int, str]:
    with desk.db.session() as session:
        rows = session.scalars(select(Delivery).where(Delivery.channel == Channel.EMAIL))
        return {d.target: d.status.value for d in rows}


def test_an_alert_is_mailed_at_the_release_instant_in_the_readers_language(
    desk: Desk, smtp: Mailbox
) -> None:
    port, received = smtp
    _previous_day(desk, port)
    zh = reader(desk.db, "zh@mill.cn", "free", lang="zh")
    calm = reader(desk.db, "calm@mill.cn", "free")
    paid = reader(desk.db, "paid@fund.io", "subscriber")
    alert(desk, zh, SILVER, "2.56")  # the move exactly
    alert(desk, calm, SILVER, "2.57")  # just above it: withheld, nothing mailed
    alert(desk, paid, PREMIUM, "5")  # a premium series: no published percent, +10.00% all the same
    _today(desk)

    early = _step(desk, port, RELEASE - dt.timedelta(microseconds=1))
    assert early.outcomes == {} and wait_for(received, 1, within=NO_MORE) == []
    report = _step(desk, port, RELEASE)

    assert report.delivered == 2 and report.withheld == 1 and report.failed == 0
    messages = {m["To"]: m for m in wait_for(received, 2)}
    assert sorted(messages) == ["paid@fund.io", "zh@mill.cn"]
    chinese = messages["zh@mill.cn"]
    assert subject_of(chinese) == "metalwire 提醒，2026年11月25日"
    body = body_of(chinese)
    assert "涨跌幅达到您所设阈值的价格：" in body and "前值 7,800" in body
    assert "8,000" in body and "▲ +2.56%" in body and "http://mw.test/series/" + SILVER in body
    assert "以下提醒在您的账户页面设置" in body
    english = body_of(messages["paid@fund.io"])
    assert subject_of(messages["paid@fund.io"]) == "metalwire alerts, Nov 25, 2026"
    assert "44" in english and "▲ +10.00%" in english and "previous 40" in english
    assert _mail_statuses(desk) == {zh.id: "delivered", calm.id: "withheld", paid.id: "delivered"}
    assert _mailed(desk) == {
        (zh.id, f"price:{SILVER}:2026-11-25"),
        (paid.id, f"price:{PREMIUM}:2026-11-25"),
    }
    # Nothing twice.
    assert _step(desk, port, RELEASE + dt.timedelta(minutes=1)).outcomes == {}
    assert len(wait_for(received, 3, within=NO_MORE)) == 2


def _daily_report(desk: Desk, publish_at: dt.datetime) -> str:
    with desk.db.transaction() as session:
        # The premium series is among its prices: the report is premium.
        article = reports.draft_daily_report(
            session, "precious-metals", DAY, actor="t", user=desk.analyst, now=RELEASE
        )
        publishing.publish(session, article, user=desk.editor, publish_at=publish_at, now=RELEASE)
        return article.slug


def _subscribe(desk: Desk, user: User, at: dt.datetime) -> None:
    with desk.db.transaction() as session:
        found = session.get(User, user.id)
        assert found is not None
        alerts.set_report_groups(session, found, ["precious-metals"], actor="t", now=at)


def test_a_report_notice_goes_out_at_its_publish_time_and_not_before(
    desk: Desk, smtp: Mailbox
) -> None:
    port, received = smtp
    _previous_day(desk, port)
    _today(desk)
    paid = reader(desk.db, "paid@fund.io", "subscriber", lang="zh")
    free = reader(desk.db, "free@mill.cn", "free")
    for user in (paid, free):
        _subscribe(desk, user, RELEASE)
    publish_at = RELEASE + dt.timedelta(hours=1)
    slug = _daily_report(desk, publish_at)

    before = _step(desk, port, publish_at - dt.timedelta(seconds=1))
    assert before.outcomes == {} and wait_for(received, 1, within=NO_MORE) == []
    report = _step(desk, port, publish_at)

    assert report.delivered == 1 and report.withheld == 1  # the free plan does not open it
    [message] = wait_for(received, 1)
    assert message["To"] == "paid@fund.io"
    assert subject_of(message) == "metalwire 提醒，2026年11月25日"
    body = body_of(message)
    assert body.startswith("新报告：") and f"http://mw.test/articles/{slug}" in body
    assert _mailed(desk) == {(paid.id, f"report:{slug}")}
    # The batch run afterwards finds it mailed.
    batch = alerts.send_alerts(desk.db.sessions, _settings(desk, port), now=publish_at)
    assert batch.mailed == {} and len(wait_for(received, 2, within=NO_MORE)) == 1


def test_the_worker_and_the_batch_never_mail_the_same_alert_twice(
    desk: Desk, smtp: Mailbox
) -> None:
    port, received = smtp
    _previous_day(desk, port)
    by_worker = reader(desk.db, "worker@mill.cn", "free")
    by_batch = reader(desk.db, "batch@mill.cn", "free")
    alert(desk, by_worker, SILVER, "1")
    _today(desk)
    settings = _settings(desk, port)

    # The worker mails at the instant; the day's batch then has nothing for that reader.
    assert _step(desk, port, RELEASE).delivered == 1
    assert wait_for(received, 1)[0]["To"] == "worker@mill.cn"
    later = alerts.send_alerts(desk.db.sessions, settings, now=RELEASE + dt.timedelta(hours=1))
    assert later.mailed == {} and len(wait_for(received, 2, within=NO_MORE)) == 1

    # A rule set after the fan-out is mailed by the batch; a correction's fan-out (below) and
    # the batch agree on the subject, so the batch's mail counts as the value sent.
    alert(desk, by_batch, SILVER, "1")
    batch = alerts.send_alerts(desk.db.sessions, settings, now=RELEASE + dt.timedelta(hours=1))
    assert batch.mailed == {"batch@mill.cn": 1}
    assert _mailed(desk) == {
        (by_worker.id, f"price:{SILVER}:2026-11-25"),
        (by_batch.id, f"price:{SILVER}:2026-11-25"),
    }


def test_a_delivery_already_mailed_by_the_batch_is_withheld(desk: Desk, smtp: Mailbox) -> None:
    port, received = smtp
    _previous_day(desk, port)
    user = reader(desk.db, "first@mill.cn", "free")
    alert(desk, user, SILVER, "1")
    _today(desk)
    with desk.db.transaction() as session:  # fanned out at the instant ...
        assert len(claims.dispatch_due(session, RELEASE)) == 2
    # ... and the batch runs before the worker sends.
    batch = alerts.send_alerts(desk.db.sessions, _settings(desk, port), now=RELEASE)
    assert batch.mailed == {"first@mill.cn": 1}

    report = _step(desk, port, RELEASE + dt.timedelta(seconds=1))

    assert report.withheld == 1 and report.delivered == 0
    assert len(wait_for(received, 2, within=NO_MORE)) == 1
    with desk.db.session() as session:
        (delivery,) = session.scalars(select(Delivery))
        assert delivery.last_error == "already mailed"


def _correct(desk: Desk, low: str, high: str, reason: str) -> None:
    with desk.db.transaction() as session:
        row = review.correct(
            session,
            SILVER,
            DAY,
            low=Decimal(low),
            high=Decimal(high),
            reason=reason,
            user=desk.analyst,
        )
        review.approve_assessment(session, row.id, user=desk.editor, now=CORRECTED_AT)


def test_a_correction_reaches_everyone_who_was_sent_the_value_and_nobody_else(
    desk: Desk, smtp: Mailbox, receiver: Receiver
) -> None:
    port, received = smtp
    _previous_day(desk, port)
    mailed = reader(desk.db, "a@mill.cn", "free", lang="zh")
    hooked = reader(desk.db, "b@fund.io", "free")
    quiet = reader(desk.db, "c@mill.cn", "free")
    stranger = reader(desk.db, "d@mill.cn", "free")
    alert(desk, mailed, SILVER, "2")
    webhook(desk.db, hooked, receiver.url + "/b", events=("price.released",), codes=(SILVER,))
    alert(desk, quiet, SILVER, "5")  # the move is below it: never sent the value
    webhook(desk.db, stranger, receiver.url + "/d", events=("price.released",), codes=(PREMIUM,))
    _today(desk)
    first = _step(desk, port, RELEASE)
    assert first.delivered == 2  # A's mail, B's webhook; C withheld, D's premium withheld
    assert len(wait_for(received, 1)) == 1 and len(receiver.at("/b")) == 1

    _correct(desk, "8090", "8110", "a deal entered twice")
    corrected = _step(desk, port, CORRECTED_AT)

    assert corrected.delivered == 2 and corrected.failed == 0
    messages = wait_for(received, 2)
    assert len(messages) == 2 and messages[1]["To"] == "a@mill.cn"
    assert subject_of(messages[1]) == f"metalwire 更正：{SILVER}"
    body = body_of(messages[1])
    assert "您收到的一个价格已更正：" in body and "8,100" in body and "a deal entered twice" in body
    # The platform's notice in the reader's language, never its English sentence.
    assert "更正第1版：" in body and "应为8090-8110。" in body and "should be" not in body
    (_first, hook) = receiver.at("/b")
    assert hook.headers["X-Metalwire-Event"] == "price.corrected"
    data = hook.json["data"]
    assert data["price"]["mid"] == "8100" and data["price"]["version"] == 2
    correction = data["correction"]
    assert correction["version"] == 2 and correction["reason"] == "a deal entered twice"
    assert correction["notice"].startswith("Correction of version 1: ")
    assert correction["notice"].endswith("should be 8090-8110. a deal entered twice")
    assert correction["notice_zh"].startswith("更正第1版：")
    assert receiver.at("/d") == [] and len(wait_for(received, 3, within=NO_MORE)) == 2
    with desk.db.session() as session:
        fanned = session.execute(
            select(Delivery.channel, Delivery.user_id, Delivery.status)
            .join(ReleaseEvent, ReleaseEvent.id == Delivery.event_id)
            .where(ReleaseEvent.kind == EventKind.PRICE_CORRECTED)
        )
        assert set(fanned) == {
            (Channel.EMAIL, mailed.id, DeliveryStatus.DELIVERED),
            (Channel.WEBHOOK, hooked.id, DeliveryStatus.DELIVERED),
        }
    assert (mailed.id, f"correction:{SILVER}:2026-11-25:v2") in _mailed(desk)


def test_a_downgrade_between_release_and_send_mails_nothing_premium(
    desk: Desk, smtp: Mailbox
) -> None:
    port, received = smtp
    _previous_day(desk, port)
    lapsing = reader(desk.db, "lapsing@fund.io", "subscriber")
    alert(desk, lapsing, PREMIUM, "5")
    _today(desk)
    with desk.db.transaction() as session:  # fanned out while the plan still held it
        claims.dispatch_due(session, RELEASE)
        assert session.scalar(select(Delivery.user_id)) == lapsing.id
    with desk.db.transaction() as session:
        accounts.set_plan(session, "lapsing@fund.io", "free", actor="t")

    report = _step(desk, port, RELEASE + dt.timedelta(seconds=1))

    assert report.withheld == 1 and report.delivered == 0
    assert wait_for(received, 1, within=NO_MORE) == [] and _mailed(desk) == set()
    with desk.db.session() as session:
        (delivery,) = session.scalars(select(Delivery))
        assert delivery.status is DeliveryStatus.WITHHELD
