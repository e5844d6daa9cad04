"""Every event kind through a webhook on a real HTTP receiver, on both databases:
``price.delayed`` once per series and day across workers (then the late value as
``price.released``), ``survey.released`` with its figures to a plan that reads the survey,
``report.published`` with its title and summary (nothing of a premium report to a free reader),
and ``window.opened`` / ``window.closed`` when a released price flips an arbitrage window."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from sqlalchemy import func, select

from metalwire.catalog.models import Tier
from metalwire.delivery.models import Delivery
from metalwire.delivery.worker import StepReport, Worker
from metalwire.newsroom import publishing, reports
from metalwire.outbox.models import EventKind, ReleaseEvent
from metalwire.supply import service as supply
from metalwire.supply.models import ReleaseStatus
from metalwire.supply.returns import import_returns
from tests.conftest import Desk, ScratchDatabase
from tests.delivery.conftest import (
    DAY,
    RELEASE,
    SILVER,
    Receiver,
    delivery_settings,
    reader,
    webhook,
)
from tests.markets.helpers import load
from tests.support import publish, three_deals


def _worker(db: ScratchDatabase, at: dt.datetime, name: str = "w") -> Worker:
    return Worker(db.sessions, delivery_settings(db), name=name, clock=lambda: at)


def _step(db: ScratchDatabase, at: dt.datetime) -> StepReport:
    return _worker(db, at, f"w-{at:%Y%m%d%H%M%S%f}").step()


def _events(db: ScratchDatabase, kind: EventKind) -> list[ReleaseEvent]:
    with db.session() as session:
        return list(session.scalars(select(ReleaseEvent).where(ReleaseEvent.kind == kind)))


def test_a_late_series_is_announced_once_across_workers_then_released(
    desk: Desk, receiver: Receiver
) -> None:
    watcher = reader(desk.db, "watch@firm.cn", "free")
    webhook(
        desk.db,
        watcher,
        receiver.url + "/silver",
        events=("price.released", "price.delayed"),
        codes=(SILVER,),
    )
    desk.submit(SILVER, DAY, three_deals("7700", "7710", "7720"))  # not approved by 11:30
    _step(desk.db, RELEASE - dt.timedelta(seconds=1))
    assert receiver.received == []
    assert [e.code for e in _events(desk.db, EventKind.PRICE_DELAYED)] == ["AG-LONDON-SPOT"]

    # Two workers at the instant (each looking back over the same window): one event.
    at = RELEASE + dt.timedelta(seconds=1)
    workers = [_worker(desk.db, at, f"racer-{n}") for n in range(2)]
    threads = [threading.Thread(target=w.step) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    _worker(desk.db, at + dt.timedelta(seconds=1), "third").step()

    delayed = [e for e in _events(desk.db, EventKind.PRICE_DELAYED) if e.code == SILVER]
    assert [(e.subject, e.due_at) for e in delayed] == [(f"{SILVER}/2026-11-25", RELEASE)]
    (notice,) = receiver.at("/silver")
    assert notice.headers["X-Metalwire-Event"] == "price.delayed"
    data = notice.json["data"]
    assert data["series"] == SILVER and data["date"] == "2026-11-25"
    assert data["scheduled_at"] == RELEASE.isoformat()
    assert notice.json["released_at"] == RELEASE.isoformat()

    late = RELEASE + dt.timedelta(minutes=40)
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=late)
    report = _step(desk.db, late)
    assert report.delivered == 1  # the delay not announced again
    (_notice, released) = receiver.at("/silver")
    assert released.headers["X-Metalwire-Event"] == "price.released"
    assert released.json["data"]["price"]["mid"] == "7710"
    assert released.json["data"]["price"]["released_at"] == late.isoformat()


SEPT = [
    "AG-OUT,2025-09,HN-1,Henan One,Henan,lead-smelter by-product,3600,300,40,290,,",
    "AG-OUT,2025-09,YN-1,Yunnan One,Yunnan,copper-smelter by-product,2400,200,30,200,,",
]
OCT = [
    "AG-OUT,2025-10,HN-1,,,,,290,20,280,maintenance,",
    "AG-OUT,2025-10,YN-1,,,,,180,15,150,maintenance;inventory-count,",
]
HEADER = (
    "survey,period,respondent,name,province,producer_type,capacity,production,inventory,"
    "forecast_next,reasons,note"
)
SURVEY_OUT = dt.datetime(2025, 10, 31, 12, 0, tzinfo=dt.UTC)  # 20:00 Shanghai on the 31st


def _released_survey(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "returns.csv"
    path.write_text("\n".join([HEADER, *SEPT, *OCT]) + "\n", encoding="utf-8")
    with desk.db.transaction() as session:
        survey = supply.create_survey(
            session,
            "AG-OUT",
            entry="silver",
            unit="mt",
            name_en="Silver ingot output",
            tier=Tier.PREMIUM,
            actor="t",
        )
        import_returns(session, path, actor="t")
        for period in ("2025-09", "2025-10"):
            supply.release(
                session,
                survey,
                period,
                status=ReleaseStatus.PRELIMINARY,
                user=desk.editor,
                now=dt.datetime(2025, 10, 1, tzinfo=dt.UTC),
            )


def test_a_survey_release_reaches_a_plan_that_reads_it_with_its_figures(
    desk: Desk, receiver: Receiver, tmp_path: Path
) -> None:
    paid = reader(desk.db, "paid@fund.io", "subscriber")
    free = reader(desk.db, "free@firm.cn", "free")
    for user, path in ((paid, "/paid"), (free, "/free")):
        webhook(desk.db, user, receiver.url + path, events=("survey.released",))
    _released_survey(desk, tmp_path)
    _step(desk.db, SURVEY_OUT - dt.timedelta(days=30, seconds=1))  # September's: out earlier
    receiver.received.clear()

    assert _step(desk.db, SURVEY_OUT - dt.timedelta(seconds=1)).outcomes == {}
    report = _step(desk.db, SURVEY_OUT)

    assert report.delivered == 1 and report.withheld == 1
    assert receiver.at("/free") == []
    (sent,) = receiver.at("/paid")
    assert sent.headers["X-Metalwire-Event"] == "survey.released"
    data = sent.json["data"]
    assert (data["survey"], data["period"], data["version"]) == ("AG-OUT", "2025-10", 1)
    assert data["status"] == "preliminary" and data["released_at"] == SURVEY_OUT.isoformat()
    assert data["figures"]["production"] == "470.00"
    assert b"470" not in b"".join(r.body for r in receiver.at("/free"))


def test_a_report_is_announced_at_its_time_and_a_premium_one_not_to_a_free_reader(
    desk: Desk, receiver: Receiver
) -> None:
    paid = reader(desk.db, "paid@fund.io", "subscriber")
    free = reader(desk.db, "free@firm.cn", "free")
    for user, path in ((paid, "/paid"), (free, "/free")):
        webhook(desk.db, user, receiver.url + path, events=("report.published",))
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"))
    publish(desk, "AG-INGOT-CN-PREMIUM", DAY, three_deals("40", "41", "42"))
    publish_at = RELEASE + dt.timedelta(hours=1)
    with desk.db.transaction() as session:
        # The premium series is among its prices: the report is premium.
        article = reports.draft_daily_report(
            session, "precious-metals", DAY, actor="t", user=desk.analyst, now=RELEASE
        )
        publishing.publish(session, article, user=desk.editor, publish_at=publish_at, now=RELEASE)
        slug, group = article.slug, article.group_code

    assert _step(desk.db, publish_at - dt.timedelta(seconds=1)).outcomes == {}
    report = _step(desk.db, publish_at)

    assert report.delivered == 1 and report.withheld == 1 and receiver.at("/free") == []
    (sent,) = receiver.at("/paid")
    assert sent.headers["X-Metalwire-Event"] == "report.published"
    data = sent.json["data"]
    assert (data["slug"], data["group"]) == (slug, group)
    assert data["title"] and data["title_zh"] and data["summary"]
    assert data["published_at"] == publish_at.isoformat()


D1, D2 = DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1)


def test_a_released_price_that_flips_the_silver_windows_announces_both(
    desk: Desk, receiver: Receiver, tmp_path: Path
) -> None:
    """Export open and import closed on the 23rd and 24th; Shanghai at 10,800 on the 25th
    closes the export window and opens the import one (tests/markets' silver market)."""
    watcher = reader(desk.db, "arb@fund.io", "subscriber")
    webhook(desk.db, watcher, receiver.url + "/w", events=("window.opened", "window.closed"))
    for day, price in ((D1, "10550"), (D2, "10600")):
        publish(desk, SILVER, day, three_deals(price, price, price))
    for day, rows in (
        (D1, [("LBMA-AG", D1, "41.000"), ("USDCNY-FIX", D1, "7.1000")]),
        (D2, [("LBMA-AG", D2, "41.500"), ("USDCNY-FIX", D2, "7.1100")]),
    ):
        load(desk.db, tmp_path, rows, dt.datetime.combine(day, dt.time(18), tzinfo=dt.UTC))
    # A worker a day late: at the 24th's release (London and the rate still the 23rd's) the
    # windows flipped; each event says so as of that instant, though the 24th's settlements,
    # loaded since, flipped them back.
    _step(desk.db, RELEASE - dt.timedelta(hours=1))
    late = {r.json["data"]["window"]: r for r in receiver.at("/w")}
    assert {
        (w, r.headers["X-Metalwire-Event"], r.json["data"]["open"]) for w, r in late.items()
    } == {
        ("AG-EXPORT", "window.closed", False),
        ("AG-IMPORT", "window.opened", True),
    }
    assert {r.json["data"]["date"] for r in late.values()} == {D2.isoformat()}
    receiver.received.clear()

    # The 24th's settlements flipped both back unannounced; the 25th's price flips them again
    # to the states last announced: a subscriber is never told "opened" twice in a row.
    publish(desk, SILVER, DAY, three_deals("10800", "10800", "10800"))
    assert _step(desk.db, RELEASE).outcomes == {}
    with desk.db.session() as session:
        kinds = session.scalars(
            select(ReleaseEvent.kind)
            .where(ReleaseEvent.kind.in_([EventKind.WINDOW_OPENED, EventKind.WINDOW_CLOSED]))
            .order_by(ReleaseEvent.id)
        )
        assert sorted(k.value for k in kinds) == ["window.closed", "window.opened"]
        assert session.scalar(select(func.count(Delivery.id))) == 2


def test_a_window_is_told_opened_then_closed_never_opened_twice(
    desk: Desk, receiver: Receiver, tmp_path: Path
) -> None:
    """Releases that open the import window, keep it open, then close it: told opened once
    and closed once, in that order."""
    watcher = reader(desk.db, "arb@fund.io", "subscriber")
    webhook(desk.db, watcher, receiver.url + "/w", events=("window.opened", "window.closed"))
    days = [DAY - dt.timedelta(days=n) for n in (2, 1, 0)]
    for day in days:
        load(
            desk.db,
            tmp_path,
            [("LBMA-AG", day, "41.000"), ("USDCNY-FIX", day, "7.1000")],
            dt.datetime.combine(day, dt.time(1), tzinfo=dt.UTC),
        )
    told = []
    for day, price in zip(days, ("10800", "10810", "10500"), strict=True):
        release = dt.datetime.combine(day, dt.time(3, 30), tzinfo=dt.UTC)
        publish(desk, SILVER, day, three_deals(price, price, price))
        _step(desk.db, release)
        told += [
            r.headers["X-Metalwire-Event"]
            for r in receiver.at("/w")
            if r.json["data"]["window"] == "AG-IMPORT"
        ]
        receiver.received.clear()
    assert told == ["window.opened", "window.closed"]
