"""The access matrix, generated from the app's route table.

For every read route x every kind of caller x (released / unreleased, free / premium), no value
leaves the server that the caller may not see. A new GET route without an access rule, or with a
path parameter this test has no sample for, fails here until someone decides its rule.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
import time
from email.message import Message
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from metalwire.accounts import service as accounts
from metalwire.alerts.service import AlertRefused, set_price_alert
from metalwire.delivery.webhooks import EVENT_NAMES, add_endpoint
from metalwire.delivery.worker import Worker
from metalwire.governance import complaints, consultations
from metalwire.governance.complaints import NewComplaint
from metalwire.governance.consultations import Proposal
from metalwire.governance.rules import ComplaintSubject
from metalwire.settings import load_settings
from metalwire.web.access import rule_of
from metalwire.web.app import route_table
from metalwire.web.fast_history import HISTORY, LATEST
from metalwire.web.metrics import FAMILIES
from metalwire.web.shared_pages import SHARED_PATHS
from tests.conftest import ScratchDatabase
from tests.delivery.conftest import Receiver
from tests.delivery.conftest import receiver as receiver  # the fixture
from tests.pricing.conftest import PREMIUM, SILVER
from tests.support.clock import next_minute
from tests.support.market import (
    DRAFTS,
    EMBARGO_DAY,
    EMBARGOED,
    MATRIX_INDEX,
    NOW,
    OLD_DAY,
    OLD_FREE,
    RELEASED_DAY,
    RELEASED_FREE,
    RELEASED_PREMIUM,
    WEBHOOK_URL,
    Market,
    build_market,
)
from tests.web.test_account_pages import smtp as smtp  # the fixture

CALLERS = ("anonymous", "reader", "subscriber", "analyst", "editor")
PREMIUM_READERS = {"subscriber", "analyst", "editor"}
STAFF = {"analyst", "editor"}
CONTRIBUTOR_NAME = "trader-"  # tests/conftest.py Desk.submit names them trader-0, trader-1 ...


def _answer(client: TestClient, app: FastAPI, url: str, headers: dict[str, str]) -> Response:
    """The route's own answer, never the rate limit's: a 429 (the free plan's 60 a minute runs
    out within the loop) moves the stopped clock to the next minute and asks again. The market's
    embargo lifts at 11:30 Shanghai, 90 minutes after NOW, far beyond the minutes this adds."""
    response = client.get(url, headers=headers)
    if response.status_code == 429:
        assert next_minute(app) < NOW + dt.timedelta(minutes=60), "the loop outran the embargo"
        response = client.get(url, headers=headers)
    assert response.status_code != 429, (url, response.text[:300])
    return response


def _figures(text: str) -> str:
    """The answer with thousands separators taken out of its numbers, so that a value shown as
    8,233.00 on a page is found as 8233 too."""
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def _shows(body: str, marker: str) -> bool:
    """Whether the answer shows the figure ``marker`` as a number of its own: not as part of a
    longer number nor of a token or hash (a random hex string contains any 4 digits now and
    then)."""
    return re.search(rf"(?<![0-9A-Za-z]){marker}(?![0-9A-Za-z])", body) is not None


@pytest.fixture
def market(db: ScratchDatabase, tmp_path: Path) -> Market:
    built = build_market(db, tmp_path)
    _governance(db)
    return built


# The subscriber's complaint: no other reader may see it, nor learn that it exists.
COMPLAINT = "complaint-marker-subscriber"


def _governance(db: ScratchDatabase) -> None:
    """An open consultation with a comment, a proposal not yet public, and the subscriber's
    complaint (id 1): the governance routes' samples."""
    with db.transaction() as session:
        subscriber = accounts.require_user(session, "subscriber@desk.cn")
        proposal = Proposal(
            "spot-prices",
            "t",
            "s",
            "r",
            "# Spot prices\n\nv2\n",
            "题",
            "摘要",
            "理由",
            "# 现货价格\n",
        )
        opened = consultations.propose(session, proposal, actor="analyst@desk.cn", now=NOW)
        consultations.open_consultation(
            session,
            opened.id,
            closes=NOW.date() + dt.timedelta(days=20),
            actor="e",
            today=NOW.date(),
        )
        consultations.comment(session, opened.id, subscriber, "c", show_name=False, now=NOW)
        consultations.propose(session, proposal, actor="analyst@desk.cn", now=NOW)
        new = NewComplaint(ComplaintSubject.SERIES, SILVER, COMPLAINT)
        complaints.log_complaint(session, subscriber, new, now=NOW)


