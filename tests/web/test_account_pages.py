"""Accounts through the browser-facing pages and the API's Bearer keys."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.accounts import service
from metalwire.accounts.models import Role, Scope
from metalwire.settings import load_settings
from metalwire.web.app import create_app
from tests.conftest import ScratchDatabase
from tests.support.clock import next_minute, stop_clock

PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "form without a CSRF token"
    return match.group(1)


def sign_up(client: TestClient, email: str) -> None:
    token = csrf_of(client.get("/sign-up").text)
    response = client.post(
        "/sign-up",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_sign_up_sign_out_sign_in(client: TestClient) -> None:
    sign_up(client, "new@reader.io")
    assert "new@reader.io" in client.get("/account").text
    cookie = client.cookies.get("mw_session")
    assert cookie
    home = client.get("/").text
    client.post("/sign-out", data={"csrf_token": csrf_of(home)})
    assert client.get("/account", follow_redirects=False).headers["location"].startswith("/sign-in")
    token = csrf_of(client.get("/sign-in").text)
    bad = client.post(
        "/sign-in",
        data={"email": "new@reader.io", "password": "wrong password!", "csrf_token": token},
    )
    assert bad.status_code == 401 and "Wrong e-mail or password." in bad.text
    good = client.post(
        "/sign-in",
        data={
            "email": "new@reader.io",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/account",
        },
        follow_redirects=False,
    )
    assert good.status_code == 303 and good.headers["location"] == "/account"
    set_cookie = good.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie


def test_forms_without_the_csrf_token_are_refused(client: TestClient) -> None:
    client.get("/sign-up")
    response = client.post("/sign-up", data={"email": "x@y.io", "password": PASSWORD})
    assert response.status_code == 403
    response = client.post(
        "/sign-up", data={"email": "x@y.io", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403


def test_sign_in_throttled_after_repeated_failures(client: TestClient) -> None:
    sign_up(client, "t@reader.io")
    client.cookies.delete("mw_session")
    token = csrf_of(client.get("/sign-in").text)
    for _ in range(5):
        client.post(
            "/sign-in",
            data={"email": "t@reader.io", "password": "guess guess", "csrf_token": token},
        )
    blocked = client.post(
        "/sign-in", data={"email": "t@reader.io", "password": PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0


def test_api_key_from_the_account_page_works_until_revoked(client: TestClient) -> None:
    sign_up(client, "quant@fund.io")
    page = client.get("/account").text
    created = client.post(
        "/account/keys", data={"scope": "read", "name": "notebook", "csrf_token": csrf_of(page)}
    )
    key = re.search(r'<code id="new-key">([^<]+)</code>', created.text)
    assert key
    secret = key.group(1)
    assert secret not in client.get("/account").text  # shown once only
    client.cookies.delete("mw_session")
    ok = client.get("/api/v1/catalog", headers={"Authorization": f"Bearer {secret}"})
    assert ok.status_code == 200
    key_id = re.search(r"/account/keys/(\d+)/revoke", created.text)
    assert key_id
    sign_in_token = csrf_of(client.get("/sign-in").text)
    client.post(
        "/sign-in",
        data={"email": "quant@fund.io", "password": PASSWORD, "csrf_token": sign_in_token},
    )
    client.post(
        f"/account/keys/{key_id.group(1)}/revoke",
        data={"csrf_token": csrf_of(client.get("/account").text)},
    )
    client.cookies.delete("mw_session")
    refused = client.get("/api/v1/catalog", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/catalog", headers={"Authorization": "Basic abc"}).status_code == 401


def test_anonymous_api_use_is_rate_limited_with_retry_after(
    app: FastAPI, client: TestClient
) -> None:
    stop_clock(app)
    statuses = [client.get("/api/v1/series/NOPE").status_code for _ in range(61)]
    assert statuses[:60] == [404] * 60
    assert statuses[60] == 429
    limited = client.get("/api/v1/catalog")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["type"] == "urn:metalwire:problem:rate-limited"
    next_minute(app)  # a new window on the app's clock: counted afresh
    assert client.get("/api/v1/series/NOPE").status_code == 404


def test_rate_limits_are_shared_between_workers(db: ScratchDatabase) -> None:
    # Two app instances on one database stand for two worker processes.
    settings = load_settings(database_url=db.url)
    apps = [create_app(settings, engine=db.engine) for _ in range(2)]
    stop_clock(*apps)
    first, second = (TestClient(app) for app in apps)
    for _ in range(30):
        first.get("/api/v1/series/NOPE")
        second.get("/api/v1/series/NOPE")
    assert first.get("/api/v1/series/NOPE").status_code == 429


def _redis_available() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_available(), reason="no Redis server on 127.0.0.1:6379")
def test_rate_limits_counted_in_redis(db: ScratchDatabase) -> None:
    import redis

    redis.Redis().flushdb()
    settings = load_settings(database_url=db.url, redis_url="redis://127.0.0.1:6379/0")
    app = create_app(settings, engine=db.engine)
    stop_clock(app)
    client = TestClient(app)
    statuses = [client.get("/api/v1/series/NOPE").status_code for _ in range(61)]
    assert statuses[-1] == 429 and statuses[-2] == 404
    redis.Redis().flushdb()


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[object]]]:
    received: list[object] = []

    class Collect(Message):
        def handle_message(self, message: object) -> None:
            received.append(message)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


def test_password_reset_by_emailed_link(
    db: ScratchDatabase, smtp: tuple[int, list[object]]
) -> None:
    port, received = smtp
    with db.transaction() as session:
        service.add_user(
            session,
            "forgetful@smelter.cn",
            role=Role.SUBSCRIBER,
            plan="subscriber",
            password=PASSWORD,
            actor="t",
        )
    app: FastAPI = create_app(
        load_settings(
            database_url=db.url,
            smtp_host="127.0.0.1",
            smtp_port=port,
            base_url="http://metalwire.test",
        ),
        engine=db.engine,
    )
    client = TestClient(app)
    form = client.get("/account/reset").text
    sent = client.post(
        "/account/reset", data={"email": "forgetful@smelter.cn", "csrf_token": csrf_of(form)}
    )
    unknown = client.post(
        "/account/reset", data={"email": "nobody@smelter.cn", "csrf_token": csrf_of(form)}
    )
    assert sent.text.count("If an account exists") == 1
    assert unknown.status_code == sent.status_code  # no account discovery
    deadline = time.monotonic() + 5
    while not received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(received) == 1
    body = received[0].get_payload(decode=True).decode()  # type: ignore[attr-defined]
    link = re.search(r"http://metalwire.test(/account/reset/\S+)", body)
    assert link, body
    reset_form = client.get(link.group(1)).text
    done = client.post(
        link.group(1),
        data={"password": "my new long password", "csrf_token": csrf_of(reset_form)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    # Signed in now: the token of the form from before is worthless in the new session.
    stale = client.post(
        link.group(1), data={"password": "and another password", "csrf_token": csrf_of(reset_form)}
    )
    assert stale.status_code == 403
    fresh = csrf_of(client.get(link.group(1)).text)
    assert fresh != csrf_of(reset_form)
    again = client.post(
        link.group(1), data={"password": "and another password", "csrf_token": fresh}
    )
    assert again.status_code == 422 and "invalid or has expired" in again.text


def test_csrf_tokens_are_bound_to_the_session_and_guard_cookie_api_writes(
    db: ScratchDatabase, client: TestClient
) -> None:
    """Issue #13 finding 7: a token belongs to one session (another session's, or one from
    before signing in, is refused), and an API write made on the strength of the session
    cookie alone needs the page's token in X-CSRF-Token; an API key needs none."""
    with db.transaction() as session:
        analyst = service.add_user(
            session, "a@desk.cn", role=Role.ANALYST, plan="enterprise", password=PASSWORD, actor="t"
        )
        first = service.start_session(session, analyst)
        second = service.start_session(session, analyst)
        key = service.create_api_key(session, "a@desk.cn", Scope.SUBMIT, actor="t").secret
    client.cookies.set("mw_session", first)
    token = csrf_of(client.get("/account").text)
    client.cookies.set("mw_session", second)
    other = csrf_of(client.get("/account").text)
    assert token != other
    moved = client.post("/account/alerts", data={"series": "X", "csrf_token": token})
    assert moved.status_code == 403  # the first session's token, sent with the second's cookie
    submission = {
        "series": "NO-SUCH-SERIES",
        "date": "2026-11-25",
        "kind": "bid",
        "price": "1",
        "contributor": "c",
    }
    bare = client.post("/api/v1/submissions", json=submission)
    assert bare.status_code == 403 and bare.json()["type"].endswith("csrf")
    with_token = client.post(
        "/api/v1/submissions", json=submission, headers={"X-CSRF-Token": other}
    )
    assert with_token.status_code == 422  # past the CSRF check: the unknown series is named
    client.cookies.clear()
    keyed = client.post(
        "/api/v1/submissions", json=submission, headers={"Authorization": f"Bearer {key}"}
    )
    assert keyed.status_code == 422
