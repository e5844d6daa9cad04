"""Notices as events: a series change announced by the desk (``series.notice``) and a
methodology consultation opened and decided (``consultation.opened``, ``consultation.decided``)
reach the webhooks that asked for them, whatever the plan (a notice names no value), filtered by
series code or methodology family like any event."""

from __future__ import annotations

import datetime as dt

from metalwire.catalog import lifecycle_service
from metalwire.db.base import utcnow
from metalwire.delivery.worker import Worker
from metalwire.governance import consultations
from tests.conftest import Desk
from tests.delivery.conftest import PREMIUM, Receiver, delivery_settings, reader, webhook
from tests.governance.conftest import DECIDED, EFFECTIVE, FAMILY, adopted, open_change

NOTICES = ("series.notice", "consultation.opened", "consultation.decided")


def test_notices_reach_every_plan_that_asked_filtered_by_code(
    desk: Desk, receiver: Receiver
) -> None:
    free = reader(desk.db, "free@firm.cn", "free")
    paid = reader(desk.db, "paid@fund.io", "subscriber")
    webhook(desk.db, free, receiver.url + "/free", events=NOTICES)
    webhook(desk.db, paid, receiver.url + "/premium-only", events=NOTICES, codes=(PREMIUM,))
    webhook(desk.db, paid, receiver.url + "/prices", events=("price.released",))
    now = utcnow()
    effective = now.date() + dt.timedelta(days=7)
    with desk.db.transaction() as session:
        lifecycle_service.change_series(
            session,
            PREMIUM,
            effective=effective,
            notice="Released at 16:00 from next week.",
            actor=desk.editor.email,
            release_time=dt.time(16, 0),
            now=now,
        )
    consultation = open_change(desk)
    with desk.db.transaction() as session:
        consultations.decide(
            session, consultation, adopted(), actor=desk.editor.email, today=DECIDED
        )

    settings = delivery_settings(desk.db)
    worker = Worker(
        desk.db.sessions, settings, name="w", clock=lambda: utcnow() + dt.timedelta(seconds=1)
    )
    report = worker.step()
    worker.close()

    assert receiver.at("/prices") == []  # asked for prices only
    (premium,) = receiver.at("/premium-only")  # a premium series' notice, to every plan
    assert premium.headers["X-Metalwire-Event"] == "series.notice"
    sent = {r.headers["X-Metalwire-Event"]: r.json["data"] for r in receiver.at("/free")}
    assert sorted(sent) == sorted(NOTICES), report
    assert premium.json["data"] == sent["series.notice"]
    notice = sent["series.notice"]
    assert (notice["series"], notice["kind"], notice["after"]) == (PREMIUM, "release-time", "16:00")
    assert notice["effective_from"] == effective.isoformat()
    opened, decided = sent["consultation.opened"], sent["consultation.decided"]
    assert opened["consultation"] == decided["consultation"] == consultation
    assert opened["family"] == FAMILY and opened["title_zh"] and opened["closes_on"]
    assert opened["url"] == f"/consultations/{consultation}"
    assert decided["outcome"] == "adopted"
    assert decided["version"] == {
        "family": FAMILY,
        "number": 2,
        "effective": EFFECTIVE.isoformat(),
        "url": f"/methodology/{FAMILY}?version=2",
    }
