"""Webhooks through the API, on a real receiver: registered with a key (the secret shown once),
listed, logged, redelivered, removed and enabled; refused for a private address; another
reader's as unknown as a missing one; withheld once the registering key is revoked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Scope, User
from metalwire.delivery.signing import verify
from metalwire.delivery.worker import Worker
from metalwire.settings import load_settings
from metalwire.web.app import create_app
from tests.conftest import Desk
from tests.delivery.conftest import DAY, RELEASE, SILVER, Receiver, delivery_settings, reader
from tests.support import publish, three_deals
from tests.support.api_contract import RouteContract, assert_problem

LATE = RELEASE + dt.timedelta(minutes=5)
HOOKS = "/api/v1/webhooks"


def key_of(desk: Desk, user: User) -> dict[str, str]:
    with desk.db.transaction() as session:
        secret = accounts.create_api_key(session, user.email, Scope.READ, actor="t").secret
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api(desk: Desk) -> Iterator[TestClient]:
    """The app with private receivers allowed (the test's receiver is on loopback)."""
    settings = load_settings(database_url=desk.db.url, webhooks_allow_private=True)
    app = create_app(settings, engine=desk.db.engine)
    app.state.clock = lambda: LATE + dt.timedelta(seconds=30)
    with TestClient(app) as client:
        yield client


def step(desk: Desk, at: dt.datetime) -> dict[str, str]:
    worker = Worker(desk.db.sessions, delivery_settings(desk.db), name="api-test", clock=lambda: at)
    return worker.step().outcomes


def test_register_list_log_redeliver_remove_and_enable(
    desk: Desk, api: TestClient, receiver: Receiver
) -> None:
    headers = key_of(desk, reader(desk.db, "free@firm.cn", "free"))
    made = api.post(
        HOOKS,
        json={"url": receiver.url + "/hook", "events": ["price.released"], "series": [SILVER]},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert "x-ratelimit-limit" in made.headers and "x-ratelimit-remaining" in made.headers
    hook = made.json()
    assert hook["secret"].startswith("whsec_") and hook["active"] is True
    assert hook["events"] == ["price.released"] and hook["series"] == [SILVER]
    listed = api.get(HOOKS, headers=headers).json()
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]

    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=LATE)
    assert list(step(desk, LATE + dt.timedelta(seconds=1)).values()) == ["delivered"]
    (sent,) = receiver.at("/hook")
    assert verify(sent.body, hook["secret"], sent.headers["X-Metalwire-Signature"])

    log = api.get(f"{HOOKS}/{hook['id']}/deliveries", headers=headers)
    assert log.status_code == 200, log.text
    (entry,) = log.json()
    assert entry["id"] == sent.headers["X-Metalwire-Delivery"]
    assert entry["event"] == "price.released" and entry["subject"].startswith(SILVER)
    assert (entry["status"], entry["attempts"], entry["last_status"]) == ("delivered", 1, 200)
    assert entry["delivered_at"] and entry["next_attempt_at"] is None

    again = api.post(f"{HOOKS}/deliveries/{entry['id']}/redeliver", headers=headers)
    assert again.status_code == 202 and again.json()["status"] == "pending"
    assert list(step(desk, LATE + dt.timedelta(seconds=40)).values()) == ["delivered"]
    ids = [r.headers["X-Metalwire-Delivery"] for r in receiver.at("/hook")]
    assert ids == [entry["id"], entry["id"]]  # the same delivery, sent again under its id

    assert api.delete(f"{HOOKS}/{hook['id']}", headers=headers).status_code == 204
    (removed,) = api.get(HOOKS, headers=headers).json()
    assert removed["active"] is False and removed["disabled_reason"]
    enabled = api.post(f"{HOOKS}/{hook['id']}/enable", headers=headers)
    assert enabled.status_code == 200 and enabled.json()["active"] is True


