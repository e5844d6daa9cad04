"""Webhooks on the account page: added with the site's form (the secret shown once), refused
beside the field, removed and enabled; each endpoint's delivery log with a redeliver button;
another reader's log as unknown as a missing one."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from metalwire.accounts.models import Role
from metalwire.delivery.worker import Worker
from metalwire.settings import load_settings
from metalwire.web.app import create_app
from tests.conftest import Desk
from tests.delivery.conftest import DAY, RELEASE, SILVER, Receiver, delivery_settings
from tests.support import publish, sign_in, three_deals
from tests.web.test_account_pages import csrf_of

LATE = RELEASE + dt.timedelta(minutes=5)
SECRET = re.compile(r'<code id="new-webhook-secret">(whsec_[^<]+)</code>')


@pytest.fixture
def site(desk: Desk) -> Iterator[TestClient]:
    settings = load_settings(database_url=desk.db.url, webhooks_allow_private=True)
    app = create_app(settings, engine=desk.db.engine)
    app.state.clock = lambda: LATE + dt.timedelta(seconds=30)
    with TestClient(app) as client:
        yield client


def _add(client: TestClient, url: str, events: list[str], series: str = "") -> str:
    token = csrf_of(client.get("/account").text)
    answer = client.post(
        "/account/webhooks",
        data={"url": url, "event": events, "series": series, "csrf_token": token},
    )
    return answer.text if answer.status_code == 200 else f"{answer.status_code}: {answer.text}"


def test_the_form_adds_a_webhook_and_shows_its_secret_once(
    desk: Desk, site: TestClient, receiver: Receiver
) -> None:
    sign_in(site, desk.db, "sub@firm.cn", role=Role.SUBSCRIBER, plan="subscriber")
    page = _add(site, receiver.url + "/site", ["price.released", "report.published"], SILVER)
    found = SECRET.search(page)
    assert found, page[:500]
    assert receiver.url + "/site" in page and "price.released, report.published" in page
    again = site.get("/account").text
    assert found.group(1) not in again and 'id="webhooks"' in again
    assert receiver.url + "/site" in again and SILVER in again

    refused = site.post("/account/webhooks", data={"url": receiver.url, "event": ["x"]})
    assert refused.status_code == 403  # no CSRF token
    hook_id = re.search(r'href="/account/webhooks/(\d+)"', again)
    assert hook_id
    token = csrf_of(again)
    removed = site.post(
        f"/account/webhooks/{hook_id.group(1)}/remove",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert removed.status_code == 303 and removed.headers["location"] == "/account#webhooks"
    page = site.get("/account").text
    assert "removed by its owner" in page and f"/account/webhooks/{hook_id.group(1)}/enable" in page
    site.post(f"/account/webhooks/{hook_id.group(1)}/enable", data={"csrf_token": token})
    assert "removed by its owner" not in site.get("/account").text


def test_a_refusal_is_shown_beside_its_field(desk: Desk, client: TestClient) -> None:
    """The app as deployed: private addresses refused."""
    sign_in(client, desk.db, "free@firm.cn", role=Role.READER)
    page = _add(client, "http://192.168.1.20/hook", ["price.released"])
    assert page.startswith("422: ")
    assert 'id="webhook-url-error"' in page and "private" in page
    assert 'value="http://192.168.1.20/hook"' in page  # what was typed stays
    page = _add(client, "https://93.184.216.34/hook", [])
    assert 'id="webhook-events-error"' in page
    assert "No webhooks yet." in client.get("/account").text


def test_the_delivery_log_lists_deliveries_and_redelivers(
    desk: Desk, site: TestClient, receiver: Receiver
) -> None:
    sign_in(site, desk.db, "sub@firm.cn", role=Role.SUBSCRIBER, plan="subscriber")
    _add(site, receiver.url + "/log", ["price.released"])
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=LATE)
    worker = Worker(desk.db.sessions, delivery_settings(desk.db), clock=lambda: LATE)
    assert worker.step().delivered == 1
    hook_id = re.search(r'href="/account/webhooks/(\d+)"', site.get("/account").text)
    assert hook_id
    log = site.get(f"/account/webhooks/{hook_id.group(1)}")
    assert log.status_code == 200
    (sent,) = receiver.at("/log")
    delivery = sent.headers["X-Metalwire-Delivery"]
    assert f"{SILVER}/{DAY.isoformat()}/v1" in log.text and "delivered" in log.text
    assert f'value="{delivery}"' in log.text

    again = site.post(
        "/account/webhooks/deliveries/redeliver",
        data={"delivery": delivery, "csrf_token": csrf_of(log.text)},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert again.headers["location"] == f"/account/webhooks/{hook_id.group(1)}#deliveries"
    assert "pending" in site.get(f"/account/webhooks/{hook_id.group(1)}").text

    sign_in(site, desk.db, "other@firm.cn", role=Role.SUBSCRIBER, plan="subscriber")
    assert site.get(f"/account/webhooks/{hook_id.group(1)}").status_code == 404
    stolen = site.post(
        "/account/webhooks/deliveries/redeliver",
        data={"delivery": delivery, "csrf_token": csrf_of(site.get("/account").text)},
    )
    assert stolen.status_code == 404
    site.cookies.clear()
    anonymous = site.get(f"/account/webhooks/{hook_id.group(1)}", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/sign-in")