def _samples(market: Market) -> dict[str, list[str]]:
    ids = [*market.released_ids, *market.embargoed_ids, *market.draft_ids]
    return {
        "code": [
            *(SILVER, PREMIUM, "silver", "precious-metals", "spot-prices"),
            *("AG-EXPORT", "AG-IMPORT", "CU-IMPORT", MATRIX_INDEX, "LBMA-AG", "SHFE-CU"),
        ],
        "assessment_id": [str(i) for i in ids],
        "token": ["not-a-token"],
        "key_id": ["1"],
        "slug": ["no-such-article", "ag-ingot-cn-output-2025-10"],
        "webhook_id": [*(str(i) for i in market.webhook_ids), "999999"],
        "date": [d.isoformat() for d in (OLD_DAY, RELEASED_DAY, EMBARGO_DAY)],
        "family": ["spot-prices", "premiums"],
        "consultation_id": ["1", "2", "999999"],  # open, proposed (the desk's), none
        "complaint_id": ["1", "999999"],  # the subscriber's, none
    }


QUERY_SAMPLES = {
    "date": [EMBARGO_DAY.isoformat(), dt.date(2026, 11, 26).isoformat()],
    "format": ["json", "csv"],
    # A future as_of, and ones stepping back into the old price's month (as_of chooses versions,
    # never the plan's window).
    "as_of": ["2099-01-01T00:00:00Z", "2026-06-15T00:00:00Z", "2026-06-02T00:00:00Z"],
    "start": ["2000-01-01", "2026-05-01"],
    "end": ["2026-06-30"],
    "series": [SILVER, PREMIUM],
}


def _urls(app: FastAPI, market: Market) -> list[tuple[str, str]]:
    """(rule, url) for every GET route, with every combination of sample parameters."""
    samples = _samples(market)
    urls: list[tuple[str, str]] = []
    missing_rules, missing_samples = [], []
    table = route_table()
    served = {entry.path for entry in table}
    spec_paths = set(TestClient(app).get("/api/v1/openapi.json").json()["paths"])
    assert spec_paths <= served, f"routes outside the route table: {spec_paths - served}"
    for route in table:
        if "GET" not in route.methods:
            continue
        rule = rule_of(route.endpoint)
        if rule is None:
            missing_rules.append(route.path)
            continue
        names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
        unknown = [n for n in names if n not in samples]
        if unknown:
            missing_samples.append(f"{route.path}: {unknown}")
            continue
        query_names = [n for n in QUERY_SAMPLES if n in route.endpoint.__code__.co_varnames]
        for values in itertools.product(*(samples[n] for n in names)):
            path = route.path
            for name, value in zip(names, values, strict=True):
                path = re.sub(r"{" + name + r"(?::\w+)?}", value, path)
            urls.append((rule, path))
            for name in query_names:
                for value in QUERY_SAMPLES[name]:
                    urls.append((rule, f"{path}?{name}={value}"))
    assert missing_rules == [], f"GET routes without an access rule: {missing_rules}"
    assert missing_samples == [], f"path parameters without samples: {missing_samples}"
    return urls


