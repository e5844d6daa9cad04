"""Signed-in readers' pages made once per plan (web/signed_in_pages.py): each reader gets the
route's page with their own e-mail and form token, never another reader's, and a plan, role,
colour or session change takes effect at once."""

from __future__ import annotations

import datetime as dt
import gzip
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from metalwire.accounts import service as accounts
from metalwire.accounts.credentials import token_hash
from metalwire.accounts.models import Role, User, WebSession
from tests.conftest import Desk
from tests.web.test_price_pages import AFTER, DAY, PREMIUM, SILVER, publish

PAGES = ("/", "/entry/silver", f"/series/{SILVER}", f"/series/{SILVER}?lang=zh")
TODAY = [("7840", "5"), ("7850", "5"), ("7860", "5")]  # silver's mid: 7,850
PREMIUM_DEALS = [("38", "200"), ("41", "200"), ("45", "200")]  # the premium's mid: 41
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(desk: Desk, email: str, plan: str = "subscriber", role: Role = Role.READER) -> str:
    """A new reader's session token (a subscriber unless said otherwise)."""
    with desk.db.transaction() as session:
        user = accounts.add_user(session, email, role=role, plan=plan, actor="t")
        return accounts.start_session(session, user)


def _hits(app: FastAPI) -> int:
    return int(app.state.shared_page_hits)


def _get(client: TestClient, path: str, token: str, **headers: str) -> tuple[int, str, dict]:  # type: ignore[type-arg]
    client.cookies.clear()
    client.cookies.set("mw_session", token)
    response = client.get(path, headers=headers)
    return response.status_code, response.text, dict(response.headers)


def test_a_second_reader_of_the_plan_gets_the_page_with_their_own_name_and_token(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY, TODAY)
    app.state.clock = lambda: AFTER
    first, second = signed_in(desk, "buyer@smelter.cn"), signed_in(desk, "trader@mill.cn")
    for path in PAGES:
        status, mine, _ = _get(client, path, first)
        assert status == 200 and "buyer@smelter.cn" in mine and "7,850" in mine, path
        before = _hits(app)
        status, theirs, headers = _get(client, path, second)
        assert _hits(app) == before + 1, f"{path} was not kept for the plan"
        assert status == 200 and "trader@mill.cn" in theirs and "buyer@smelter.cn" not in theirs
        assert all(re.fullmatch(r"[0-9a-f]{32}", t) for t in CSRF.findall(theirs)), path
        # Byte for byte the route's own page for this reader (a conditional request goes to
        # the route unaltered): only the e-mail and the token are the reader's.
        route = client.get(path, headers={"if-none-match": "x"})  # still the second's cookie
        assert route.text == theirs, path
        assert headers["content-encoding"] == "gzip"
        assert "accept-encoding" in headers["vary"].lower()
        assert "content-security-policy" in headers  # the outer layers still apply
    # Each reader's token is their session's: it signs them out, and only them.
    _, page, _ = _get(client, "/", second)
    token = CSRF.findall(page)[0]
    client.cookies.clear()
    client.cookies.set("mw_session", second)
    out = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    _, after, _ = _get(client, "/", second)
    assert "trader@mill.cn" not in after and "Sign In" in after  # the old cookie names no one
    _, still, _ = _get(client, "/", first)
    assert "buyer@smelter.cn" in still


def test_plain_and_compressed_answers_carry_the_same_page(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY, TODAY)
    app.state.clock = lambda: AFTER
    token = signed_in(desk, "buyer@smelter.cn")
    _get(client, f"/series/{SILVER}", token)
    raw = client.get(f"/series/{SILVER}", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert int(raw.headers["content-length"]) == len(raw.content)
    with client.stream("GET", f"/series/{SILVER}", headers={"accept-encoding": "gzip"}) as packed:
        sent = b"".join(packed.iter_raw())
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) == len(sent)
    assert gzip.decompress(sent) == raw.content


def test_a_plan_change_is_seen_at_once_and_never_shares_a_page_across_plans(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, PREMIUM, DAY, PREMIUM_DEALS)
    app.state.clock = lambda: AFTER
    paying = signed_in(desk, "buyer@smelter.cn")
    free = signed_in(desk, "reader@mill.cn", plan="free")
    path = f"/series/{PREMIUM}"
    for _ in range(2):
        status, page, _ = _get(client, path, paying)
        assert status == 200 and "41" in page
    for _ in range(2):
        _, page, _ = _get(client, path, free)
        assert "reader@mill.cn" in page and "Subscribe" in page and ">41<" not in page
    with desk.db.transaction() as session:
        accounts.set_plan(session, "buyer@smelter.cn", "free", actor="t")
    _, page, _ = _get(client, path, paying)
    assert "buyer@smelter.cn" in page and ">41<" not in page and "Subscribe" in page


def test_role_and_colours_get_their_own_page(desk: Desk, app: FastAPI, client: TestClient) -> None:
    publish(desk, SILVER, DAY, TODAY)
    app.state.clock = lambda: AFTER
    reader, analyst = signed_in(desk, "buyer@smelter.cn"), desk.analyst
    with desk.db.transaction() as session:
        analyst_token = accounts.start_session(session, session.merge(analyst))
    _get(client, "/", reader)
    _, staff_page, _ = _get(client, "/", analyst_token)
    assert "analyst@desk.cn" in staff_page and "buyer@smelter.cn" not in staff_page
    _, page, _ = _get(client, "/", reader)
    assert 'class="conv-intl"' not in page
    with desk.db.transaction() as session:
        session.execute(
            update(User).where(User.email == "buyer@smelter.cn").values(colour_convention="intl")
        )
    _, page, _ = _get(client, "/", reader)
    assert 'class="conv-intl"' in page


def test_an_expired_session_gets_the_visitors_page(
    desk: Desk, app: FastAPI, client: TestClient
) -> None:
    publish(desk, SILVER, DAY, TODAY)
    app.state.clock = lambda: AFTER
    token = signed_in(desk, "buyer@smelter.cn")
    for _ in range(2):
        assert "buyer@smelter.cn" in _get(client, "/", token)[1]
    with desk.db.transaction() as session:
        session.execute(
            update(WebSession)
            .where(WebSession.token_hash == token_hash(token))
            .values(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        )
    _, page, _ = _get(client, "/", token)
    assert "buyer@smelter.cn" not in page and "Sign In" in page
