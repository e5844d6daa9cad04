"""Sending alerts on both databases: what triggers, what the gate holds back at send time
(embargo, a downgraded plan), one message per reader, and no second mail on a rerun."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, User
from metalwire.alerts import service
from metalwire.alerts.models import AlertDelivery
from metalwire.errors import InvalidInput, Located
from metalwire.newsroom import publishing, reports
from metalwire.settings import load_settings
from metalwire.web.problems import service_problem
from tests.alerts.conftest import (
    AFTER_RELEASE,
    BEFORE_RELEASE,
    DAY,
    NO_MORE,
    PREMIUM,
    PREVIOUS_DAY,
    SILVER,
    around,
    body_of,
    mail_settings,
    publish,
    wait_for,
)
from tests.conftest import Desk, ScratchDatabase

Mailbox = tuple[int, list[object]]


def reader(db: ScratchDatabase, email: str, plan: str = "free", lang: str | None = None) -> User:
    role = Role.READER if plan == "free" else Role.SUBSCRIBER
    with db.transaction() as session:
        user = accounts.add_user(session, email, role=role, plan=plan, actor="t")
        user.lang = lang
    return user


def alert(db: ScratchDatabase, email: str, code: str, threshold: str) -> None:
    with db.transaction() as session:
        user = accounts.require_user(session, email)
        service.set_price_alert(session, user, code, threshold, actor=email)


@pytest.fixture
def market(desk: Desk) -> Desk:
    """Silver 7,800 -> 8,000 (+2.56%); the premium 40 -> 44 (+10.00%)."""
    publish(desk, SILVER, PREVIOUS_DAY, around(7800))
    publish(desk, SILVER, DAY, around(8000))
    publish(desk, PREMIUM, PREVIOUS_DAY, around(40, spread=1))
    publish(desk, PREMIUM, DAY, around(44, spread=1))
    return desk


def test_triggered_at_the_threshold_quiet_below_it(market: Desk, smtp: Mailbox) -> None:
    db, (port, received) = market.db, smtp
    reader(db, "trader@mill.cn")
    reader(db, "calm@mill.cn")
    alert(db, "trader@mill.cn", SILVER, "2.56")  # the move exactly
    alert(db, "calm@mill.cn", SILVER, "2.57")  # just above it
    report = service.send_alerts(db.sessions, mail_settings(db, port), now=AFTER_RELEASE, day=DAY)
    assert report.mailed == {"trader@mill.cn": 1} and not report.failed
    [message] = wait_for(received, 1)
    assert message["To"] == "trader@mill.cn"
    body = body_of(message)
    assert "AG-INGOT-CN-SPOT" in body and "8,000" in body and "▲ +2.56%" in body
    assert "previous 7,800" in body and "http://mw.test/series/AG-INGOT-CN-SPOT" in body


def test_nothing_before_the_release_instant(market: Desk, smtp: Mailbox) -> None:
    db, (port, received) = market.db, smtp
    reader(db, "early@mill.cn", plan="subscriber")
    alert(db, "early@mill.cn", SILVER, "1")
    alert(db, "early@mill.cn", PREMIUM, "1")
    settings = mail_settings(db, port)
    before = service.send_alerts(db.sessions, settings, now=BEFORE_RELEASE, day=DAY)
    assert before.mailed == {} and wait_for(received, 1, within=NO_MORE) == []
    # The default day is each series' market today; after 11:30 Shanghai both moves are out.
    after = service.send_alerts(db.sessions, settings, now=AFTER_RELEASE)
    assert after.mailed == {"early@mill.cn": 2}
    body = body_of(wait_for(received, 1)[0])
    assert "8,000" in body and "▲ +10.00%" in body


def test_a_downgraded_reader_gets_no_premium_move(market: Desk, smtp: Mailbox) -> None:
    db, (port, received) = market.db, smtp
    reader(db, "stays@fund.io", plan="subscriber")
    reader(db, "lapsed@fund.io", plan="subscriber")
    alert(db, "stays@fund.io", PREMIUM, "5")
    alert(db, "lapsed@fund.io", PREMIUM, "5")  # allowed while subscribed ...
    alert(db, "lapsed@fund.io", SILVER, "50")  # ... with a free rule that will not trigger
    with db.transaction() as session:
        accounts.set_plan(session, "lapsed@fund.io", "free", actor="t")  # ... then downgraded
    report = service.send_alerts(db.sessions, mail_settings(db, port), now=AFTER_RELEASE, day=DAY)
    assert report.mailed == {"stays@fund.io": 1}
    messages = wait_for(received, 1)
    assert [m["To"] for m in messages] == ["stays@fund.io"]
    assert "44" in body_of(messages[0])
    with db.session() as session:
        lapsed = accounts.require_user(session, "lapsed@fund.io")
        assert service.due_notices(session, lapsed, now=AFTER_RELEASE, day=DAY) == []


def test_a_rerun_sends_nothing_twice(market: Desk, smtp: Mailbox) -> None:
    db, (port, received) = market.db, smtp
    reader(db, "once@mill.cn", plan="subscriber", lang="zh")
    alert(db, "once@mill.cn", SILVER, "1")
    alert(db, "once@mill.cn", PREMIUM, "1")
    settings = mail_settings(db, port)
    first = service.send_alerts(db.sessions, settings, now=AFTER_RELEASE, day=DAY)
    again = service.send_alerts(
        db.sessions, settings, now=AFTER_RELEASE + dt.timedelta(hours=2), day=DAY
    )
    assert first.mailed == {"once@mill.cn": 2} and again.mailed == {}
    messages = wait_for(received, 2, within=NO_MORE)
    assert len(messages) == 1  # one message for both alerts, and only once
    assert "2026年11月25日" in body_of(messages[0])  # in the reader's language
    with db.session() as session:
        subjects = set(session.scalars(select(AlertDelivery.subject)))
    assert subjects == {f"price:{SILVER}:2026-11-25", f"price:{PREMIUM}:2026-11-25"}


def test_without_a_mail_server_nothing_is_recorded(market: Desk, smtp: Mailbox) -> None:
    db, (port, received) = market.db, smtp
    reader(db, "later@mill.cn")
    alert(db, "later@mill.cn", SILVER, "1")
    unsent = service.send_alerts(
        db.sessions, load_settings(database_url=db.url), now=AFTER_RELEASE, day=DAY
    )
    assert unsent.unsent == ["later@mill.cn"] and unsent.mailed == {}
    with db.session() as session:
        assert session.scalar(select(func.count(AlertDelivery.id))) == 0
    sent = service.send_alerts(db.sessions, mail_settings(db, port), now=AFTER_RELEASE, day=DAY)
    assert sent.mailed == {"later@mill.cn": 1} and len(wait_for(received, 1)) == 1


def test_a_refusing_mail_server_holds_back_only_that_message(market: Desk) -> None:
    db = market.db
    reader(db, "nobody@mill.cn")
    alert(db, "nobody@mill.cn", SILVER, "1")
    closed_port = 9  # discard: nothing listens there on a test machine
    report = service.send_alerts(db.sessions, mail_settings(db, closed_port), now=AFTER_RELEASE)
    assert list(report.failed) == ["nobody@mill.cn"] and report.mailed == {}
    with db.session() as session:
        assert session.scalar(select(func.count(AlertDelivery.id))) == 0


def test_alert_settings_are_refused_naming_the_field(market: Desk) -> None:
    db = market.db
    reader(db, "free@mill.cn")
    cases = [
        ("NOPE-SERIES", "2", "series", "there is no price series NOPE-SERIES"),
        (PREMIUM, "2", "series", "your plan does not include AG-INGOT-CN-PREMIUM"),
        ("", "2", "series", "give the code"),
        (SILVER, "0", "threshold", "more than 0"),
        (SILVER, "lots", "threshold", "number of percent"),
    ]
    for code, threshold, field, why in cases:
        with pytest.raises(service.AlertRefused, match=why) as refused, db.transaction() as s:
            user = accounts.require_user(s, "free@mill.cn")
            service.set_price_alert(s, user, code, threshold, actor="t")
        assert refused.value.field == field
        assert refused.value.problems[0].field == field
    alert(db, "free@mill.cn", SILVER.lower(), "2")  # codes are matched case-insensitively
    alert(db, "free@mill.cn", SILVER, "3")  # the same series again: the threshold changes
    with db.session() as session:
        user = accounts.require_user(session, "free@mill.cn")
        [only] = service.price_alerts(session, user.id)
        assert (only.series.code, str(only.threshold_pct)) == (SILVER, "3.00")


def test_a_refusal_is_invalid_input_located_at_its_field_and_translated_by_the_page() -> None:
    msgid = "Series: there is no price series %(code)s."
    refused = service.AlertRefused("series", msgid, code="NOPE")
    assert isinstance(refused, InvalidInput) and isinstance(refused, ValueError)
    assert refused.problems == (Located("Series: there is no price series NOPE.", field="series"),)
    assert str(refused) == "series: Series: there is no price series NOPE."
    assert (refused.field, refused.message, refused.params) == ("series", msgid, {"code": "NOPE"})
    chinese = {msgid: "系列：没有价格系列 %(code)s。"}
    assert refused.text(lambda m: chinese.get(m, m)) == "系列：没有价格系列 NOPE。"
    # Anywhere a ServiceError is rendered, it names its field like every other refusal.
    problem = service_problem(refused)
    assert (problem.status, problem.kind, problem.detail) == (
        422,
        "invalid-parameter",
        "series: Series: there is no price series NOPE.",
    )
    assert [(p.name, p.reason) for p in problem.invalid_params or []] == [
        ("series", "Series: there is no price series NOPE.")
    ]


def test_new_reports_of_a_group_within_the_plan(market: Desk, smtp: Mailbox) -> None:
    db, (port, received) = market.db, smtp
    reader(db, "news@mill.cn")
    reader(db, "paid@mill.cn", plan="subscriber")
    subscribed_at = AFTER_RELEASE
    with db.transaction() as session:
        for email in ("news@mill.cn", "paid@mill.cn"):
            user = accounts.require_user(session, email)
            service.set_report_groups(
                session, user, ["precious-metals"], actor=email, now=subscribed_at
            )
    published_at = AFTER_RELEASE + dt.timedelta(hours=1)
    with db.transaction() as session:
        # The premium series is among its prices: the report is premium.
        article = reports.draft_daily_report(
            session,
            "precious-metals",
            DAY,
            actor=market.analyst.email,
            user=market.analyst,
            now=published_at,
        )
        publishing.publish(session, article, user=market.editor, now=published_at)
        slug = article.slug
    settings = mail_settings(db, port)
    early = service.send_alerts(db.sessions, settings, now=published_at - dt.timedelta(minutes=1))
    assert early.mailed == {}
    report = service.send_alerts(db.sessions, settings, now=published_at + dt.timedelta(hours=1))
    assert report.mailed == {"paid@mill.cn": 1}  # the free reader's plan does not open it
    [message] = wait_for(received, 1)
    assert f"http://mw.test/articles/{slug}" in body_of(message)
    with pytest.raises(service.AlertRefused, match="no group atlantis"), db.transaction() as s:
        user = accounts.require_user(s, "news@mill.cn")
        service.set_report_groups(s, user, ["atlantis"], actor="t", now=subscribed_at)