def test_no_route_leaks_what_its_caller_may_not_see(
    market: Market, app: FastAPI, client: TestClient
) -> None:
    # ``client`` (tests/conftest.py) is entered once: one event loop thread serves the ~5,000
    # requests, where TestClient(app) outside a with-block starts one per request.
    app.state.clock = lambda: NOW
    # The live stream ends by itself (stream_max_seconds): here after a fifth of a second, so
    # that it is asked like any read route. Its release instant: test_the_release_stream_...
    app.state.settings = app.state.settings.model_copy(update={"stream_max_seconds": 0.2})
    urls = _urls(app, market)
    assert len(urls) > 20
    checked = 0
    for caller in CALLERS:
        for rule, url in urls:
            client.cookies.clear()
            headers = {}
            if url.startswith("/api/"):
                headers = market.credentials[caller]
            else:
                for name, value in market.cookies[caller].items():
                    client.cookies.set(name, value)
            if url == "/metrics":
                # Timings and pids are digits in any order: the hunt for marker digits would
                # find them by chance. What is checked instead is that nothing there names a
                # series or carries a value: fixed names, fixed label vocabularies, counts.
                response = client.get(url, headers=headers)
                assert response.status_code < 500, (caller, url, response.text[:300])
                _assert_metrics_carry_no_prices(response.text)
                checked += 1
                continue
            # Asked twice where a layer in front of the routes may answer the second time
            # (web/shared_pages.py, web/fast_history.py): both answers are checked.
            path = url.split("?")[0]
            kept = SHARED_PATHS.fullmatch(path) or HISTORY.fullmatch(path) or path == LATEST
            for attempt in range(2 if kept else 1):
                response = _answer(client, app, url, headers)
                assert response.status_code < 500, (caller, url, response.text[:300])
                body = _figures(response.text)
                where = f"{caller} GET {url} ({rule}, answer {attempt + 1})"
                for marker in EMBARGOED:
                    assert not _shows(body, marker), f"embargoed value {marker} leaked to {where}"
                if not (rule == "staff" and caller in STAFF):
                    # Contributors are named to the desk alone; readers see codes (C-01).
                    assert CONTRIBUTOR_NAME not in body, f"a contributor named to {where}"
                    for marker in DRAFTS:
                        assert not _shows(body, marker), f"draft value {marker} leaked to {where}"
                if caller not in PREMIUM_READERS:
                    for marker in RELEASED_PREMIUM:
                        assert not _shows(body, marker), f"premium value {marker} leaked to {where}"
                    for marker in OLD_FREE:
                        assert not _shows(body, marker), (
                            f"history past the plan {marker} leaked: {where}"
                        )
                if caller not in ("subscriber", *STAFF):  # the complainant and the desk
                    assert COMPLAINT not in body, f"another's complaint shown to {where}"
            checked += 1
    assert (
        app.state.shared_page_hits > 0 and app.state.fast_history_hits > 0
    )  # both layers answered
    assert checked == len(urls) * len(CALLERS)