def test_another_readers_webhook_is_not_found_and_nobody_is_unauthorized(
    desk: Desk, api: TestClient, receiver: Receiver
) -> None:
    owner = key_of(desk, reader(desk.db, "owner@firm.cn", "subscriber"))
    other = key_of(desk, reader(desk.db, "other@firm.cn", "subscriber"))
    hook = api.post(
        HOOKS, json={"url": receiver.url, "events": ["price.released"]}, headers=owner
    ).json()
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=LATE)
    step(desk, LATE)
    (delivery,) = api.get(f"{HOOKS}/{hook['id']}/deliveries", headers=owner).json()

    assert api.get(HOOKS, headers=other).json() == []
    for answer in (
        api.get(f"{HOOKS}/{hook['id']}/deliveries", headers=other),
        api.delete(f"{HOOKS}/{hook['id']}", headers=other),
        api.post(f"{HOOKS}/{hook['id']}/enable", headers=other),
        api.post(f"{HOOKS}/deliveries/{delivery['id']}/redeliver", headers=other),
        api.get(f"{HOOKS}/999999/deliveries", headers=owner),
    ):
        assert_problem(answer, 404, "not-found")
    assert_problem(api.get(HOOKS), 401, "unauthorized")
    anonymous = api.post(HOOKS, json={"url": receiver.url, "events": ["price.released"]})
    assert_problem(anonymous, 401, "unauthorized")
    assert api.get(HOOKS, headers=owner).json()[0]["active"] is True  # untouched


def test_a_private_address_is_refused_naming_the_url(desk: Desk, client: TestClient) -> None:
    """The app as deployed: METALWIRE_WEBHOOKS_ALLOW_PRIVATE is off."""
    headers = key_of(desk, reader(desk.db, "free@firm.cn", "free"))
    for url in ("http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://[::1]/x"):
        answer = client.post(
            HOOKS, json={"url": url, "events": ["price.released"]}, headers=headers
        )
        assert_problem(answer, 422, "invalid-parameter")
        assert [p["name"] for p in answer.json()["invalid_params"]] == ["url"], answer.json()
    public = "https://93.184.216.34/hook"  # an address: no name to resolve
    unknown = client.post(HOOKS, json={"url": public, "events": ["price.eaten"]}, headers=headers)
    assert_problem(unknown, 422, "invalid-parameter")
    assert unknown.json()["invalid_params"][0]["name"] == "events"
    assert client.get(HOOKS, headers=headers).json() == []


def test_revoking_the_key_withholds_the_endpoints_deliveries(
    desk: Desk, api: TestClient, receiver: Receiver
) -> None:
    user = reader(desk.db, "sub@firm.cn", "subscriber")
    headers = key_of(desk, user)
    hook = api.post(
        HOOKS, json={"url": receiver.url + "/keyed", "events": ["price.released"]}, headers=headers
    ).json()
    publish(desk, SILVER, DAY, three_deals("7700", "7710", "7720"), approved_at=LATE)
    with desk.db.transaction() as session:
        (key,) = accounts.user_api_keys(session, accounts.require_user(session, user.email))
        accounts.revoke_api_key(session, key.id, actor="t")

    assert list(step(desk, LATE + dt.timedelta(seconds=1)).values()) == ["withheld"]
    assert receiver.received == []
    # The key is gone: the reader reads the log signed in on the site instead.
    with desk.db.transaction() as session:
        token = accounts.start_session(session, accounts.require_user(session, user.email))
    api.cookies.set("mw_session", token)
    (entry,) = api.get(f"{HOOKS}/{hook['id']}/deliveries").json()
    assert entry["status"] == "withheld" and "revoked" in entry["last_error"]


class TestDeliveryLogContract(RouteContract):
    """The market's subscriber has one webhook (tests/support/market.py), the first made."""

    route = "/api/v1/webhooks/{webhook_id}/deliveries"
    rule = "account"
    example = "/api/v1/webhooks/1/deliveries"
    bad_parameter = "/api/v1/webhooks/0/deliveries"
    unknown = "/api/v1/webhooks/999999/deliveries"


class TestWebhookListContract(RouteContract):
    route = "/api/v1/webhooks"
    rule = "account"
    example = "/api/v1/webhooks"