METRIC_LABELS = {
    "method": {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"},
    "family": set(FAMILIES),
    "reason": {"queue_full", "waited_too_long"},
    "path": {"history", "shared_page"},
}


def _assert_metrics_carry_no_prices(body: str) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(body):
        assert family.name.startswith("metalwire_"), family.name
        for sample in family.samples:
            for name, value in sample.labels.items():
                if name in ("status", "pid"):
                    assert value.isdigit(), (sample.name, name, value)
                elif name == "le":
                    float(value)
                else:
                    assert value in METRIC_LABELS[name], (sample.name, name, value)
    assert SILVER not in body and PREMIUM not in body


def test_the_matrix_is_not_vacuous(market: Market, app: FastAPI) -> None:
    """The values the matrix hunts for do appear where they are allowed."""
    app.state.clock = lambda: NOW
    client = TestClient(app)
    free = client.get(f"/api/v1/series/{SILVER}/prices").text
    assert RELEASED_FREE[2] in free
    subscriber = client.get(
        f"/api/v1/series/{PREMIUM}/prices", headers=market.credentials["subscriber"]
    ).text
    assert RELEASED_PREMIUM[2] in subscriber
    staff = client.get(
        "/api/v1/desk/assessments?date=2026-11-26", headers=market.credentials["analyst"]
    ).text
    assert DRAFTS[2] in staff
    named = client.get("/api/v1/desk/contributors", headers=market.credentials["analyst"]).text
    assert CONTRIBUTOR_NAME in named  # the desk sees names; the matrix holds them from readers
    arbitrage = client.get("/api/v1/arbitrage/AG-EXPORT").json()
    assert arbitrage["items"][0]["inputs"]["shanghai"]["value"] == RELEASED_FREE[2]
    assert client.get(f"/api/v1/indices/{MATRIX_INDEX}").status_code == 403
    index = client.get(f"/api/v1/indices/{MATRIX_INDEX}", headers=market.credentials["subscriber"])
    assert RELEASED_PREMIUM[2] in index.text
    old = f"/api/v1/series/{SILVER}/prices?start=2026-05-01&as_of=2026-06-15T00:00:00Z"
    assert OLD_FREE[2] in client.get(old, headers=market.credentials["subscriber"]).text
    app.state.clock = lambda: NOW + dt.timedelta(hours=2)  # after 11:30 Shanghai
    assert EMBARGOED[2] in client.get(f"/api/v1/series/{SILVER}/prices").text


def test_the_route_table_holds_every_route_the_app_serves() -> None:
    """A router included in another is kept by FastAPI as one nested entry, not as its routes:
    the matrix, the statement counts and the docs test would silently skip it (the desk's pages
    were skipped so). Every router the app mounts must be a flat list of routes."""
    from fastapi.routing import APIRoute

    from metalwire.web.app import API_ROUTERS, PAGE_ROUTERS

    nested = [
        f"{type(route).__name__} in {router}"
        for router in (*PAGE_ROUTERS, *API_ROUTERS)
        for route in router.routes
        if not isinstance(route, APIRoute)
    ]
    assert nested == []
    paths = {entry.path for entry in route_table()}
    assert {"/desk", "/desk/submissions", "/desk/reports", "/desk/surveys"} <= paths


def test_a_complaint_is_its_complainants_and_the_desks_alone(
    market: Market, client: TestClient
) -> None:
    """The subscriber's complaint: the subscriber and the desk read it; any other caller is
    told it does not exist (404) or asked to sign in, on the API and on the pages."""
    urls = ["/api/v1/complaints/1", "/api/v1/complaints", "/api/v1/desk/complaints"]
    for caller in CALLERS:
        client.cookies.clear()
        answers = [client.get(url, headers=market.credentials[caller]) for url in urls]
        for name, value in market.cookies[caller].items():
            client.cookies.set(name, value)
        answers += [
            client.get(url, follow_redirects=False) for url in ("/account", "/desk/complaints")
        ]
        statuses = [a.status_code for a in answers]
        shown = [COMPLAINT in a.text for a in answers]
        if caller == "subscriber":
            assert statuses == [200, 200, 403, 200, 403] and shown == [
                True,
                True,
                False,
                True,
                False,
            ]
        elif caller in STAFF:
            assert statuses == [200, 200, 200, 200, 200], (caller, statuses)
            assert shown == [True, False, True, False, True], (caller, shown)
        elif caller == "anonymous":
            # The desk list refuses like the desk's other lists (403 for anyone not staff).
            assert statuses == [401, 401, 403, 303, 303] and not any(shown), (caller, statuses)
        else:
            assert statuses == [404, 200, 403, 200, 403] and not any(shown), (caller, statuses)


def test_a_proposal_is_the_desks_until_opened(market: Market, client: TestClient) -> None:
    """Consultation 2 is proposed, not opened: the desk reads it, no one else knows of it."""
    for caller in CALLERS:
        client.cookies.clear()
        one = client.get("/api/v1/consultations/2", headers=market.credentials[caller])
        listed = [
            c["id"]
            for c in client.get("/api/v1/consultations", headers=market.credentials[caller]).json()
        ]
        for name, value in market.cookies[caller].items():
            client.cookies.set(name, value)
        page = client.get("/consultations/2")
        if caller in STAFF:
            assert (one.status_code, listed, page.status_code) == (200, [2, 1], 200), caller
        else:
            assert (one.status_code, listed, page.status_code) == (404, [1], 404), caller


def test_the_release_stream_sends_each_caller_only_what_it_may_see(
    market: Market, app: FastAPI, client: TestClient
) -> None:
    """The stream across the embargo's end: every caller is streamed the free price at 11:30;
    the premium one only reaches premium readers; drafts reach no one."""
    released = dt.datetime.combine(EMBARGO_DAY, dt.time(3, 30), tzinfo=dt.UTC)  # 11:30 Shanghai
    app.state.settings = app.state.settings.model_copy(update={"stream_max_seconds": 1.5})
    for caller in CALLERS:
        began = time.monotonic()
        app.state.clock = lambda began=began: (
            released - dt.timedelta(seconds=0.5) + dt.timedelta(seconds=time.monotonic() - began)
        )
        app.state.release_hub.sent.clear()  # the clock goes back for each caller; time does not
        client.cookies.clear()
        response = client.get("/api/v1/stream", headers=market.credentials[caller])
        assert response.status_code == 200, (caller, response.text[:300])
        body = _figures(response.text)
        assert "event: price.released" in body, caller
        assert _shows(body, EMBARGOED[2]), f"the free price at its release, for {caller}"
        for marker in DRAFTS:
            assert not _shows(body, marker), f"draft value {marker} streamed to {caller}"
        premium = [m for m in EMBARGOED[3:] if _shows(body, m)]
        if caller in PREMIUM_READERS:
            assert premium, f"the premium price at its release, for {caller}"
        else:
            assert premium == [], f"premium values {premium} streamed to {caller}"


# The desk's write routes of the series lifecycle and partner values, API and pages: (path,
# body). Every caller of the matrix holds a read-scope key, so none may write by the API; by
# the site only an editor changes series (an analyst is told who may) and staff enter partner
# values (the matrix market has no licensed series: the service refuses, 422).
SERIES_CHANGE = {"effective": "2026-12-20", "notice": "matrix", "tier": "premium"}
NEW_SERIES = {
    **{"code": "AG-MATRIX-NEW", "commodity": "AG-1", "name_en": "m", "name_zh": "m"},
    **{"kind": "outright", "unit": "kg", "currency": "CNY", "decimals": 0, "calendar": "CN"},
    **{"timezone": "Asia/Shanghai", "release_time": "11:30", "methodology": "spot-prices"},
}
API_WRITES = (
    ("/api/v1/series", NEW_SERIES),
    (f"/api/v1/series/{SILVER}/changes", SERIES_CHANGE),
    (f"/api/v1/series/{SILVER}/discontinuation", {"effective": "2026-12-20", "notice": "m"}),
    ("/api/v1/partner-values", {"series": SILVER, "date": "2026-11-25", "low": 1, "high": 2}),
)
PAGE_WRITES = (
    ("/desk/series", {"code": "AG-MATRIX-NEW"}),
    ("/desk/series/changes", {"code": SILVER, "what": "tier", **SERIES_CHANGE}),
    ("/desk/series/discontinuation", {"code": SILVER, "effective": "2026-12-20", "notice": "m"}),
)
PAGE_STATUS = {"anonymous": 303, "reader": 403, "subscriber": 403, "analyst": 403}
EDITOR_STATUS = (422, 303, 303)  # an incomplete definition; a change and a discontinuation


def test_the_lifecycle_and_partner_writes_refuse_whoever_may_not(
    market: Market, db: ScratchDatabase, app: FastAPI, client: TestClient
) -> None:
    from sqlalchemy import func, select

    from metalwire.catalog.models import SeriesChange

    app.state.clock = lambda: NOW
    for caller in CALLERS:
        client.cookies.clear()
        for url, body in API_WRITES:
            answer = client.post(url, json=body, headers=market.credentials[caller])
            assert answer.status_code == (401 if caller == "anonymous" else 403), (caller, url)
        for name, value in market.cookies[caller].items():
            client.cookies.set(name, value)
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
        token = found.group(1) if found else ""
        for n, (url, form) in enumerate(PAGE_WRITES):
            answer = client.post(url, data={"csrf_token": token, **form}, follow_redirects=False)
            expected = EDITOR_STATUS[n] if caller == "editor" else PAGE_STATUS[caller]
            assert answer.status_code == expected, (caller, url, answer.text[:300])
    with db.session() as session:  # only the editor's change and discontinuation were written
        assert session.scalar(select(func.count(SeriesChange.id))) == 2


def test_a_webhook_is_its_owners_alone(market: Market, client: TestClient) -> None:
    """The subscriber's webhook and its delivery log: no other caller sees them, staff
    included; an anonymous caller is asked to sign in."""
    (hook,) = market.webhook_ids
    api = ["/api/v1/webhooks", f"/api/v1/webhooks/{hook}/deliveries"]
    for caller in CALLERS:
        client.cookies.clear()
        answers = [client.get(url, headers=market.credentials[caller]) for url in api]
        for name, value in market.cookies[caller].items():
            client.cookies.set(name, value)
        answers += [
            client.get(url, follow_redirects=False)
            for url in ("/account", f"/account/webhooks/{hook}")
        ]
        statuses = [a.status_code for a in answers]
        shown = [WEBHOOK_URL in a.text for a in answers]
        if caller == "subscriber":
            assert statuses == [200, 200, 200, 200] and shown == [True, False, True, True]
        elif caller == "anonymous":
            assert statuses == [401, 401, 303, 303] and not any(shown), (caller, statuses)
        else:
            assert statuses == [200, 404, 200, 404] and not any(shown), (caller, statuses)


def test_webhooks_and_mail_send_each_caller_only_what_it_may_see(
    market: Market, db: ScratchDatabase, receiver: Receiver, smtp: tuple[int, list[object]]
) -> None:
    """Every kind of reader with a webhook on every event and a price alert on both series (where
    the plan lets them set one): before the embargo's end nothing embargoed leaves, after it the
    premium price goes only to premium readers, and drafts go to no one, by either channel."""
    port, mailed = smtp
    with db.transaction() as session:
        for caller in CALLERS[1:]:
            user = accounts.require_user(session, f"{caller}@desk.cn")
            add_endpoint(
                session,
                user,
                url=f"{receiver.url}/{caller}",
                events=list(EVENT_NAMES),
                allow_private=True,
                actor="t",
            )
            for code in (SILVER, PREMIUM):
                with contextlib.suppress(AlertRefused):  # a free plan may not watch a premium one
                    set_price_alert(session, user, code, "0.01", actor="t")
    settings = load_settings(
        database_url=db.url,
        webhooks_allow_private=True,
        smtp_host="127.0.0.1",
        smtp_port=port,
        base_url="http://mw.test",
    )
    released = dt.datetime.combine(EMBARGO_DAY, dt.time(3, 30), tzinfo=dt.UTC)
    for at in (NOW, released + dt.timedelta(seconds=1)):
        worker = Worker(db.sessions, settings, clock=lambda at=at: at)
        worker.step()
        worker.close()
        if at == NOW:
            sent = b"".join(r.body for r in receiver.received).decode()
            for marker in EMBARGOED:
                assert not _shows(_figures(sent), marker), f"embargoed {marker} sent before 11:30"
    assert {r.path for r in receiver.received} == {f"/{c}" for c in CALLERS[1:]}
    messages = [m for m in mailed if isinstance(m, Message)]
    assert messages, "price alerts were mailed"
    for caller in CALLERS[1:]:
        hooks = _figures(b"".join(r.body for r in receiver.at(f"/{caller}")).decode())
        mail = _figures(
            "".join(str(m.get_payload()) for m in messages if m["To"] == f"{caller}@desk.cn")
        )
        for channel, body in (("webhook", hooks), ("mail", mail)):
            where = f"{caller}'s {channel}"
            for marker in DRAFTS:
                assert not _shows(body, marker), f"draft {marker} sent by {where}"
            premium = [m for m in (*RELEASED_PREMIUM, *EMBARGOED[3:]) if _shows(body, m)]
            if caller not in PREMIUM_READERS:
                assert premium == [], f"premium values {premium} sent by {where}"
        assert _shows(hooks, EMBARGOED[2]), f"the free price at its release, to {caller}"
        if caller in PREMIUM_READERS:
            assert _shows(hooks, EMBARGOED[5]), f"the premium price at its release, to {caller}"
